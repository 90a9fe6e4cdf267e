"""LSH helpers of the bucket stage (`minhash.minhash_buckets`): documents sharing a bucket key
(one identical band) in one partition become candidate pairs. With `verify`, each pair is
decided once, in the partition of the *first* band where the two signatures agree (a pair that
collides in all 14 bands is not checked 14 times), and kept only when the exact Jaccard of the
two distinct shingle sets reaches `jaccard_threshold`: this removes the LSH false positives at
Jaccard 0.5-0.8.

Known limit: a bucket larger than `max_pairwise_bucket` only yields pairs with its first member;
if that band is a pair's first common band, the pair is not re-checked in a later band (both
documents were still compared with that first member).

Verification reads each source's docs file (signatures, distinct shingles) through a `DocStore`
that holds a few of them at a time."""

from __future__ import annotations

import itertools
from collections import OrderedDict

import numpy as np
import pyarrow as pa

from ..io import fs_and_path, is_local, join
from .config import MinHashConfig

DOCS_FILE = "docs.arrow"
OPEN_UNITS = 8  # docs files a DocStore holds at once (each is one source's signed documents)


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


def _read_docs(uri: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rows (d,), sig (d, permutations), shingle offsets (d + 1,), shingles) of one source's
    docs.arrow, memory-mapped when local."""
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
    """Signatures and distinct shingles of signed documents, looked up by node key. Holds the
    docs files of at most `max_units` sources, least recently used dropped first: memory is
    `max_units` files whatever the corpus, if callers visit nodes grouped by rank."""

    def __init__(self, sig_dir: str, units: list[dict], max_units: int = OPEN_UNITS):
        if max_units < 2:
            raise ValueError(f"DocStore(max_units={max_units}): must be >= 2, a pair spans two sources")
        self.sig_dir, self.units, self.max_units = sig_dir, units, max_units
        self._open: OrderedDict[int, tuple] = OrderedDict()  # rank -> _read_docs(), oldest first
        self.loads = 0  # files read: an evicted source read again counts again

    def unit(self, rank: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        docs = self._open.pop(rank, None)
        if docs is None:
            if len(self._open) >= self.max_units:
                self._open.popitem(last=False)  # before reading: never more than max_units held
            docs = _read_docs(join(self.sig_dir, self.units[rank]["uid"], DOCS_FILE))
            self.loads += 1
        self._open[rank] = docs
        return docs

    def locate(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(unit rank, position in that unit's docs file) of each node, vectorised."""
        rank = (nodes >> np.uint64(32)).astype(np.int64)
        pos = np.zeros(len(nodes), np.int64)
        for r in np.unique(rank).tolist():
            m = rank == r
            rows = self.unit(r)[0]
            pos[m] = np.searchsorted(rows, (nodes[m] & np.uint64(0xFFFFFFFF)).astype(rows.dtype))
        return rank, pos

    def signatures(self, nodes: np.ndarray) -> np.ndarray:
        """(nodes, permutations) uint32."""
        rank, pos = self.locate(nodes)
        out = None
        for r in np.unique(rank).tolist():
            m = rank == r
            sig = self.unit(r)[1]
            if out is None:
                out = np.empty((len(nodes), sig.shape[1]), sig.dtype)
            out[m] = sig[pos[m]]
        return out

    def shingles(self, rank: int, pos: int) -> np.ndarray:
        _, _, off, vals = self.unit(rank)
        return vals[off[pos]:off[pos + 1]]


def verified_pairs(store: DocStore, a: np.ndarray, b: np.ndarray, band: np.ndarray,
                   cfg: MinHashConfig) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pairs (a, b) (node keys, (pairs,)) first seen in `band` whose exact shingle
    Jaccard reaches `cfg.jaccard_threshold`, in input order. Visited in (rank a, rank b) blocks:
    a block needs two sources' docs and consecutive blocks share rank a, so a store of a few
    sources reads each file about once per rank a."""
    if not len(a):
        return a, b
    ra, rb = (a >> np.uint64(32)).astype(np.int64), (b >> np.uint64(32)).astype(np.int64)
    order = np.lexsort((rb, ra))  # (pairs,): grouped by (rank a, rank b), stable within
    ra, rb = ra[order], rb[order]
    starts = np.flatnonzero(np.r_[True, (ra[1:] != ra[:-1]) | (rb[1:] != rb[:-1])])
    ok = np.zeros(len(a), bool)
    low, t = np.uint64(0xFFFFFFFF), cfg.jaccard_threshold
    for s, e in zip(starts.tolist(), np.r_[starts[1:], len(a)].tolist()):
        idx = order[s:e]
        rows_a, sig_a, off_a, sh_a = store.unit(int(ra[s]))
        rows_b, sig_b, off_b, sh_b = store.unit(int(rb[s]))
        pa_ = np.searchsorted(rows_a, (a[idx] & low).astype(rows_a.dtype))
        pb = np.searchsorted(rows_b, (b[idx] & low).astype(rows_b.dtype))
        mine = first_common_band(sig_a[pa_], sig_b[pb], cfg) == band[idx]  # else decided in a lower band
        ok[idx[mine]] = [jaccard(sh_a[off_a[i]:off_a[i + 1]], sh_b[off_b[j]:off_b[j + 1]]) >= t
                         for i, j in zip(pa_[mine].tolist(), pb[mine].tolist())]
    return a[ok], b[ok]


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
