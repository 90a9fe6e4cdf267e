"""Dumps served by a local mirror over real HTTP, output on a real S3 API (moto on 127.0.0.1)."""

import contextlib
import subprocess

import pyarrow.parquet as pq
import pytest
import s3fs
import yaml

import xlm_core.shards.writer as writer_mod
from flows.build_dataset import run_build
from tests.conftest import XLM, xlm_env
from tests.dataset.helpers import WIKI, small_spec
from tests.servers import WET_SAMPLES, WIKI_SAMPLES, make_cc_mirror, make_dump_mirror
from xlm_core.shards.manifest import load_manifest, verify

INPUT_BODIES = ("*.bz2", "*.warc.wet.gz")  # the dump files themselves, not status JSON or path lists


def test_discovered_dumps_over_http_built_to_s3(tmp_path, http_server, s3_bucket, prefect_server, monkeypatch):
    dumps = make_dump_mirror(http_server.root / "dumps", {"nl": [WIKI_SAMPLES["nl"]], "uk": [WIKI_SAMPLES["uk"]]})
    make_cc_mirror(http_server.root / "cc", "CC-MAIN-2026-12", WET_SAMPLES[-1:], n_files=3)  # 263 real records
    # the mirror fails then recovers: first request of one dump file is a 503, of another a cut
    http_server.faults.status("*/nlwiki-*-pages-articles.xml.bz2", 503, times=1)
    http_server.faults.cut("*/ukwiki-*-pages-articles.xml.bz2", after_bytes=20_000, times=1)
    spec = {
        "name": "remote",
        "languages": ["nl", "uk", "en", "ru"],
        "sources": [
            {"type": "wikipedia", "languages": ["nl", "uk"], "dump": "latest",
             "mirror": f"{http_server.url}/dumps"},
            {"type": "commoncrawl", "crawl": "CC-MAIN-2026-12", "mirror": f"{http_server.url}/cc", "max_files": 2},
        ],
        "download": {"retries": 3, "cache_dir": str(tmp_path / "cache")},
        "output": f"s3://{s3_bucket}/datasets",
    }
    path = tmp_path / "remote.yaml"
    path.write_text(yaml.safe_dump(spec))
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: prefect_server}):
        result = run_build(str(path), show_progress=False)
    root = result["version_dir"]
    assert root.startswith(f"s3://{s3_bucket}/datasets/remote/")
    m = load_manifest(root)
    inputs = {i["uri"].rsplit("/", 1)[-1]: i for i in m["inputs"]}
    assert f"nlwiki-{dumps.dump}-pages-articles.xml.bz2" in inputs  # `latest` skipped the in-progress dump
    assert all("md5" in i for i in m["inputs"] if i["kind"] == "wikipedia")
    assert sum(1 for i in m["inputs"] if i["kind"] == "wet") == 2
    assert {"nl", "uk", "en"} <= set(m["languages"]) and m["languages"]["en"]["documents"] > 0
    assert verify(root) == []
    fs = s3fs.S3FileSystem()
    shard = m["shards"][0]
    with fs.open(f"{root}/{shard['path']}", "rb") as f:
        assert pq.read_table(f).num_rows == shard["rows"]
    # the CLI verifies the S3 dataset too and names a corrupted shard
    env = xlm_env(prefect_server)
    ok = subprocess.run([XLM, "verify", root], env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    original = fs.cat(f"{root}/{shard['path']}")
    fs.pipe(f"{root}/{shard['path']}", original[:-1] + b"\x00")
    bad = subprocess.run([XLM, "verify", root], env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and shard["path"] in bad.stdout

    # the cache kept receipts only; a rerun that must ask the units' markers (Prefect's results
    # deleted) downloads no input again and gives the same dataset
    cached = [p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert len(cached) == len(m["inputs"]) and all(n.endswith(".receipt.json") for n in cached)
    fs.pipe(f"{root}/{shard['path']}", original)
    fs.rm(f"{s3_bucket}/datasets/remote/_work/prefect-results", recursive=True)
    http_server.reset_log()
    with temporary_settings({PREFECT_API_URL: prefect_server}):
        again = run_build(str(path), show_progress=False)
    assert [r.path for p in INPUT_BODIES for r in http_server.requests_for(p, method=None)] == []
    assert again["reused_units"] == len(m["inputs"])
    assert (again["version_dir"], again["manifest_sha256"]) == (root, result["manifest_sha256"])
    assert verify(root) == []


class _CutAfter:
    """A writable file whose write() fails once `limit` bytes went through, like a dropped upload."""

    def __init__(self, f, limit: int):
        self._f, self._left = f, limit

    def write(self, data) -> int:
        self._left -= len(data)
        if self._left < 0:
            raise ConnectionResetError("connection reset while uploading the shard")
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)


def test_shard_upload_failing_mid_write_leaves_no_object_and_a_rerun_completes(
    tmp_path, s3_server, s3_bucket, prefect_api, monkeypatch
):
    spec = small_spec(tmp_path, f"s3://{s3_bucket}/datasets", wiki={"uk": WIKI["uk"], "nl": WIKI["nl"]}, wet=None)
    real_open = writer_mod.atomic_open

    @contextlib.contextmanager
    def cut_open(uri, mode="wb"):
        with real_open(uri, mode) as f:
            yield _CutAfter(f, 10_000)

    monkeypatch.setattr(writer_mod, "atomic_open", cut_open)
    with pytest.raises(Exception, match="connection reset"):
        run_build(spec, show_progress=False)
    client = s3_server.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert any(k.endswith("/documents.parquet") for k in keys)  # the units were written
    assert [k for k in keys if "/part-" in k and "/_work/" not in k] == []  # no shard, whole or cut
    assert not [k for k in keys if k.endswith("manifest.json")]
    assert client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []

    monkeypatch.setattr(writer_mod, "atomic_open", real_open)
    result = run_build(spec, show_progress=False)
    assert verify(result["version_dir"]) == []
    assert result["reused_units"] == 2
    assert set(load_manifest(result["version_dir"])["languages"]) >= {"uk", "nl"}
