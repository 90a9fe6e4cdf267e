"""LSH bucket stage: documents sharing a bucket key (one identical band) in one partition become
candidate pairs. With `verify`, each pair is decided once, in the partition of the *first* band
where the two signatures agree (a pair that collides in all 14 bands is not checked 14 times),
and kept only when the exact Jaccard of the two distinct shingle sets reaches
`jaccard_threshold`: this removes the LSH false positives at Jaccard 0.5-0.8.

Known limit: a bucket larger than `max_pairwise_bucket` only yields pairs with its first member;
if that band is a pair's first common band, the pair is not re-checked in a later band (both
documents were still compared with that first member)."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pyarrow as pa

from ..io import exists, fs_and_path, is_local, join
from .config import MinHashConfig
from .units import ranked_units, read_arrays, write_arrays

DOCS_FILE = "docs.arrow"


def node_keys(rank: int, rows: np.ndarray) -> np.ndarray:
    """Global document key (unit_rank << 32 | row), uint64: sorts by (unit, row)."""
    return (np.uint64(rank) << np.uint64(32)) | rows.astype(np.uint64)


def candidate_pairs(key: np.ndarray, node: np.ndarray, band: np.ndarray,
                    max_pairwise: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, band) of documents sharing a key, a < b; distinct pairs with their lowest band."""
    order = np.lexsort((node, key))
    key, node, band = key[order], node[order], band[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    size = np.diff(np.r_[start, len(key)])
    a_l, b_l, band_l = [], [], []
    two = start[size == 2]  # the common case, vectorised
    a_l.append(node[two]); b_l.append(node[two + 1]); band_l.append(band[two])
    for s, n in zip(start[size > 2].tolist(), size[size > 2].tolist()):
        members = node[s:s + n]
        if n <= max_pairwise:
            pairs = np.array(list(itertools.combinations(range(n), 2)))
            a_l.append(members[pairs[:, 0]]); b_l.append(members[pairs[:, 1]])
        else:  # large bucket: a star on its first member keeps it connected in O(n)
            a_l.append(np.full(n - 1, members[0])); b_l.append(members[1:])
        band_l.append(np.full(len(a_l[-1]), band[s]))
    a, b, band = np.concatenate(a_l), np.concatenate(b_l), np.concatenate(band_l)
    keep = a != b
    a, b, band = a[keep], b[keep], band[keep]
    if len(a) == 0:  # no bucket shared by two documents
        return a, b, band
    order = np.lexsort((band, b, a))  # per (a, b): lowest band first
    a, b, band = a[order], b[order], band[order]
    first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    return a[first], b[first], band[first]


@functools.lru_cache(maxsize=32)
def _load_docs(uri: str, version: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rows (d,), sig (d, permutations), shingle offsets (d + 1,), shingles) of one unit's
    docs.arrow, memory-mapped when local. Cached per process: every partition of the bucket stage
    reads the same files, and they never change once written (`version` is the mtime)."""
    if is_local(uri):
        source = pa.memory_map(fs_and_path(uri)[1])
    else:
        fs, path = fs_and_path(uri)
        with fs.open(path, "rb") as f:
            source = pa.BufferReader(f.read())
    t = pa.ipc.open_file(source).read_all()
    sig, sh = t["sig"].combine_chunks(), t["shingles"].combine_chunks()
    return (t["row"].to_numpy(), sig.values.to_numpy().reshape(len(t), -1),
            sh.offsets.to_numpy(), sh.values.to_numpy())


class DocStore:
    """Signatures and distinct shingles of signed documents, looked up by node key."""

    def __init__(self, sig_dir: str, units: list[dict]):
        self.sig_dir, self.units, self._open = sig_dir, units, {}

    def _unit(self, rank: int):
        if rank not in self._open:
            uri = join(self.sig_dir, self.units[rank]["uid"], DOCS_FILE)
            fs, path = fs_and_path(uri)
            self._open[rank] = _load_docs(uri, fs.modified(path).timestamp() if is_local(uri) else 0.0)
        return self._open[rank]

    def locate(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(unit rank, position in that unit's docs file) of each node, vectorised."""
        rank = (nodes >> np.uint64(32)).astype(np.int64)
        pos = np.zeros(len(nodes), np.int64)
        for r in np.unique(rank).tolist():
            m = rank == r
            rows = self._unit(r)[0]
            pos[m] = np.searchsorted(rows, (nodes[m] & np.uint64(0xFFFFFFFF)).astype(rows.dtype))
        return rank, pos

    def signatures(self, nodes: np.ndarray) -> np.ndarray:
        """(nodes, permutations) uint32."""
        rank, pos = self.locate(nodes)
        out = None
        for r in np.unique(rank).tolist():
            m = rank == r
            sig = self._unit(r)[1]
            if out is None:
                out = np.empty((len(nodes), sig.shape[1]), sig.dtype)
            out[m] = sig[pos[m]]
        return out

    def shingles(self, rank: int, pos: int) -> np.ndarray:
        _, _, off, vals = self._unit(rank)
        return vals[off[pos]:off[pos + 1]]


def jaccard(x: np.ndarray, y: np.ndarray) -> float:
    """Exact Jaccard of two sorted distinct uint64 arrays."""
    if len(x) == 0 or len(y) == 0:
        return 0.0
    if len(x) == len(y) and np.array_equal(x, y):
        return 1.0
    if len(x) > len(y):
        x, y = y, x
    pos = np.searchsorted(y, x)
    pos[pos == len(y)] = 0
    inter = int(np.count_nonzero(y[pos] == x))
    return inter / (len(x) + len(y) - inter)


def first_common_band(sa: np.ndarray, sb: np.ndarray, cfg: MinHashConfig) -> np.ndarray:
    """Lowest band where two signatures agree on all rows; (pairs,) from (pairs, permutations)."""
    eq = (sa == sb).reshape(len(sa), cfg.bands, cfg.rows).all(axis=2)  # (pairs, bands)
    return np.argmax(eq, axis=1)


def minhash_buckets(partition: int, sig_dir: str, bucket_dir: str, cfg: MinHashConfig) -> int:
    """Stage 2 for one partition: duplicate edges (a, b) between documents (node keys) written to
    `bucket_dir/part-<p>.arrow`. Returns the edge count; skipped when the file exists."""
    out = join(bucket_dir, f"part-{partition:05d}.arrow")
    if exists(out):
        return len(read_arrays(out)["a"])
    units = ranked_units(sig_dir)
    keys, nodes, bands = [], [], []
    for u in units:
        path = join(sig_dir, u["uid"], f"part-{partition:05d}.arrow")
        if exists(path):
            arr = read_arrays(path)
            keys.append(arr["key"]); nodes.append(node_keys(u["rank"], arr["row"])); bands.append(arr["band"])
    a = b = np.zeros(0, np.uint64)
    if keys:
        a, b, band = candidate_pairs(np.concatenate(keys), np.concatenate(nodes),
                                     np.concatenate(bands), cfg.max_pairwise_bucket)
        if cfg.verify and len(a):
            store, t = DocStore(sig_dir, units), cfg.jaccard_threshold
            mine = first_common_band(store.signatures(a), store.signatures(b), cfg) == band
            a, b = a[mine], b[mine]  # pairs first seen in a lower band are decided there
            (ra, pa_), (rb, pb) = store.locate(a), store.locate(b)
            ok = np.array([jaccard(store.shingles(*x), store.shingles(*y)) >= t
                           for x, y in zip(zip(ra.tolist(), pa_.tolist()), zip(rb.tolist(), pb.tolist()))], bool)
            a, b = a[ok], b[ok]
    write_arrays(out, {"a": a, "b": b})
    return len(a)
