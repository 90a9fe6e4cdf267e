"""First half of the build, one input file at a time: acquire -> extract -> language ID -> filters
-> one Parquet file per language under `_work/units/<unit_id>/`."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import pyarrow as pa

from xlm_core.acquire.download import DownloadConfig, download
from xlm_core.dataset.inputs import InputFile
from xlm_core.dataset.layout import BuildLayout
from xlm_core.document import Document, to_table
# Imported here, not lazily in the worker threads: concurrent first imports of one module from
# several task threads can raise importlib's _DeadlockError.
from xlm_core.extract.warc import WarcExtractConfig, iter_warc
from xlm_core.extract.wikipedia import WikiExtractConfig, iter_wikipedia
from xlm_core.filters import DroppedWriter, FilterConfig, apply_filters
from xlm_core.io import canonical_json, exists, join, read_json, sha256_file, write_json
from xlm_core.langid import LangIdConfig, LanguageIdentifier, identify
from xlm_core.shards.manifest import code_version
from xlm_core.shards.writer import ShardConfig, write_parquet

log = logging.getLogger(__name__)

DONE = "done.json"
DROPPED = "dropped.parquet"
_BATCH_ROWS = 5_000


@dataclass(frozen=True, slots=True)
class UnitResult:
    """What the flow passes on: where the unit's per-language files are and what it counted."""

    unit_id: str
    input: dict  # uri (as recorded), kind, language, dump, size, sha256 [, md5, sha1]
    files: dict[str, str]  # language -> Parquet URI of this unit's documents in that language
    counters: dict[str, dict[str, int]]  # stage -> counter -> value
    languages: dict[str, dict[str, int]]  # language -> documents, characters
    dropped: str | None = None  # with filters.keep_dropped: exclusion Parquet, relative to the dataset dir
    reused: bool = False


def acquire(inp: InputFile, layout: BuildLayout, download_config=None) -> tuple[str, dict]:
    """Local path of the input (downloaded if remote) and its record for the manifest."""
    record = {"uri": inp.source_file, "kind": inp.kind, "language": inp.language, "dump": inp.dump,
              "source_index": inp.source_index}
    if not inp.is_remote:
        path = inp.uri[len("file://"):] if inp.uri.startswith("file://") else inp.uri
        if not os.path.exists(path):
            raise FileNotFoundError(f"sources[{inp.source_index}].files: input not found: {inp.source_file!r} ({path})")
        digest, size = sha256_file(path)
        return path, {**record, "size": size, "sha256": digest}
    dest = join(layout.cache_dir, hashlib.sha256(inp.uri.encode()).hexdigest()[:16], os.path.basename(inp.uri))
    checksums = {k: v for k, v in (("md5", inp.md5), ("sha1", inp.sha1)) if v}
    got = download(inp.uri, dest, expected_size=inp.size, checksums=checksums or None,
                   config=download_config or DownloadConfig())
    record.update(size=got.size, sha256=got.sha256, **checksums)
    return got.path, record


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


def build_unit(inp: InputFile, spec, layout: BuildLayout, download_config=None) -> UnitResult:
    path, record = acquire(inp, layout, download_config)
    uid = unit_id(record, spec)
    out_dir = layout.unit_dir(uid)
    marker = join(out_dir, DONE)
    if exists(marker):
        return UnitResult(**read_json(marker), reused=True)

    stats = {"extract": Counter(), "langid": Counter(), "filters": Counter()}
    with contextlib.ExitStack() as stack:
        sink = None
        if spec.section("filters").get("keep_dropped"):
            sink = stack.enter_context(DroppedWriter(join(out_dir, DROPPED)))
        docs = _extract(inp, path, stats["extract"])
        lid = LanguageIdentifier(LangIdConfig.from_spec(spec.section("langid")))
        docs = identify(docs, lid, frozenset(spec.languages), stats["langid"])
        docs = _filter(docs, spec, stats["filters"], sink)
        files, totals = _write_by_language(docs, out_dir, uid)
    if stats["extract"]["read"] == 0:
        log.warning("%s: no documents could be read", inp.source_file)
    result = UnitResult(
        unit_id=uid,
        input=record,
        files=files,
        counters={k: dict(sorted(v.items())) for k, v in stats.items()},
        languages=totals,
        dropped=f"_work/units/{uid}/{DROPPED}" if spec.section("filters").get("keep_dropped") else None,
    )
    payload = asdict(result)
    payload.pop("reused")
    write_json(marker, payload)  # last: its presence means the unit is complete
    return result


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
    configs: dict[str, object] = {}
    for doc in docs:
        config = configs.get(doc.language)
        if config is None:
            config = configs[doc.language] = FilterConfig.from_spec(section, doc.language)
        yield from apply_filters([doc], config, stats, sink)


def _count_kept(docs, stats):
    for doc in docs:
        stats["read"] += 1
        stats["kept"] += 1
        yield doc


def _write_by_language(docs: Iterator[Document], out_dir: str, uid: str):
    """Buffer per language and write one Parquet file per language (rows in input order)."""
    buffers: dict[str, list[Document]] = {}
    tables: dict[str, list[pa.Table]] = {}
    totals: dict[str, dict[str, int]] = {}
    for doc in docs:
        buf = buffers.setdefault(doc.language, [])
        buf.append(doc)
        t = totals.setdefault(doc.language, {"documents": 0, "characters": 0})
        t["documents"] += 1
        t["characters"] += len(doc.text)
        if len(buf) >= _BATCH_ROWS:
            tables.setdefault(doc.language, []).append(to_table(buf))
            buffers[doc.language] = []
    files = {}
    for lang in sorted(totals):
        parts = tables.get(lang, []) + ([to_table(buffers[lang])] if buffers.get(lang) else [])
        uri = join(out_dir, f"{lang}.parquet")
        write_parquet(uri, pa.concat_tables(parts), ShardConfig())
        files[lang] = uri
    return files, {k: totals[k] for k in sorted(totals)}
