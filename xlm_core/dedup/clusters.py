"""Cluster stage: connected components of the verified duplicate edges (union-find, vectorised),
one document kept per cluster: the lowest node key, i.e. the first in (unit, row) order.
Memory is bounded by the number of duplicate documents, not by the corpus."""

from __future__ import annotations

import numpy as np

from ..io import exists, join, read_json, write_json
from .config import MinHashConfig
from .units import glob, ranked_units, read_arrays, unit_id, write_arrays


def connected_components(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Root of each of n nodes given edges (a, b) of dense indices: the smallest index of its
    component. Hook the larger root under the smaller, then jump pointers until flat."""
    parent = np.arange(n)
    while True:
        ra, rb = parent[a], parent[b]
        lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
        moved = lo != hi
        if not moved.any():
            return parent
        np.minimum.at(parent, hi[moved], lo[moved])
        while True:  # path compression: parent always points to a smaller index
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt


def minhash_clusters(sig_dir: str, bucket_dir: str, cluster_dir: str, cfg: MinHashConfig) -> int:
    """Stage 3 (one task over all partitions' edges): writes `cluster_dir/<unit id>.arrow`
    (row, cluster, keep) for every unit with clustered documents. Returns the number of
    documents to drop; skipped when done."""
    marker = join(cluster_dir, "_SUCCESS.json")
    if exists(marker):
        return read_json(marker)["duplicates"]
    parts = glob(join(bucket_dir, "part-*.arrow"))
    if len(parts) < cfg.partitions:
        raise RuntimeError(f"near dedup: {len(parts)}/{cfg.partitions} bucket partitions in "
                           f"{bucket_dir}; run minhash_buckets for every partition first")
    edges = [read_arrays(p) for p in parts]
    a = np.concatenate([e["a"] for e in edges]) if edges else np.zeros(0, np.uint64)
    b = np.concatenate([e["b"] for e in edges]) if edges else np.zeros(0, np.uint64)
    nodes = np.unique(np.concatenate([a, b]))  # sorted: index order == (unit, row) order
    root = connected_components(np.searchsorted(nodes, a), np.searchsorted(nodes, b), len(nodes))
    cluster = nodes[root].astype(np.int64)  # id = node key of the kept (first) document
    keep = root == np.arange(len(nodes))
    rank = (nodes >> np.uint64(32)).astype(np.int64)
    row = (nodes & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    units = ranked_units(sig_dir)
    for r in np.unique(rank).tolist():
        m = rank == r
        write_arrays(join(cluster_dir, f"{units[r]['uid']}.arrow"),
                     {"row": row[m], "cluster": cluster[m], "keep": keep[m]})
    n_drop = int((~keep).sum())
    write_json(marker, {"duplicates": n_drop, "clusters": int(keep.sum()), "edges": int(len(a))})
    return n_drop


def load_unit_clusters(unit_path: str, cluster_dir: str) -> dict[int, tuple[int, bool]]:
    """{row: (cluster id, keep)} of one unit's clustered documents."""
    if not exists(join(cluster_dir, "_SUCCESS.json")):
        raise RuntimeError(f"near dedup: {cluster_dir} is not complete; run minhash_clusters first")
    path = join(cluster_dir, f"{unit_id(unit_path)}.arrow")
    if not exists(path):
        return {}
    a = read_arrays(path)
    return {r: (c, k) for r, c, k in zip(a["row"].tolist(), a["cluster"].tolist(), a["keep"].tolist())}
