"""Dumps served by a local mirror over real HTTP, output on a real S3 API (moto on 127.0.0.1)."""

import subprocess

import pyarrow.parquet as pq
import s3fs
import yaml

from flows.build_dataset import run_build
from tests.conftest import XLM, xlm_env
from tests.servers import WET_SAMPLES, WIKI_SAMPLES, make_cc_mirror, make_dump_mirror
from xlm_core.shards.manifest import load_manifest, verify


def test_discovered_dumps_over_http_built_to_s3(tmp_path, http_server, s3_bucket, prefect_server, monkeypatch):
    dumps = make_dump_mirror(http_server.root / "dumps", {"nl": [WIKI_SAMPLES["nl"]], "uk": [WIKI_SAMPLES["uk"]]})
    make_cc_mirror(http_server.root / "cc", "CC-MAIN-2026-12", WET_SAMPLES[:1], n_files=3)
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
    assert {"nl", "uk", "en"} <= set(m["languages"])
    assert verify(root) == []
    fs = s3fs.S3FileSystem()
    shard = m["shards"][0]
    with fs.open(f"{root}/{shard['path']}", "rb") as f:
        assert pq.read_table(f).num_rows == shard["rows"]
    # the CLI verifies the S3 dataset too and names a corrupted shard
    env = xlm_env(prefect_server)
    ok = subprocess.run([XLM, "verify", root], env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    fs.pipe(f"{root}/{shard['path']}", fs.cat(f"{root}/{shard['path']}")[:-1] + b"\x00")
    bad = subprocess.run([XLM, "verify", root], env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and shard["path"] in bad.stdout
