"""LSH bucket stage: documents sharing a bucket key (one identical band) in one partition become
candidate pairs; with `verify`, a pair is kept only when the exact Jaccard of the two distinct
shingle sets reaches `jaccard_threshold` (removes the LSH false positives at Jaccard 0.5-0.8)."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa

from ..io import exists, fs_and_path, is_local, join
from .config import MinHashConfig
from .units import ranked_units, read_arrays, write_arrays

SHINGLES_FILE = "shingles.arrow"


def node_keys(rank: int, rows: np.ndarray) -> np.ndarray:
    """Global document key (unit_rank << 32 | row), uint64: sorts by (unit, row)."""
    return (np.uint64(rank) << np.uint64(32)) | rows.astype(np.uint64)


def candidate_pairs(key: np.ndarray, node: np.ndarray, max_pairwise: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) node pairs, a < b, of documents sharing a key; distinct pairs, sorted."""
    order = np.lexsort((node, key))
    key, node = key[order], node[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    size = np.diff(np.r_[start, len(key)])
    a_l, b_l = [], []
    two = start[size == 2]  # the common case, vectorised
    a_l.append(node[two]); b_l.append(node[two + 1])
    for s, n in zip(start[size > 2].tolist(), size[size > 2].tolist()):
        members = node[s:s + n]
        if n <= max_pairwise:
            pairs = np.array(list(itertools.combinations(range(n), 2)))
            a_l.append(members[pairs[:, 0]]); b_l.append(members[pairs[:, 1]])
        else:  # large bucket: a star on its first member keeps it connected in O(n)
            a_l.append(np.full(n - 1, members[0])); b_l.append(members[1:])
    a, b = np.concatenate(a_l), np.concatenate(b_l)
    keep = a != b  # one document can sit in one bucket only once per band, but be safe
    if not keep.any():
        return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    ab = np.unique(np.stack([a[keep], b[keep]], axis=1), axis=0)
    return ab[:, 0], ab[:, 1]


class ShingleStore:
    """Distinct shingles of signed documents, per unit, memory-mapped on first use."""

    def __init__(self, sig_dir: str, units: list[dict]):
        self.sig_dir, self.units, self._open = sig_dir, units, {}

    def _unit(self, rank: int):
        if rank not in self._open:
            uri = join(self.sig_dir, self.units[rank]["uid"], SHINGLES_FILE)
            if is_local(uri):
                source = pa.memory_map(fs_and_path(uri)[1])
            else:
                fs, path = fs_and_path(uri)
                with fs.open(path, "rb") as f:
                    source = pa.BufferReader(f.read())
            t = pa.ipc.open_file(source).read_all()
            col = t["shingles"].combine_chunks()
            self._open[rank] = (t["row"].to_numpy(), col.offsets.to_numpy(), col.values.to_numpy())
        return self._open[rank]

    def get(self, node: int) -> np.ndarray:
        rows, off, vals = self._unit(node >> 32)
        i = int(np.searchsorted(rows, node & 0xFFFFFFFF))
        return vals[off[i]:off[i + 1]]


def jaccard(x: np.ndarray, y: np.ndarray) -> float:
    """Exact Jaccard of two sorted distinct arrays."""
    if len(x) == 0 or len(y) == 0:
        return 0.0
    inter = int(np.count_nonzero(np.isin(x, y, assume_unique=True)))
    return inter / (len(x) + len(y) - inter)


def minhash_buckets(partition: int, sig_dir: str, bucket_dir: str, cfg: MinHashConfig) -> int:
    """Stage 2 for one partition: duplicate edges (a, b) between documents (node keys) written to
    `bucket_dir/part-<p>.arrow`. Returns the edge count; skipped when the file exists."""
    out = join(bucket_dir, f"part-{partition:05d}.arrow")
    if exists(out):
        return len(read_arrays(out)["a"])
    units = ranked_units(sig_dir)
    keys, nodes = [], []
    for u in units:
        path = join(sig_dir, u["uid"], f"part-{partition:05d}.arrow")
        if exists(path):
            arr = read_arrays(path)
            keys.append(arr["key"]); nodes.append(node_keys(u["rank"], arr["row"]))
    a = b = np.zeros(0, np.uint64)
    if keys:
        a, b = candidate_pairs(np.concatenate(keys), np.concatenate(nodes), cfg.max_pairwise_bucket)
    if cfg.verify and len(a):
        store, t = ShingleStore(sig_dir, units), cfg.jaccard_threshold
        ok = np.array([jaccard(store.get(x), store.get(y)) >= t
                       for x, y in zip(a.tolist(), b.tolist())], bool)
        a, b = a[ok], b[ok]
    write_arrays(out, {"a": a, "b": b})
    return len(a)
