"""Bad input: a clear error naming the problem, or a counted skip; never a silent loss."""

import bz2
import gzip
import subprocess
from pathlib import Path

import pytest

from flows.build_dataset import UnitsFailed, run_build
from tests.dataset.helpers import WET, WIKI, small_spec
from tests.conftest import XLM, xlm_env
from xlm_core.shards.manifest import load_manifest


def build(spec):
    return run_build(spec, show_progress=False)


def test_truncated_bz2_and_gzip_keep_what_was_read_and_count_the_error(tmp_path, prefect_api):
    data = Path(WIKI["nl"]).read_bytes()
    (tmp_path / "nl-cut.xml.bz2").write_bytes(data[: len(data) * 2 // 3])
    wet = Path(WET).read_bytes()
    (tmp_path / "cut.warc.wet.gz").write_bytes(wet[: len(wet) // 2])
    spec = small_spec(tmp_path, str(tmp_path / "out"), wiki={"nl": str(tmp_path / "nl-cut.xml.bz2")},
                      wet=str(tmp_path / "cut.warc.wet.gz"))
    result = build(spec)
    m = load_manifest(result["version_dir"])
    assert m["counters"]["extract"]["errors.truncated"] == 2
    assert m["languages"]["nl"]["documents"] > 0  # pages before the cut are kept


def test_malformed_xml_and_non_utf8_are_counted(tmp_path, prefect_api):
    xml = bz2.decompress(Path(WIKI["nl"]).read_bytes())
    cut = xml.index(b"</page>", len(xml) // 2)
    broken = xml[:cut] + b"<page><title>broken</ti></page>" + xml[cut:]
    (tmp_path / "nl-bad.xml.bz2").write_bytes(bz2.compress(broken))
    records = gzip.decompress(Path(WET).read_bytes())
    marker = records.index(b"WARC-Type: conversion", len(records) // 3)
    body = records.index(b"\r\n\r\n", marker) + 4
    bad = records[:body] + b"\xff\xfe\xc3" + records[body + 3:]
    # one gzip member per record, as Common Crawl writes WET files
    starts = [i for i in range(len(bad)) if bad.startswith(b"WARC/1.0\r\n", i)] + [len(bad)]
    members = b"".join(gzip.compress(bad[a:b]) for a, b in zip(starts, starts[1:]))
    (tmp_path / "bad.warc.wet.gz").write_bytes(members)
    spec = small_spec(tmp_path, str(tmp_path / "out"), wiki={"nl": str(tmp_path / "nl-bad.xml.bz2")},
                      wet=str(tmp_path / "bad.warc.wet.gz"))
    m = load_manifest(build(spec)["version_dir"])
    assert m["counters"]["extract"]["errors.malformed_xml"] == 1
    assert m["counters"]["extract"]["errors.invalid_utf8"] >= 1


def test_empty_file_and_source_without_documents_are_warned(tmp_path, prefect_api):
    (tmp_path / "empty.warc.wet.gz").write_bytes(b"")
    spec = small_spec(tmp_path, str(tmp_path / "out"), wiki={"nl": WIKI["nl"], "ja": WIKI["uk"].replace("uk", "ja")},
                      wet=str(tmp_path / "empty.warc.wet.gz"))
    result = build(spec)
    warnings = "\n".join(result["warnings"])
    assert "sources[2] (commoncrawl) yielded 0 documents" in warnings
    assert "languages: 'ru' has no documents" in warnings


def test_nothing_at_all_is_an_error(tmp_path, prefect_api):
    (tmp_path / "empty.warc.wet.gz").write_bytes(b"")
    spec = small_spec(tmp_path, str(tmp_path / "out"), wiki={}, wet=str(tmp_path / "empty.warc.wet.gz"))
    with pytest.raises(ValueError, match="produced no documents"):
        build(spec)


def test_missing_input_names_the_file(tmp_path, prefect_api):
    spec = small_spec(tmp_path, str(tmp_path / "out"), wiki={"nl": str(tmp_path / "nope.xml.bz2")}, wet=None)
    with pytest.raises(UnitsFailed, match=r"unit 0000 .*nope.xml.bz2: FileNotFoundError: .*input not found"):
        build(spec)


def test_cli_reports_invalid_spec_and_unwritable_output(tmp_path, prefect_server):
    env = xlm_env(prefect_server)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nlanguages: [en, qx]\nsources: [{type: wiki, files: [a]}]\noutput: o\n")
    r = subprocess.run([XLM, "build", str(bad)], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "sources[0].type: 'wiki' is not one of wikipedia, commoncrawl" in r.stderr
    # A regular file where a directory must go: unwritable even for root (tests may run as root,
    # which ignores permission bits).
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    spec = small_spec(tmp_path, str(blocker / "sub"), wet=None)
    r = subprocess.run([XLM, "build", spec], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr[-2000:]
    assert "is not writable" in r.stderr and str(blocker / "sub") in r.stderr
    # an input that fails for good: the CLI names it, no traceback
    spec = small_spec(tmp_path, str(tmp_path / "out"), wiki={"nl": str(tmp_path / "nope.xml.bz2")}, wet=None)
    r = subprocess.run([XLM, "build", spec], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr[-2000:]
    assert "\nxlm build: error: 1 of 1 input files failed" in r.stderr and "nope.xml.bz2" in r.stderr
    assert "Error encountered when computing cache key" not in r.stderr


def test_keep_dropped_writes_an_exclusion_parquet_with_reasons(tmp_path, prefect_api):
    import pyarrow as pa
    import pyarrow.parquet as pq

    spec = small_spec(tmp_path, str(tmp_path / "out"), wiki={"nl": WIKI["nl"]},
                      filters={"keep_dropped": True, "defaults": {"min_words": 200}})
    m = load_manifest(build(spec)["version_dir"])
    assert len(m["excluded"]) == len(m["inputs"])
    table = pa.concat_tables(pq.read_table(tmp_path / "out" / "small" / e["path"]) for e in m["excluded"])
    dropped = {k[len("dropped."):]: v for k, v in m["counters"]["filters"].items() if k.startswith("dropped.")}
    assert table.num_rows == sum(dropped.values()) > 0
    reasons = table.column("reason").to_pylist()
    assert {r: reasons.count(r) for r in set(reasons)} == dropped
