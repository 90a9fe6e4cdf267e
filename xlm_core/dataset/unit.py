"""First half of the build, one input file at a time: acquire -> extract -> language ID -> filters
-> one Parquet file `_work/units/<unit_id>/documents.parquet` (every kept language), then the
unit's done marker `_work/units/_done/<unit_id>.json` (xlm_core.steps) holding its UnitResult."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow.parquet as pq

from xlm_core.acquire.cache import download_with_receipt, evict, read_receipt
from xlm_core.acquire.download import DownloadConfig
from xlm_core.dataset.inputs import InputFile
from xlm_core.dataset.layout import BuildLayout
from xlm_core.document import SCHEMA, Document, to_table
# Imported here, not lazily in the worker threads: concurrent first imports of one module from
# several task threads can raise importlib's _DeadlockError.
from xlm_core.extract.warc import WarcExtractConfig, iter_warc
from xlm_core.extract.wikipedia import WikiExtractConfig, iter_wikipedia
from xlm_core.filters import DroppedWriter, FilterConfig, apply_filters
from xlm_core.filters.apply import BATCH_DOCS as FILTER_BATCH_DOCS
from xlm_core.io import atomic_open, canonical_json, fs_and_path, join, sha256_file
from xlm_core.langid import LangIdConfig, LanguageIdentifier, identify
from xlm_core.shards.manifest import code_version
from xlm_core.shards.writer import ShardConfig
from xlm_core.steps import StepMarkers, run_step

log = logging.getLogger(__name__)

DOCUMENTS = "documents.parquet"
DROPPED = "dropped.parquet"
_BATCH_ROWS = 1_000  # rows buffered per language before a row group is written: memory ~ rows × languages × doc size
"""Rows of one language per row group of a unit file; the unit holds at most this many documents
per language in memory."""


@dataclass(frozen=True, slots=True)
class UnitResult:
    """What the flow passes on: where the unit's documents are and what it counted."""

    unit_id: str
    input: dict  # uri (as recorded), kind, language, dump, size, sha256 [, md5, sha1]
    files: dict[str, str]  # language -> URI of the unit's Parquet file (one file for every language)
    counters: dict[str, dict[str, int]]  # stage -> counter -> value
    languages: dict[str, dict[str, int]]  # language -> documents, characters
    dropped: str | None = None  # with filters.keep_dropped: exclusion Parquet, relative to the dataset dir
    reused: bool = False


def _record(inp: InputFile) -> dict:
    return {"uri": inp.source_file, "kind": inp.kind, "language": inp.language, "dump": inp.dump,
            "source_index": inp.source_index}


def _published(inp: InputFile) -> dict[str, str]:
    return {k: v for k, v in (("md5", inp.md5), ("sha1", inp.sha1)) if v}


def acquire(inp: InputFile, layout: BuildLayout, download_config=None) -> tuple[str, dict]:
    """Local path of the input (downloaded if remote) and its record for the manifest."""
    if not inp.is_remote:
        path = inp.uri[len("file://"):] if inp.uri.startswith("file://") else inp.uri
        if not os.path.exists(path):
            raise FileNotFoundError(f"sources[{inp.source_index}].files: input not found: {inp.source_file!r} ({path})")
        digest, size = sha256_file(path)
        return path, {**_record(inp), "size": size, "sha256": digest}
    checksums = _published(inp)
    got = download_with_receipt(inp.uri, layout.cache_path(inp.uri), expected_size=inp.size,
                                checksums=checksums or None, config=download_config or DownloadConfig())
    return got.path, {**_record(inp), "size": got.size, "sha256": got.sha256, **checksums}


def cached_record(inp: InputFile, layout: BuildLayout) -> dict | None:
    """The record `acquire` would return for a remote input, from the receipt of an earlier
    complete download (the file itself may be gone); None when there is none to trust."""
    if not inp.is_remote:
        return None
    checksums = _published(inp)
    receipt = read_receipt(layout.cache_path(inp.uri), uri=inp.uri, expected_size=inp.size, checksums=checksums)
    if receipt is None:
        return None
    return {**_record(inp), "size": receipt["size"], "sha256": receipt["sha256"], **checksums}


def unit_id(record: dict, spec) -> str:
    """Everything that decides this unit's output: input bytes, how it is read, the stage
    settings, and the code. Changing any of them gives a new unit (old ones are never reused)."""
    key = {
        "input": {k: record[k] for k in ("sha256", "kind", "language", "dump", "uri")},
        "languages": sorted(spec.languages),
        "langid": spec.section("langid"),
        "filters": spec.section("filters"),
        "code": code_version(),
    }
    return hashlib.sha256(canonical_json(key)).hexdigest()[:20]


def build_unit(inp: InputFile, spec, layout: BuildLayout, download_config=None,
               markers: StepMarkers | None = None) -> UnitResult:
    """Build (or reuse) the unit of `inp`. `markers`: the units' StepMarkers (`layout.units_dir`),
    shared by callers that build many units so the marker folder is listed once.

    A remote input is downloaded only when its unit is not done: the receipt of an earlier
    download gives its sha256, hence the unit id. Once the unit is done the cached copy is deleted
    (unless `download.keep_cache`)."""
    markers = markers or StepMarkers(layout.units_dir)
    record = cached_record(inp, layout)
    payload = markers.result(unit_id(record, spec)) if record else None
    reused = payload is not None
    if not reused:
        path, record = acquire(inp, layout, download_config)
        uid = unit_id(record, spec)
        payload, reused = run_step(markers, uid, _process, inp, path, record, uid, spec, layout)
    if inp.is_remote and not layout.keep_cache:
        evict(layout.cache_path(inp.uri))  # its documents are in the unit now; the receipt stays
    return UnitResult(**payload, reused=reused)


def _process(inp: InputFile, path: str, record: dict, uid: str, spec, layout: BuildLayout) -> dict:
    """The unit's files, then its UnitResult as the marker stores it (without `reused`)."""
    out_dir = layout.unit_dir(uid)
    out_fs, out_path = fs_and_path(out_dir)
    if out_fs.exists(out_path):
        # a killed earlier attempt leaves its temp files here (kill -9 skips atomic_open's cleanup);
        # the folder is this step's alone and is rewritten whole
        out_fs.rm(out_path, recursive=True)
    keep_dropped = spec.section("filters").get("keep_dropped")
    stats = {"extract": Counter(), "langid": Counter(), "filters": Counter()}
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(DroppedWriter(join(out_dir, DROPPED))) if keep_dropped else None
        docs = _extract(inp, path, stats["extract"])
        lid = LanguageIdentifier(LangIdConfig.from_spec(spec.section("langid")))
        docs = identify(docs, lid, frozenset(spec.languages), stats["langid"])
        docs = _filter(docs, spec, stats["filters"], sink)
        uri = join(out_dir, DOCUMENTS)
        totals = write_documents(docs, uri)
    if stats["extract"]["read"] == 0:
        log.warning("%s: no documents could be read", inp.source_file)
    return {
        "unit_id": uid,
        "input": record,
        "files": {lang: uri for lang in totals},
        "counters": {k: dict(sorted(v.items())) for k, v in stats.items()},
        "languages": totals,
        "dropped": f"_work/units/{uid}/{DROPPED}" if keep_dropped else None,
    }


def _extract(inp: InputFile, path: str, stats: Counter) -> Iterator[Document]:
    if inp.kind == "wikipedia":
        return iter_wikipedia(path, language=inp.language, dump=inp.dump, source_file=inp.source_file,
                              config=WikiExtractConfig(), stats=stats)
    config = WarcExtractConfig(html=inp.kind == "warc")
    return iter_warc(path, dump=inp.dump, source_file=inp.source_file, config=config, stats=stats)


def _filter(docs: Iterator[Document], spec, stats: Counter, sink=None) -> Iterator[Document]:
    section = spec.section("filters")
    if not section or not section.get("enabled", True):
        yield from _count_kept(docs, stats)
        return
    # The filters judge a batch of one language at once (vectorised): buffer per language. Rows of
    # a language keep input order, which is all the unit file keeps.
    configs: dict[str, object] = {}
    buffers: dict[str, list[Document]] = {}
    for doc in docs:
        if doc.language not in configs:
            configs[doc.language] = FilterConfig.from_spec(section, doc.language)
        buf = buffers.setdefault(doc.language, [])
        buf.append(doc)
        if len(buf) >= FILTER_BATCH_DOCS:
            yield from apply_filters(buf, configs[doc.language], stats, sink)
            buffers[doc.language] = []
    for lang in sorted(buffers):
        yield from apply_filters(buffers[lang], configs[lang], stats, sink)


def _count_kept(docs, stats):
    for doc in docs:
        stats["read"] += 1
        stats["kept"] += 1
        yield doc


def write_documents(docs: Iterator[Document], uri: str, batch_rows: int | None = None) -> dict[str, dict[str, int]]:
    """Stream `docs` into one Parquet file (Document SCHEMA, zstd), atomically. Each row group holds
    one language: a language's buffer is written when it reaches `batch_rows` (default _BATCH_ROWS),
    the remaining buffers at the end in sorted language order. Memory: batch_rows x languages
    documents, whatever the input size. Rows of one language keep input order (dedup keeps the
    first occurrence). Returns {language: {documents, characters}}, languages sorted."""
    batch_rows = batch_rows or _BATCH_ROWS
    buffers: dict[str, list[Document]] = {}
    totals: dict[str, dict[str, int]] = {}
    level = ShardConfig().compression_level
    with atomic_open(uri, "wb") as f, pq.ParquetWriter(
        f, SCHEMA, compression="zstd", compression_level=level, write_statistics=True
    ) as writer:

        def flush(buf: list[Document]) -> None:
            writer.write_table(to_table(buf), row_group_size=len(buf))
            buf.clear()

        for doc in docs:
            buf = buffers.setdefault(doc.language, [])
            buf.append(doc)
            t = totals.setdefault(doc.language, {"documents": 0, "characters": 0})
            t["documents"] += 1
            t["characters"] += len(doc.text)
            if len(buf) >= batch_rows:
                flush(buf)
        for lang in sorted(buffers):
            if buffers[lang]:
                flush(buffers[lang])
    return {k: totals[k] for k in sorted(totals)}
