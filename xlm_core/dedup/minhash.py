"""Near-duplicate dedup with MinHash LSH, in four stages (each a unit of work for the flow):

  minhash_signatures(unit)   -> sig_dir/<unit>/part-<p>.arrow (bucket key, row) per partition
                                + docs.arrow (signature, distinct shingles per doc)
  minhash_buckets(p)         -> bucket_dir/part-<p>.arrow     verified duplicate edges (node, node)
  minhash_clusters()         -> cluster_dir/<unit>.arrow       (row, cluster, keep) by union-find
  minhash_remove(unit)       -> out Parquet, one document kept per cluster, `dup_cluster` set

Signatures: word 5-grams (char 5-grams for zh/ja/th) hashed with seeded xxh3, then a standard
K-permutation MinHash computed by `rensa` (Rust) from those hashes, seeded: the same text gives the
same signature on every run and machine. A bucket key is a hash of (band, its `rows` values)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..io import atomic_open, exists, join
from .clusters import minhash_clusters, load_unit_clusters
from .config import MinHashConfig
from .hashing import combine
from .lsh import DOCS_FILE, minhash_buckets
from .shingles import shingle_hashes, unique_per_doc
from .units import (iter_unit_batches, shard_stats, unit_done, unit_id, write_arrays, write_shard,
                    write_unit_marker)

__all__ = ["minhash_signatures", "minhash_buckets", "minhash_clusters", "minhash_remove",
           "run_minhash_dedup", "signatures", "band_keys"]


def _rensa():
    try:
        import rensa
    except ImportError as exc:  # pragma: no cover - rensa is a dependency
        raise ImportError("near-dedup needs the 'rensa' package (pip install rensa)") from exc
    return rensa


def signatures(hashes: np.ndarray, offsets: np.ndarray, cfg: MinHashConfig) -> np.ndarray:
    """MinHash signatures (docs, permutations) uint32 of non-empty shingle sets."""
    if len(offsets) <= 1:
        return np.zeros((0, cfg.permutations), np.uint32)
    m = _rensa().RMinHash.digest_matrix_from_flat_token_hashes(
        hashes, offsets.astype(np.uint64), cfg.permutations, cfg.seed)
    return np.asarray(m.to_rows(), np.uint32).reshape(-1, cfg.permutations)


def band_keys(sig: np.ndarray, cfg: MinHashConfig) -> np.ndarray:
    """Bucket key per (doc, band), shape (docs, bands) uint64: a hash of the band number and its
    `rows` signature values, so equal keys mean "identical band" (up to 2^-64 collisions)."""
    d = sig.shape[0]
    bands = sig.reshape(d * cfg.bands, cfg.rows).astype(np.uint64)  # (docs * bands, rows)
    band_no = np.tile(np.arange(cfg.bands, dtype=np.uint64), d)
    return combine([band_no] + [bands[:, r] for r in range(cfg.rows)]).reshape(d, cfg.bands)


def minhash_signatures(unit_path: str, language: str, out_dir: str, cfg: MinHashConfig, *,
                       unit_index: int | None = None) -> str:
    """Stage 1 for one unit: bucket keys of its rows of `language`, split into `cfg.partitions`
    files, plus their distinct shingles when `cfg.verify`. Returns `out_dir/<unit id>`; skipped
    when complete. Documents without any token (empty after normalisation) are not signed."""
    udir = join(out_dir, unit_id(unit_path))
    if unit_done(out_dir, unit_path):
        return udir
    char_based = language.split("-")[0].split("_")[0] in cfg.char_languages
    n = cfg.char_ngram if char_based else cfg.ngram
    keys_l, rows_l, sh_rows, sh_vals, sh_lens, sigs = [], [], [], [], [], []
    n_rows = n_empty = 0
    for rows, table in iter_unit_batches(unit_path, language, cfg.batch_rows, ["text"]):
        n_rows += len(rows)
        texts = pc.utf8_slice_codeunits(table["text"].combine_chunks(), 0, cfg.max_doc_chars)
        hashes, offsets = shingle_hashes(texts, n, char_based, cfg.seed)
        counts = np.diff(offsets)
        has = counts > 0
        n_empty += int((~has).sum())
        offsets = np.concatenate([[0], offsets[1:][has]])  # empty docs own no hash: just skip them
        rows = rows[has].astype(np.uint32)
        sig = signatures(hashes, offsets, cfg)  # (docs, permutations)
        keys = band_keys(sig, cfg)  # (docs, bands)
        keys_l.append(keys.reshape(-1))
        rows_l.append(np.repeat(rows, cfg.bands))
        if cfg.verify:
            uniq, uoff = unique_per_doc(hashes, offsets)
            sh_rows.append(rows); sh_vals.append(uniq); sh_lens.append(np.diff(uoff)); sigs.append(sig)
    key = np.concatenate(keys_l) if keys_l else np.zeros(0, np.uint64)
    row = np.concatenate(rows_l) if rows_l else np.zeros(0, np.uint32)
    band = np.tile(np.arange(cfg.bands, dtype=np.uint8), len(key) // cfg.bands)
    part = (key >> np.uint64(40)) % np.uint64(cfg.partitions)
    order = np.argsort(part, kind="stable")
    key, row, band, part = key[order], row[order], band[order], part[order]
    bounds = np.searchsorted(part, np.arange(cfg.partitions + 1, dtype=np.uint64))
    for p in range(cfg.partitions):
        a, b = bounds[p], bounds[p + 1]
        if b > a:
            write_arrays(join(udir, f"part-{p:05d}.arrow"),
                         {"key": key[a:b], "row": row[a:b], "band": band[a:b]})
    if cfg.verify:
        sig = np.concatenate(sigs) if sigs else np.zeros((0, cfg.permutations), np.uint32)
        _write_docs(join(udir, DOCS_FILE), sh_rows, sh_vals, sh_lens, sig)
    write_unit_marker(out_dir, unit_path, unit_index, language=language, rows=n_rows,
                      no_shingles=n_empty, rensa_algorithm=int(_rensa().RMinHash.ALGORITHM_VERSION))
    return udir


def _write_docs(uri: str, rows: list, vals: list, lens: list, sig: np.ndarray) -> None:
    """One row per signed document: row number, signature (permutations,) uint32 and sorted
    distinct shingles (list<uint64>), read back by the bucket stage to verify candidates."""
    row = np.concatenate(rows) if rows else np.zeros(0, np.uint32)
    val = np.concatenate(vals) if vals else np.zeros(0, np.uint64)
    off = np.zeros(len(row) + 1, np.int64)
    if len(row):
        np.cumsum(np.concatenate(lens), out=off[1:])
    table = pa.table({
        "row": pa.array(row),
        "sig": pa.FixedSizeListArray.from_arrays(pa.array(sig.reshape(-1), pa.uint32()), sig.shape[1]),
        "shingles": pa.LargeListArray.from_arrays(pa.array(off), pa.array(val, pa.uint64())),
    })
    with atomic_open(uri, "wb") as f, pa.ipc.new_file(f, table.schema) as w:
        w.write_table(table)


def minhash_remove(unit_path: str, language: str, cluster_dir: str, out_path: str,
                   cfg: MinHashConfig) -> Counter:
    """Stage 4: write the unit's rows of `language`, dropping every cluster member but the first
    (lowest (unit, row)); kept members get `dup_cluster` = cluster id. Returns counters: read,
    kept, dropped.near_duplicate, bytes.read, bytes.kept. Skipped (same counters) when done."""
    if exists(out_path):
        return shard_stats(out_path)
    cl = load_unit_clusters(unit_path, cluster_dir)  # {row: (cluster, keep)}
    stats: Counter = Counter()

    def tables():
        for rows, table in iter_unit_batches(unit_path, language, cfg.batch_rows):
            lengths = pc.binary_length(table["text"]).to_numpy(zero_copy_only=False)
            keep = np.ones(len(rows), bool)
            cluster = table["dup_cluster"].to_pylist()
            for i, r in enumerate(rows.tolist()):
                stats["read"] += 1
                stats["bytes.read"] += int(lengths[i])
                if r in cl:
                    cluster[i], keep[i] = cl[r]
                    if not keep[i]:
                        stats["dropped.near_duplicate"] += 1
                        continue
                stats["kept"] += 1
                stats["bytes.kept"] += int(lengths[i])
            table = table.set_column(table.schema.get_field_index("dup_cluster"), "dup_cluster",
                                     pa.array(cluster, pa.int64()))
            yield table.filter(pa.array(keep))

    return write_shard(out_path, tables(), stats)


def run_minhash_dedup(unit_paths: list[str], language: str, work_dir: str,
                      cfg: MinHashConfig) -> tuple[list[str], Counter]:
    """All four stages in-process over the ordered `unit_paths` (tests, CLI, benchmarks).
    Returns one output Parquet per unit (same order) and the summed counters."""
    base = join(work_dir, "minhash", language)
    sig_dir, bucket_dir, cluster_dir = (join(base, d) for d in ("signatures", "buckets", "clusters"))
    for i, u in enumerate(unit_paths):
        minhash_signatures(u, language, sig_dir, cfg, unit_index=i)
    for p in range(cfg.partitions):
        minhash_buckets(p, sig_dir, bucket_dir, cfg)
    minhash_clusters(sig_dir, bucket_dir, cluster_dir, cfg)
    outs, total = [], Counter()
    for i, u in enumerate(unit_paths):
        out = join(base, "out", f"{i:05d}-{unit_id(u)}.parquet")
        total.update(minhash_remove(u, language, cluster_dir, out, cfg))
        outs.append(out)
    return outs, total
