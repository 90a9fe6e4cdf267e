"""build_unit: one streamed Parquet file of single-language row groups, a StepMarkers done marker,
and a download cache that keeps only receipts of finished remote inputs (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import os
import shutil
import tracemalloc
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import xlm_core.dataset.unit as unit_mod
from tests.dataset.helpers import WET, WIKI, small_spec
from xlm_core.acquire import DownloadConfig, DownloadError
from xlm_core.dataset import BuildLayout, build_unit, plan_inputs
from xlm_core.document import Document
from xlm_core.spec import load_spec
from xlm_core.steps import StepMarkers

FAST = DownloadConfig(retries=0, backoff_base=0.01, backoff_max=0.05, timeout=10)


def _only_input(spec_path: str):
    spec = load_spec(spec_path)
    (inp,) = plan_inputs(spec)
    return spec, inp, BuildLayout.from_spec(spec)


def _by_language(path: str) -> dict:
    table = pq.read_table(path)
    return {lang: table.filter(pc.equal(table["language"], lang)) for lang in sorted(set(table["language"].to_pylist()))}


def test_unit_writes_single_language_row_groups_in_input_order(tmp_path, monkeypatch):
    # a generated WET file of ~1000 records: the real sample's gzip members four times over
    generated = tmp_path / "big.warc.wet.gz"
    generated.write_bytes(Path(WET).read_bytes() * 4)
    ref_spec, ref_inp, ref_layout = _only_input(small_spec(tmp_path, str(tmp_path / "ref"), wiki={}, wet=str(generated)))
    monkeypatch.setattr(unit_mod, "_BATCH_ROWS", 10**9)  # one row group per language: the old per-language files
    ref = build_unit(ref_inp, ref_spec, ref_layout)
    monkeypatch.setattr(unit_mod, "_BATCH_ROWS", 7)
    spec, inp, layout = _only_input(small_spec(tmp_path, str(tmp_path / "out"), wiki={}, wet=str(generated)))
    got = build_unit(inp, spec, layout)

    (path,) = set(got.files.values())
    assert path.endswith(f"/_work/units/{got.unit_id}/documents.parquet")
    assert set(got.files) == set(ref.files) and got.languages == ref.languages
    pf = pq.ParquetFile(path)
    groups = [pf.read_row_group(i, columns=["language", "offset"]) for i in range(pf.metadata.num_row_groups)]
    assert len(groups) > sum(t["documents"] for t in got.languages.values()) // 7
    langs = []
    for g in groups:
        (lang,) = set(g["language"].to_pylist())  # one language per row group
        langs.append(lang)
    # full groups while streaming, then each language's remainder in sorted order
    tail = [lang for lang, g in zip(langs, groups) if g.num_rows < 7]
    assert tail == sorted(tail) and langs[-len(tail):] == tail
    for lang in got.languages:
        offsets = [o for la, g in zip(langs, groups) if la == lang for o in g["offset"].to_pylist()]
        assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)  # input order
        assert len(offsets) == got.languages[lang]["documents"]
    # per language, the same rows as one file per language held
    ref_rows, got_rows = _by_language(set(ref.files.values()).pop()), _by_language(path)
    assert list(got_rows) == list(ref_rows)
    for lang in ref_rows:
        assert got_rows[lang].equals(ref_rows[lang])


def test_write_documents_memory_depends_on_batch_not_input(tmp_path):
    def docs(n):  # 20 MB of text in 3 languages, made lazily (one new string per document)
        for i in range(n):
            yield Document(id=str(i), text=f"{i:09d}" + "x" * 10_000, source="commoncrawl", source_file="gen",
                           language="abc"[i % 3], offset=i)

    tracemalloc.start()
    try:
        totals = unit_mod.write_documents(docs(2_001), str(tmp_path / "d.parquet"), batch_rows=10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert totals == {k: {"documents": 667, "characters": 667 * 10_009} for k in "abc"}
    assert peak < 4_000_000  # holding the input would take > 20 MB
    assert pq.ParquetFile(tmp_path / "d.parquet").metadata.num_row_groups == 3 * 67  # 66 full + 1 each


def test_a_unit_that_fails_mid_write_leaves_no_file_and_no_marker(tmp_path, monkeypatch):
    spec, inp, layout = _only_input(small_spec(tmp_path, str(tmp_path / "out"), wiki={}, wet=WET))
    real = unit_mod._extract

    def dies_after_50(*args):
        for i, doc in enumerate(real(*args)):
            if i == 50:
                raise MemoryError("killed")
            yield doc

    monkeypatch.setattr(unit_mod, "_BATCH_ROWS", 3)  # row groups were written before the failure
    monkeypatch.setattr(unit_mod, "_extract", dies_after_50)
    with pytest.raises(MemoryError):
        build_unit(inp, spec, layout)
    units = Path(layout.units_dir)
    assert not list(units.rglob("*.parquet*")) and not list(units.rglob("_done/*"))
    monkeypatch.setattr(unit_mod, "_extract", real)
    done = build_unit(inp, spec, layout)
    assert not done.reused and sum(t["documents"] for t in done.languages.values()) > 50


def test_temp_files_of_a_killed_attempt_are_removed_by_the_rerun(tmp_path):
    spec, inp, layout = _only_input(small_spec(tmp_path, str(tmp_path / "out"), wiki={}, wet=WET))
    uid = unit_mod.unit_id(unit_mod.acquire(inp, layout)[1], spec)
    stale = Path(layout.unit_dir(uid)) / "documents.parquet.tmp-0badc0de"  # what kill -9 mid-write leaves
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"PAR1 half a file")
    done = build_unit(inp, spec, layout)
    assert done.unit_id == uid
    assert sorted(p.name for p in stale.parent.iterdir()) == ["documents.parquet"]


def test_done_marker_is_a_step_marker_holding_the_result(tmp_path):
    spec, inp, layout = _only_input(small_spec(tmp_path, str(tmp_path / "out"), wiki={}, wet=WET))
    first = build_unit(inp, spec, layout)  # alone: makes its own StepMarkers
    markers = StepMarkers(layout.units_dir)
    assert markers.done() == {first.unit_id}
    stored = markers.result(first.unit_id)
    assert stored["files"] == first.files and stored["languages"] == first.languages and "reused" not in stored
    again = build_unit(inp, spec, layout, markers=markers)  # shared markers, as a grouped task passes
    assert again.reused and again.unit_id == first.unit_id and again.files == first.files
    assert not list(Path(layout.units_dir).rglob("done.json"))


# ------------------------------------------------------------------------------------------------
# remote inputs: the cache holds receipts only, and a rerun fetches nothing


def _remote(tmp_path, http_server, name="ukwiki-20230501-pages-articles.xml.bz2", **download):
    shutil.copy(WIKI["uk"], http_server.root / name)
    url = f"{http_server.url}/{name}"
    cache = tmp_path / "cache"
    spec_path = small_spec(tmp_path, str(tmp_path / "out"), wiki={"uk": url}, wet=None,
                           download={"cache_dir": str(cache), **download})
    return (*_only_input(spec_path), url, cache)


def _cache_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.rglob("*") if p.is_file())


def test_remote_input_is_evicted_after_its_unit_and_a_rerun_fetches_nothing(tmp_path, http_server):
    spec, inp, layout, url, cache = _remote(tmp_path, http_server)
    first = build_unit(inp, spec, layout, FAST)
    assert _cache_files(cache) == [f"{os.path.basename(url)}.receipt.json"]
    assert first.input["sha256"] and first.input["size"] == os.path.getsize(WIKI["uk"])

    http_server.reset_log()
    again = build_unit(inp, spec, layout, FAST)
    assert http_server.requests_for("/*.bz2", method=None) == []  # not even a HEAD
    assert again.reused and again.input == first.input and again.files == first.files


def test_keep_cache_keeps_the_file_and_a_rerun_still_fetches_nothing(tmp_path, http_server):
    spec, inp, layout, url, cache = _remote(tmp_path, http_server, keep_cache=True)
    assert layout.keep_cache
    build_unit(inp, spec, layout, FAST)
    name = os.path.basename(url)
    assert _cache_files(cache) == [name, f"{name}.receipt.json"]
    http_server.reset_log()
    assert build_unit(inp, spec, layout, FAST).reused
    assert http_server.requests_for("/*.bz2", method=None) == []
    assert _cache_files(cache) == [name, f"{name}.receipt.json"]


def test_interrupted_download_has_no_receipt_and_the_rerun_resumes(tmp_path, http_server):
    spec, inp, layout, url, cache = _remote(tmp_path, http_server)
    http_server.faults.cut("/*.bz2", after_bytes=50_000)
    with pytest.raises(DownloadError):
        build_unit(inp, spec, layout, FAST)  # retries=0: the cut ends this run
    name = os.path.basename(url)
    assert _cache_files(cache) == [f"{name}.part", f"{name}.part.json"]
    assert not list(Path(layout.units_dir).rglob("*.parquet"))

    http_server.reset_log()
    done = build_unit(inp, spec, layout, FAST)
    (req,) = http_server.requests_for("/*.bz2")
    assert req.range == "bytes=50000-" and req.status == 206
    assert not done.reused and done.input["size"] == os.path.getsize(WIKI["uk"])
    assert _cache_files(cache) == [f"{name}.receipt.json"]


def test_a_receipt_without_a_done_unit_downloads_again(tmp_path, http_server):
    spec, inp, layout, url, cache = _remote(tmp_path, http_server)
    first = build_unit(inp, spec, layout, FAST)
    shutil.rmtree(layout.units_dir)  # a person deleted _work/: the receipt alone must not vouch
    http_server.reset_log()
    again = build_unit(inp, spec, layout, FAST)
    assert len(http_server.requests_for("/*.bz2")) == 1
    assert not again.reused and again.unit_id == first.unit_id and again.languages == first.languages
