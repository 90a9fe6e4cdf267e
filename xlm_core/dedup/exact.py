"""Exact dedup, CCNet style: every line (or paragraph) and every whole document is normalised
and hashed; across all sources of a language only the first occurrence (source rank, then row,
then segment) survives. Three stages, each a set of independent steps for the flow:

  exact_signatures(group)     -> sig_dir/part-<p>/group-<g>.arrow  (hash, lang, rank, row, seg)
  exact_find_duplicates(p)    -> dup_dir/part-<p>/group-<g>.arrow  (rank, row, seg) to drop
  exact_remove(group)         -> out_dir/<lang>/group-<g>.parquet  (duplicates removed)

Memory: the per-group stages hold one batch of rows; the find stage holds one partition
(~24 bytes × segments / partitions). Every step marks itself done in its stage's `_done/`."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from ..io import join
from ..steps import StepMarkers
from .config import ExactDedupConfig
from .hashing import hash_strings, normalize
from .units import (LanguageWriter, PartitionWriter, group_bounds, group_name, iter_unit_batches,
                    language_index, part_name, read_arrays, read_partition, write_arrays, glob)

DOC_SEG = -1  # `seg` value of whole-document hashes
_DOC_SEED = 0x5EED  # different seed: a document hash never equals a line hash by construction
_SIG_SCHEMA = pa.schema([("hash", pa.uint64()), ("lang", pa.uint16()), ("rank", pa.uint32()),
                         ("row", pa.uint32()), ("seg", pa.int32())])

def segment_hashes(texts: pa.Array, cfg: ExactDedupConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(doc, seg, hash) of the non-empty normalised segments of `texts`, plus one (doc, -1, hash)
    per document when `whole_document`. Shapes (m,), int64/int32/uint64."""
    parts = pc.split_pattern(texts, cfg.separator)  # list<string>, one list per document
    offsets = parts.offsets.to_numpy()
    offsets = offsets - offsets[0]  # a sliced list array does not start at 0
    flat = parts.flatten()
    norm = normalize(flat)
    h = hash_strings(norm)
    n_per_doc = np.diff(offsets)
    doc = np.repeat(np.arange(len(texts)), n_per_doc)
    seg = (np.arange(len(flat)) - np.repeat(offsets[:-1], n_per_doc)).astype(np.int32)
    keep = pc.utf8_length(norm).to_numpy(zero_copy_only=False) >= max(1, cfg.min_segment_chars)
    doc, seg, h = doc[keep], seg[keep], h[keep]
    if not cfg.whole_document or len(doc) == 0:
        return doc, seg, h
    # Whole document = the sequence of its non-empty normalised segments.
    bounds = np.searchsorted(doc, np.arange(len(texts) + 1))
    docs = [d for d in range(len(texts)) if bounds[d + 1] > bounds[d]]
    dh = np.fromiter((xxhash.xxh3_64_intdigest(h[bounds[d]:bounds[d + 1]].tobytes(), _DOC_SEED)
                      for d in docs), np.uint64, count=len(docs))
    return (np.concatenate([doc, np.array(docs, np.int64)]),
            np.concatenate([seg, np.full(len(docs), DOC_SEG, np.int32)]),
            np.concatenate([h, dh]))


def exact_signatures(group: int, sources: list[tuple[int, str]], languages: list[str], sig_dir: str,
                     cfg: ExactDedupConfig) -> dict:
    """Stage 1 for one group of (rank, source URI): hash the rows of every wanted language into
    `cfg.partitions` files. Skipped when done; returns {rows, hashes, languages: rows per language}."""
    markers, name = StepMarkers(sig_dir), group_name(group)
    if (done := markers.result(name)) is not None:
        return done
    n_rows = n_hashes = 0
    per_lang: Counter = Counter()
    with PartitionWriter(sig_dir, name, cfg.partitions, _SIG_SCHEMA) as out:
        for rank, uri in sources:
            for rows, table in iter_unit_batches(uri, None, cfg.batch_rows, ["text"]):
                lang = language_index(table, languages)
                wanted = lang >= 0
                doc, seg, h = segment_hashes(table["text"].filter(pa.array(wanted)).combine_chunks(), cfg)
                rows, lang = rows[wanted], lang[wanted]
                n_rows += len(rows)
                per_lang.update(languages[i] for i in lang.tolist())
                n_hashes += len(h)
                if len(h):
                    out.write((h >> np.uint64(40)) % np.uint64(cfg.partitions),
                              {"hash": h, "lang": lang[doc], "rank": np.full(len(h), rank),
                               "row": rows[doc], "seg": seg})
    result = {"rows": n_rows, "hashes": n_hashes, "languages": dict(sorted(per_lang.items()))}
    markers.mark(name, result)
    return result


def exact_find_duplicates(partition: int, sig_dir: str, dup_dir: str, bounds: list[int],
                          cfg: ExactDedupConfig) -> int:
    """Stage 2 for one hash partition over all groups: mark every occurrence after the first of a
    (language, hash). Writes `dup_dir/part-<p>/group-<g>.arrow` (rank, row, seg) for each group
    (`bounds` from `group_bounds`) with duplicates; returns the duplicate count."""
    markers, name = StepMarkers(dup_dir), part_name(partition)
    if (done := markers.result(name)) is not None:
        return done
    a = read_partition(sig_dir, partition)
    n_dup = 0
    if a:
        order = np.lexsort((a["seg"], a["row"], a["rank"], a["hash"], a["lang"]))  # last key first
        h, lang, rank, row, seg = (a[k][order] for k in ("hash", "lang", "rank", "row", "seg"))
        dup = np.zeros(len(h), bool)
        dup[1:] = (h[1:] == h[:-1]) & (lang[1:] == lang[:-1])
        rank, row, seg = rank[dup], row[dup], seg[dup]
        n_dup = int(dup.sum())
        owner = np.searchsorted(np.asarray(bounds), rank, side="right") - 1  # group of each rank
        for g in np.unique(owner).tolist():
            m = owner == g
            write_arrays(join(dup_dir, name, f"{group_name(g)}.arrow"),
                         {"rank": rank[m], "row": row[m], "seg": seg[m]})
    markers.mark(name, n_dup)
    return n_dup


def _load_drops(group: int, dup_dir: str, cfg: ExactDedupConfig) -> tuple[set, dict]:
    """({(rank, row)} dropped whole, {(rank, row): segments to remove}) for one group."""
    done = StepMarkers(dup_dir).done()
    if len(done) < cfg.partitions:
        raise RuntimeError(f"exact dedup: {len(done)}/{cfg.partitions} partitions of {dup_dir} "
                           "are done; run exact_find_duplicates for every partition first")
    whole: set[tuple[int, int]] = set()
    segs: dict[tuple[int, int], set[int]] = {}
    for path in glob(join(dup_dir, "part-*", f"{group_name(group)}.arrow")):
        a = read_arrays(path)
        for k, s in zip(zip(a["rank"].tolist(), a["row"].tolist()), a["seg"].tolist()):
            if s == DOC_SEG:
                whole.add(k)
            else:
                segs.setdefault(k, set()).add(s)
    return whole, segs


def exact_remove(group: int, sources: list[tuple[int, str]], languages: list[str], dup_dir: str,
                 out_dir: str, cfg: ExactDedupConfig) -> dict:
    """Stage 3 for one group: its rows of every wanted language without duplicate documents and
    segments, one file per language. Returns {files: {lang: uri}, stats: counters (read, kept,
    dropped.exact_document, dropped.exact_all_segments, segments_removed.exact, bytes.read,
    bytes.kept)}; skipped (same result) when done."""
    markers, name = StepMarkers(out_dir), group_name(group)
    if (done := markers.result(name)) is not None:
        return done
    whole, segs = _load_drops(group, dup_dir, cfg)
    stats: Counter = Counter()
    sep = cfg.separator
    with LanguageWriter(out_dir, group, languages) as out:
        for rank, uri in sources:
            for rows, table in iter_unit_batches(uri, None, cfg.batch_rows):
                lang = language_index(table, languages)
                texts = table["text"].to_pylist()
                keep = lang >= 0
                for i, r in enumerate(rows.tolist()):
                    if not keep[i]:
                        continue
                    stats["read"] += 1
                    stats["bytes.read"] += len(texts[i].encode())
                    if (rank, r) in whole:
                        keep[i] = False
                        stats["dropped.exact_document"] += 1
                        continue
                    drop = segs.get((rank, r))
                    if drop:
                        parts = texts[i].split(sep)
                        texts[i] = sep.join(p for j, p in enumerate(parts) if j not in drop)
                        stats["segments_removed.exact"] += len(drop)
                        if not texts[i].strip():
                            keep[i] = False
                            stats["dropped.exact_all_segments"] += 1
                            continue
                    stats["kept"] += 1
                    stats["bytes.kept"] += len(texts[i].encode())
                table = table.set_column(table.schema.get_field_index("text"), "text", pa.array(texts, pa.string()))
                for li in np.unique(lang[keep]).tolist():
                    out.write(languages[li], table.filter(pa.array(keep & (lang == li))))
    result = {"files": out.files, "stats": dict(sorted(stats.items()))}
    markers.mark(name, result)
    return result


def run_exact_dedup(unit_paths: list[str], language: str, work_dir: str,
                    cfg: ExactDedupConfig) -> tuple[list[str], Counter]:
    """All three stages in-process over the ordered `unit_paths`, one group per unit (tests,
    benchmarks). Returns one output Parquet per unit (same order) and the summed counters."""
    base = join(work_dir, "exact", language)
    sig_dir, dup_dir, out_dir = join(base, "signatures"), join(base, "duplicates"), join(base, "out")
    sources = list(enumerate(unit_paths))
    bounds = group_bounds(len(sources), len(sources))
    for g, s in enumerate(sources):
        exact_signatures(g, [s], [language], sig_dir, cfg)
    for p in range(cfg.partitions):
        exact_find_duplicates(p, sig_dir, dup_dir, bounds, cfg)
    outs, total = [], Counter()
    for g, s in enumerate(sources):
        r = exact_remove(g, [s], [language], dup_dir, out_dir, cfg)
        total.update(r["stats"])
        outs.append(r["files"][language])
    return outs, total
