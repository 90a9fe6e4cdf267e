"""Cluster stage: connected components of the verified duplicate edges, in rounds of independent
per-partition steps. Every clustered document gets cluster id = the smallest node key
(rank << 32 | row) of its component, i.e. the first document in (source, row) order; only that
document is kept.

Algorithm: alternating large-star / small-star (Kiveris et al. 2014, "Connected Components in
MapReduce and Beyond") over directed edge records (u, v), hash-partitioned by u. With
m(u) = min(u, neighbours of u):

  round 0          scatter the bucket files' edges {a, b} as records (a, b) and (b, a)
  odd rounds       large-star: every edge {u, v}, u < v, becomes {v, m(u)}
  even rounds      small-star: every edge {v, u}, v < u, becomes {v, m(u)}; {u, m(u)} is added

Both keep each component connected and never add edges. A component is done when it is a star
on its smallest node; each round counts the records of its input that are not (a node with a
smaller and a larger neighbour, or with two smaller neighbours), so the first round that counts
0 has the answer: cluster(u) = m(u). Rounds: O(log² n) for components of n nodes (the bound
Kiveris et al. prove); measured about 2·log2 n on paths (2,000 nodes in random key order:
converged in round 18; 100,000: 26-34) and 3 on a star, whatever its size.

Memory of a step: the records of its partition's nodes, ~2 × edges / partitions, plus one
output buffer per partition. Skew: a node's records all sit in its partition, and a cluster's
smallest node ends up linked to every member, so that partition also holds one record per member
of its largest cluster (a 2,281-node cluster in 4,000 edges over 8 partitions: 2,925 records).

Layout of `cluster_dir`, for round r = 0, 1, ...:
  round-<r>/part-<q>/part-<p>.arrow   (u, v) uint64: records of partition q's nodes, from step p
  round-<r>/labels/part-<p>.arrow     (node, cluster, keep) of partition p's nodes, written when
                                      its step counted 0 (all are in the converged round)
  round-<r>/_done/part-<p>.json       step markers {changed, records, emitted, nodes, kept, partitions}
  _SUCCESS.json                       {round, partitions, clusters, duplicates}, by `finish`
A finished step deletes its input records: the disk holds about two rounds of records."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..io import exists, fs_and_path, join, read_json, write_json
from ..steps import StepMarkers
from .config import MinHashConfig
from .hashing import mix64
from .units import PartitionWriter, glob, part_name, read_arrays, read_partition, write_arrays

SUCCESS = "_SUCCESS.json"
MAX_ROUNDS = 200  # far above log² of any corpus: more means a bug, not a big cluster
_RECORDS = pa.schema([("u", pa.uint64()), ("v", pa.uint64())])


def round_dir(cluster_dir: str, round_no: int) -> str:
    return join(cluster_dir, f"round-{round_no:05d}")


def node_partition(nodes: np.ndarray, partitions: int) -> np.ndarray:
    """Partition of each node key (n,) -> (n,) uint64; mixed, so one source's rows spread out."""
    return mix64(nodes) % np.uint64(partitions)


def _unique_records(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (u, v), sorted by u then v."""
    if not len(u):
        return u, v
    order = np.lexsort((v, u))
    u, v = u[order], v[order]
    first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])]
    return u[first], v[first]


def _star_state(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """For sorted distinct records: (first record of each node, m(u) per record, records not yet
    in star form)."""
    if not len(u):
        return np.zeros(0, np.int64), u, 0
    start = np.flatnonzero(np.r_[True, u[1:] != u[:-1]])
    m = np.minimum(u[start], v[start])  # v is sorted within u: v[start] is the smallest neighbour
    mu = np.repeat(m, np.diff(np.r_[start, len(u)]))
    # star: a leaf has one neighbour (its centre, smaller), a centre only larger ones
    changed = int(np.count_nonzero(np.where(v > u, mu != u, v != mu)))
    return start, mu, changed


def cluster_step(round_no: int, partition: int, bucket_dir: str, cluster_dir: str,
                 cfg: MinHashConfig) -> int:
    """Round `round_no` for one partition; needs every step of the previous round done. Reads
    `bucket_dir/part-<p>.arrow` (round 0) or the previous round's records of this partition,
    writes this round's records for every partition (and its labels when nothing changed).
    Returns the records not yet in star form (0 in every partition: converged); skipped (same
    result) when done."""
    if round_no > MAX_ROUNDS:
        raise RuntimeError(f"near dedup: clusters did not converge in {MAX_ROUNDS} rounds")
    here = round_dir(cluster_dir, round_no)
    markers, name = StepMarkers(here), part_name(partition)
    if (done := markers.result(name)) is not None:
        return done["changed"]
    nodes = kept = 0
    if round_no == 0:
        e = read_arrays(join(bucket_dir, f"{name}.arrow"))  # (a, b), a < b, grouped by bucket
        x, y, n_in = e["a"], e["b"], len(e["a"])
        changed = n_in  # nothing is known about stars yet
    else:
        r = read_partition(round_dir(cluster_dir, round_no - 1), partition)
        u, v = _unique_records(r["u"], r["v"]) if r else (np.zeros(0, np.uint64),) * 2
        start, mu, changed = _star_state(u, v)
        n_in = len(u)
        if changed == 0:  # maybe the converged round: these are final
            node, label = u[start], mu[start]
            nodes, kept = len(node), int(np.count_nonzero(label == node))
            write_arrays(join(here, "labels", f"{name}.arrow"),
                         {"node": node, "cluster": label.astype(np.int64), "keep": label == node})
        if round_no % 2:  # large-star: (v, m(u)) for v > u; never a self-loop (m(u) <= u < v)
            up = v > u
            x, y = v[up], mu[up]
        else:  # small-star: (v, m(u)) and (u, m(u)) for v < u; (m(u), m(u)) dropped below
            down = v < u
            x, y = np.r_[v[down], u[down]], np.r_[mu[down], mu[down]]
    keep = x != y
    x, y = _unique_records(np.r_[x[keep], y[keep]], np.r_[y[keep], x[keep]])  # both directions
    with PartitionWriter(here, name, cfg.partitions, _RECORDS) as out:
        if len(x):
            out.write(node_partition(x, cfg.partitions), {"u": x, "v": y})
    result = {"changed": changed, "records": n_in, "emitted": len(x), "nodes": nodes, "kept": kept,
              "partitions": cfg.partitions}
    markers.mark(name, result)
    if round_no > 0:  # only this step reads them; resumes read its marker instead
        _remove(join(round_dir(cluster_dir, round_no - 1), name))
    return changed


def _remove(uri: str) -> None:
    fs, path = fs_and_path(uri)
    if fs.exists(path):
        fs.rm(path, recursive=True)


def finish(cluster_dir: str) -> dict:
    """After the first round in which every step returned 0: mark the stage complete (cheap: reads
    that round's markers). Returns {round, partitions, clusters, duplicates}; idempotent."""
    success = join(cluster_dir, SUCCESS)
    if exists(success):
        return read_json(success)
    fs, path = fs_and_path(cluster_dir)
    rounds = sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in fs.glob(join(path, "round-*")))
    if not rounds:
        raise RuntimeError(f"near dedup: no cluster rounds in {cluster_dir}; run cluster_step first")
    last = int(rounds[-1].split("-")[1])
    markers = StepMarkers(round_dir(cluster_dir, last))
    results = [markers.read(n)["result"] for n in sorted(markers.done())]
    if not results or len(results) != results[0]["partitions"] or any(r["changed"] for r in results):
        raise RuntimeError(f"near dedup: round {last} of {cluster_dir} has not converged; "
                           "run cluster_step until every step of a round returns 0")
    summary = {"round": last, "partitions": len(results), "clusters": sum(r["kept"] for r in results),
               "duplicates": sum(r["nodes"] - r["kept"] for r in results)}
    for p in range(len(results)):  # the converged round's records are never read
        _remove(join(round_dir(cluster_dir, last), part_name(p)))
    write_json(success, summary)
    return summary


def run_clusters(bucket_dir: str, cluster_dir: str, cfg: MinHashConfig) -> dict:
    """The whole stage in-process, as the flow drives it: rounds until a round returns 0, then
    `finish`. Returns finish's summary."""
    if exists(join(cluster_dir, SUCCESS)):
        return read_json(join(cluster_dir, SUCCESS))
    round_no = 0
    while sum(cluster_step(round_no, p, bucket_dir, cluster_dir, cfg) for p in range(cfg.partitions)):
        round_no += 1
    return finish(cluster_dir)


def load_clusters(cluster_dir: str, rank_lo: int, rank_hi: int) -> dict[int, tuple[int, bool]]:
    """{node: (cluster id, keep)} of the clustered documents of sources rank_lo <= rank < rank_hi.
    Reads every labels file one at a time and keeps only that rank range."""
    success = join(cluster_dir, SUCCESS)
    if not exists(success):
        raise RuntimeError(f"near dedup: {cluster_dir} is not complete; run the cluster rounds, then finish")
    lo, hi = np.uint64(rank_lo) << np.uint64(32), np.uint64(rank_hi) << np.uint64(32)
    out: dict[int, tuple[int, bool]] = {}
    for path in glob(join(round_dir(cluster_dir, read_json(success)["round"]), "labels", "*.arrow")):
        a = read_arrays(path)  # memory-mapped when local; sorted by node
        s, e = np.searchsorted(a["node"], [lo, hi])
        out.update(zip(a["node"][s:e].tolist(), zip(a["cluster"][s:e].tolist(), a["keep"][s:e].tolist())))
    return out
