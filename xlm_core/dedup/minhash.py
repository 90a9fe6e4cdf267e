"""Near-duplicate dedup with MinHash LSH, in four stages (each a set of independent steps):

  minhash_signatures(group)  -> sig_dir/part-<p>/group-<g>.arrow  (key, lang, rank, row, band)
                                + sig_dir/docs/r<rank>.arrow (signature, distinct shingles per doc)
  minhash_buckets(p)         -> bucket_dir/part-<p>.arrow          verified duplicate edges (node, node)
  clusters (clusters.py)     -> connected components, partitioned  (node, cluster, keep)
  minhash_remove(group)      -> out_dir/<lang>/group-<g>.parquet, one document kept per cluster

Signatures: word 5-grams (char 5-grams for zh/ja/th) hashed with seeded xxh3, then a standard
K-permutation MinHash computed by `rensa` (Rust) from those hashes, seeded: the same text gives the
same signature on every run and machine. A bucket key is a hash of (band, its `rows` values).
Documents of different languages are never compared."""

from __future__ import annotations

import contextlib
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..io import atomic_open, join
from ..steps import StepMarkers
from . import clusters as _clusters
from .config import MinHashConfig
from .hashing import combine
from .lsh import DOCS_FILE, DocStore, candidate_pairs, node_keys, verified_pairs
from .shingles import shingle_hashes, unique_per_doc
from .units import (LanguageWriter, PartitionWriter, group_bounds, group_name, iter_unit_batches,
                    language_index, part_name, read_partition, write_arrays)

__all__ = ["minhash_signatures", "minhash_buckets", "minhash_remove", "run_minhash_dedup",
           "signatures", "band_keys", "docs_uri"]

_SIG_SCHEMA = pa.schema([("key", pa.uint64()), ("lang", pa.uint16()), ("rank", pa.uint32()),
                         ("row", pa.uint32()), ("band", pa.uint8())])


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


def docs_uri(sig_dir: str, rank: int) -> str:
    return join(sig_dir, rank_dir(rank), DOCS_FILE)


def rank_dir(rank: int) -> str:
    return f"docs/r{rank:07d}"


def _char_based(language: str, cfg: MinHashConfig) -> bool:
    return language.split("-")[0].split("_")[0] in cfg.char_languages


def _docs_schema(cfg: MinHashConfig) -> pa.Schema:
    return pa.schema([("row", pa.uint32()), ("sig", pa.list_(pa.uint32(), cfg.permutations)),
                      ("shingles", pa.large_list(pa.uint64()))])


def minhash_signatures(group: int, sources: list[tuple[int, str]], languages: list[str], sig_dir: str,
                       cfg: MinHashConfig) -> dict:
    """Stage 1 for one group of (rank, source URI): bucket keys of the rows of every wanted
    language, split into `cfg.partitions` files, plus each source's signatures and distinct
    shingles when `cfg.verify` (streamed: memory is one batch). Documents without any token
    (empty after normalisation) are not signed. Skipped when done; returns {rows, no_shingles}."""
    markers, name = StepMarkers(sig_dir), group_name(group)
    if (done := markers.result(name)) is not None:
        return done
    n_rows = n_empty = 0
    with PartitionWriter(sig_dir, name, cfg.partitions, _SIG_SCHEMA) as out:
        for rank, uri in sources:
            with contextlib.ExitStack() as stack:
                docs = None
                if cfg.verify:
                    f = stack.enter_context(atomic_open(docs_uri(sig_dir, rank), "wb"))
                    docs = stack.enter_context(pa.ipc.new_file(f, _docs_schema(cfg)))
                for rows, table in iter_unit_batches(uri, None, cfg.batch_rows, ["text"]):
                    lang = language_index(table, languages)
                    signed = []
                    for li in np.unique(lang[lang >= 0]).tolist():
                        m = lang == li
                        n_rows += int(m.sum())
                        got, empty = _sign(rows[m], table["text"].filter(pa.array(m)).combine_chunks(),
                                           li, languages[li], rank, cfg, out)
                        n_empty += empty
                        signed.extend(got)
                    if docs is not None and signed:
                        docs.write_batch(_docs_batch(signed, cfg))
    result = {"rows": n_rows, "no_shingles": n_empty,
              "rensa_algorithm": int(_rensa().RMinHash.ALGORITHM_VERSION)}
    markers.mark(name, result)
    return result


def _sign(rows, texts, li: int, language: str, rank: int, cfg: MinHashConfig, out) -> tuple[list, int]:
    """Sign one batch of one language, write its bucket keys; returns ([(row, signature,
    distinct shingles)] for the docs file, documents without any shingle)."""
    char_based = _char_based(language, cfg)
    texts = pc.utf8_slice_codeunits(texts, 0, cfg.max_doc_chars)
    hashes, offsets = shingle_hashes(texts, cfg.char_ngram if char_based else cfg.ngram, char_based, cfg.seed)
    has = np.diff(offsets) > 0
    offsets = np.concatenate([[0], offsets[1:][has]])  # empty docs own no hash: just skip them
    rows = rows[has].astype(np.uint32)
    n_empty = int((~has).sum())
    if not len(rows):
        return [], n_empty
    sig = signatures(hashes, offsets, cfg)  # (docs, permutations)
    keys = band_keys(sig, cfg).reshape(-1)  # (docs * bands,)
    out.write((keys >> np.uint64(40)) % np.uint64(cfg.partitions),
              {"key": keys, "lang": np.full(len(keys), li), "rank": np.full(len(keys), rank),
               "row": np.repeat(rows, cfg.bands), "band": np.tile(np.arange(cfg.bands), len(rows))})
    if not cfg.verify:
        return [], n_empty
    uniq, uoff = unique_per_doc(hashes, offsets)
    return [(rows[d], sig[d], uniq[uoff[d]:uoff[d + 1]]) for d in range(len(rows))], n_empty


def _docs_batch(signed: list, cfg: MinHashConfig) -> pa.RecordBatch:
    """One docs-file batch in row order (the bucket stage finds a document by binary search)."""
    signed.sort(key=lambda x: int(x[0]))
    lens = np.array([len(x[2]) for x in signed], np.int64)
    off = np.zeros(len(signed) + 1, np.int64)
    np.cumsum(lens, out=off[1:])
    return pa.record_batch([
        pa.array(np.array([x[0] for x in signed], np.uint32)),
        pa.FixedSizeListArray.from_arrays(pa.array(np.concatenate([x[1] for x in signed]), pa.uint32()),
                                          cfg.permutations),
        pa.LargeListArray.from_arrays(pa.array(off), pa.array(np.concatenate([x[2] for x in signed]), pa.uint64())),
    ], schema=_docs_schema(cfg))


def minhash_buckets(partition: int, sig_dir: str, bucket_dir: str, n_sources: int, cfg: MinHashConfig) -> int:
    """Stage 2 for one partition: duplicate edges (a, b) between documents (node keys) of the same
    language, written to `bucket_dir/part-<p>.arrow`. Returns the edge count; skipped when done."""
    markers, name = StepMarkers(bucket_dir), part_name(partition)
    if (done := markers.result(name)) is not None:
        return done
    arr = read_partition(sig_dir, partition)
    a_l, b_l = [np.zeros(0, np.uint64)], [np.zeros(0, np.uint64)]
    if arr:
        nodes = node_keys(0, arr["row"]) | (arr["rank"].astype(np.uint64) << np.uint64(32))
        store = DocStore(sig_dir, [{"uid": rank_dir(r)} for r in range(n_sources)]) if cfg.verify else None
        for li in np.unique(arr["lang"]).tolist():
            m = arr["lang"] == li
            a, b, band = candidate_pairs(arr["key"][m], nodes[m], arr["band"][m], cfg.max_pairwise_bucket)
            if store is not None and len(a):
                a, b = verified_pairs(store, a, b, band, cfg)
            a_l.append(a); b_l.append(b)
    a, b = np.concatenate(a_l), np.concatenate(b_l)
    write_arrays(join(bucket_dir, f"{name}.arrow"), {"a": a, "b": b})
    markers.mark(name, int(len(a)))
    return int(len(a))


def minhash_remove(group: int, sources: list[tuple[int, str]], languages: list[str], cluster_dir: str,
                   out_dir: str, cfg: MinHashConfig) -> dict:
    """Stage 4 for one group: its rows of every wanted language, dropping every cluster member
    but the first (lowest (rank, row)); kept members get `dup_cluster` = cluster id. Returns
    {files, stats: read, kept, dropped.near_duplicate, bytes.read, bytes.kept}; skipped when done."""
    markers, name = StepMarkers(out_dir), group_name(group)
    if (done := markers.result(name)) is not None:
        return done
    lo, hi = sources[0][0], sources[-1][0] + 1
    cl = _clusters.load_clusters(cluster_dir, lo, hi)  # {node: (cluster, keep)}
    stats: Counter = Counter()
    with LanguageWriter(out_dir, group, languages) as out:
        for rank, uri in sources:
            base = rank << 32
            for rows, table in iter_unit_batches(uri, None, cfg.batch_rows):
                lang = language_index(table, languages)
                lengths = pc.binary_length(table["text"]).to_numpy(zero_copy_only=False)
                keep = lang >= 0
                cluster = table["dup_cluster"].to_pylist()
                for i, r in enumerate(rows.tolist()):
                    if not keep[i]:
                        continue
                    stats["read"] += 1
                    stats["bytes.read"] += int(lengths[i])
                    hit = cl.get(base | r)
                    if hit is not None:
                        cluster[i], keep[i] = hit
                        if not keep[i]:
                            stats["dropped.near_duplicate"] += 1
                            continue
                    stats["kept"] += 1
                    stats["bytes.kept"] += int(lengths[i])
                table = table.set_column(table.schema.get_field_index("dup_cluster"), "dup_cluster",
                                         pa.array(cluster, pa.int64()))
                for li in np.unique(lang[keep]).tolist():
                    out.write(languages[li], table.filter(pa.array(keep & (lang == li))))
    result = {"files": out.files, "stats": dict(sorted(stats.items()))}
    markers.mark(name, result)
    return result


def run_minhash_dedup(unit_paths: list[str], language: str, work_dir: str,
                      cfg: MinHashConfig) -> tuple[list[str], Counter]:
    """All four stages in-process over the ordered `unit_paths`, one group per unit (tests,
    benchmarks). Returns one output Parquet per unit (same order) and the summed counters."""
    base = join(work_dir, "minhash", language)
    sig_dir, bucket_dir, cluster_dir, out_dir = (join(base, d) for d in ("signatures", "buckets", "clusters", "out"))
    sources = list(enumerate(unit_paths))
    for g, s in enumerate(sources):
        minhash_signatures(g, [s], [language], sig_dir, cfg)
    for p in range(cfg.partitions):
        minhash_buckets(p, sig_dir, bucket_dir, len(sources), cfg)
    _clusters.run_clusters(bucket_dir, cluster_dir, cfg)
    outs, total = [], Counter()
    for g, s in enumerate(sources):
        r = minhash_remove(g, [s], [language], cluster_dir, out_dir, cfg)
        total.update(r["stats"])
        outs.append(r["files"][language])
    return outs, total
