"""Exact dedup, CCNet style: every line (or paragraph) and every whole document is normalised
and hashed; across all units of a language only the first occurrence (unit order, then row, then
segment) survives. Three stages, each a unit of work for the flow:

  exact_signatures(unit)      -> sig_dir/<unit>/part-<p>.arrow   (hash, row, seg) per partition
  exact_find_duplicates(p)    -> dup_dir/<unit>/part-<p>.arrow   (row, seg) to drop
  exact_remove(unit)          -> out Parquet (rows of the language, duplicates removed)

Memory: the per-unit stages hold one batch of rows; the find stage holds one partition
(~16 bytes × segments / partitions)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from ..io import exists, join, read_json, write_json
from .config import ExactDedupConfig
from .hashing import hash_strings, normalize
from .units import (glob, iter_unit_batches, ranked_units, read_arrays, shard_stats, unit_done,
                    unit_id, write_arrays, write_shard, write_unit_marker)

DOC_SEG = -1  # `seg` value of whole-document hashes
_DOC_SEED = 0x5EED  # different seed: a document hash never equals a line hash by construction


def _part_name(p: int) -> str:
    return f"part-{p:05d}.arrow"


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


def exact_signatures(unit_path: str, language: str, out_dir: str, cfg: ExactDedupConfig, *,
                     unit_index: int | None = None) -> str:
    """Stage 1: hash the rows of `language` in one unit into `cfg.partitions` files under
    `out_dir/<unit id>/`. Returns that folder; skipped when already complete."""
    udir = join(out_dir, unit_id(unit_path))
    if unit_done(out_dir, unit_path):
        return udir
    rows_l, seg_l, hash_l = [], [], []
    n_rows = 0
    for rows, table in iter_unit_batches(unit_path, language, cfg.batch_rows, ["text"]):
        doc, seg, h = segment_hashes(table["text"].combine_chunks(), cfg)
        rows_l.append(rows[doc].astype(np.uint32))
        seg_l.append(seg)
        hash_l.append(h)
        n_rows += len(rows)
    row = np.concatenate(rows_l) if rows_l else np.zeros(0, np.uint32)
    seg = np.concatenate(seg_l) if seg_l else np.zeros(0, np.int32)
    h = np.concatenate(hash_l) if hash_l else np.zeros(0, np.uint64)
    part = (h >> np.uint64(40)) % np.uint64(cfg.partitions)
    order = np.argsort(part, kind="stable")
    row, seg, h, part = row[order], seg[order], h[order], part[order]
    bounds = np.searchsorted(part, np.arange(cfg.partitions + 1, dtype=np.uint64))
    for p in range(cfg.partitions):
        a, b = bounds[p], bounds[p + 1]
        if b > a:
            write_arrays(join(udir, _part_name(p)), {"hash": h[a:b], "row": row[a:b], "seg": seg[a:b]})
    write_unit_marker(out_dir, unit_path, unit_index, language=language, rows=n_rows, hashes=len(h))
    return udir


def exact_find_duplicates(partition: int, sig_dir: str, dup_dir: str, cfg: ExactDedupConfig) -> int:
    """Stage 2: for one hash partition over all units, mark every occurrence after the first.
    Writes `dup_dir/<unit id>/part-<p>.arrow` (row, seg) per unit; returns the duplicate count."""
    marker = join(dup_dir, "_partitions", f"part-{partition:05d}.json")
    if exists(marker):
        return read_json(marker)["duplicates"]
    units = ranked_units(sig_dir)
    hs, ranks, rows, segs = [], [], [], []
    for u in units:
        path = join(sig_dir, u["uid"], _part_name(partition))
        if not exists(path):
            continue
        a = read_arrays(path)
        hs.append(a["hash"]); rows.append(a["row"]); segs.append(a["seg"])
        ranks.append(np.full(len(a["hash"]), u["rank"], np.uint32))
    n_dup = 0
    if hs:
        h, rank, row, seg = map(np.concatenate, (hs, ranks, rows, segs))
        order = np.lexsort((seg, row, rank, h))  # last key sorts first: by hash, then position
        h, rank, row, seg = h[order], rank[order], row[order], seg[order]
        dup = np.zeros(len(h), bool)
        dup[1:] = h[1:] == h[:-1]
        rank, row, seg = rank[dup], row[dup], seg[dup]
        n_dup = int(dup.sum())
        for r in np.unique(rank):
            m = rank == r
            write_arrays(join(dup_dir, units[int(r)]["uid"], _part_name(partition)),
                         {"row": row[m], "seg": seg[m]})
    write_json(marker, {"duplicates": n_dup})
    return n_dup


def _load_drops(unit_path: str, dup_dir: str, cfg: ExactDedupConfig) -> tuple[set[int], dict[int, set[int]]]:
    """(rows dropped whole, {row: segments to remove}) for one unit."""
    done = glob(join(dup_dir, "_partitions", "part-*.json"))
    if len(done) < cfg.partitions:
        raise RuntimeError(f"exact dedup: {len(done)}/{cfg.partitions} partitions of {dup_dir} "
                           "are done; run exact_find_duplicates for every partition first")
    whole: set[int] = set()
    segs: dict[int, set[int]] = {}
    for path in glob(join(dup_dir, unit_id(unit_path), "part-*.arrow")):
        a = read_arrays(path)
        for r, s in zip(a["row"].tolist(), a["seg"].tolist()):
            if s == DOC_SEG:
                whole.add(r)
            else:
                segs.setdefault(r, set()).add(s)
    return whole, segs


def exact_remove(unit_path: str, language: str, dup_dir: str, out_path: str,
                 cfg: ExactDedupConfig) -> Counter:
    """Stage 3: write the unit's rows of `language` without duplicate documents and segments.
    Returns counters: read, kept, dropped.exact_document, dropped.exact_all_segments,
    segments_removed.exact, bytes.read, bytes.kept. Skipped (same counters) when out exists."""
    if exists(out_path):
        return shard_stats(out_path)
    whole, segs = _load_drops(unit_path, dup_dir, cfg)
    stats: Counter = Counter()
    sep = cfg.separator

    def tables():
        for rows, table in iter_unit_batches(unit_path, language, cfg.batch_rows):
            texts = table["text"].to_pylist()
            keep = np.ones(len(rows), bool)
            for i, r in enumerate(rows.tolist()):
                stats["read"] += 1
                stats["bytes.read"] += len(texts[i].encode())
                if r in whole:
                    keep[i] = False
                    stats["dropped.exact_document"] += 1
                    continue
                drop = segs.get(r)
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
            table = table.set_column(table.schema.get_field_index("text"), "text",
                                     pa.array(texts, pa.string()))
            yield table.filter(pa.array(keep))

    return write_shard(out_path, tables(), stats)


def run_exact_dedup(unit_paths: list[str], language: str, work_dir: str,
                    cfg: ExactDedupConfig) -> tuple[list[str], Counter]:
    """All three stages in-process over the ordered `unit_paths` (tests, CLI, benchmarks).
    Returns one output Parquet per unit (same order) and the summed counters."""
    base = join(work_dir, "exact", language)
    sig_dir, dup_dir = join(base, "signatures"), join(base, "duplicates")
    for i, u in enumerate(unit_paths):
        exact_signatures(u, language, sig_dir, cfg, unit_index=i)
    for p in range(cfg.partitions):
        exact_find_duplicates(p, sig_dir, dup_dir, cfg)
    outs, total = [], Counter()
    for i, u in enumerate(unit_paths):
        out = join(base, "out", f"{i:05d}-{unit_id(u)}.parquet")
        total.update(exact_remove(u, language, dup_dir, out, cfg))
        outs.append(out)
    return outs, total
