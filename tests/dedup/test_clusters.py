"""The partitioned cluster stage (large-star / small-star rounds) against a plain union-find."""

import math
from pathlib import Path

import numpy as np
import pytest

from xlm_core.dedup import clusters
from xlm_core.dedup.clusters import cluster_step, finish, load_clusters, round_dir, run_clusters
from xlm_core.dedup.config import MinHashConfig
from xlm_core.dedup.units import write_arrays
from xlm_core.steps import StepMarkers

RANKS = 5


def reference(a: np.ndarray, b: np.ndarray) -> dict[int, tuple[int, bool]]:
    """{node: (smallest node of its component, is that node)} by union-find, plain Python."""
    parent: dict[int, int] = {}

    def root(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist()):
        rx, ry = root(x), root(y)
        parent[max(rx, ry)] = min(rx, ry)
    return {n: (root(n), root(n) == n) for n in parent}


def node_keys(rng, n: int) -> np.ndarray:
    """n distinct node keys over RANKS sources, rows up to 2^32 - 1 (the whole key range)."""
    rank = rng.integers(0, RANKS, n).astype(np.uint64)
    row = rng.choice(2**32, n, replace=False).astype(np.uint64)
    return (rank << np.uint64(32)) | row


def chain(rng, n=2000):
    v = node_keys(rng, n)  # a path in random key order
    return v[:-1], v[1:]


def star(rng, n=300):
    v = np.sort(node_keys(rng, n))
    centre = v[n // 2]  # neither the smallest nor the largest key
    leaves = np.delete(v, n // 2)
    return np.full(n - 1, centre), leaves


def pairs(rng, n=200):
    v = node_keys(rng, 2 * n)
    return v[0::2], v[1::2]


def sparse(rng, n=600, e=500):
    v = node_keys(rng, n)
    i, j = rng.integers(0, n, e), rng.integers(0, n, e)
    keep = i != j
    return v[i[keep]], v[j[keep]]


def mixed(rng):
    parts = [chain(rng, 300), star(rng, 100), pairs(rng, 50), sparse(rng, 200, 150)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def write_buckets(bucket_dir, a, b, partitions, seed=0):
    """Edges (a < b, as minhash_buckets writes them) spread over the bucket files at random,
    a tenth of them twice (without verification a pair can come from several partitions)."""
    a, b = np.minimum(a, b), np.maximum(a, b)
    rng = np.random.default_rng(seed)
    again = rng.random(len(a)) < 0.1
    a, b = np.r_[a, a[again]], np.r_[b, b[again]]
    part = rng.integers(0, partitions, len(a))
    for p in range(partitions):
        m = part == p
        write_arrays(str(bucket_dir / f"part-{p:05d}.arrow"), {"a": a[m], "b": b[m]})


def cluster(tmp_path, a, b, partitions):
    cfg = MinHashConfig(partitions=partitions)
    write_buckets(tmp_path / "buckets", a, b, partitions)
    summary = run_clusters(str(tmp_path / "buckets"), str(tmp_path / "clusters"), cfg)
    return summary, load_clusters(str(tmp_path / "clusters"), 0, RANKS)


@pytest.mark.parametrize("graph", [star, pairs, sparse, mixed])  # chain: test_long_chain_...
@pytest.mark.parametrize("partitions", [1, 7])
def test_equals_union_find(tmp_path, graph, partitions):
    a, b = graph(np.random.default_rng(partitions))
    summary, got = cluster(tmp_path, a, b, partitions)
    want = reference(a, b)
    assert got == want
    assert summary["duplicates"] == sum(not k for _, k in want.values())
    assert summary["clusters"] == sum(k for _, k in want.values())


def test_long_chain_over_many_partitions_in_log_rounds(tmp_path):
    n = 2000
    a, b = chain(np.random.default_rng(0), n)
    summary, got = cluster(tmp_path, a, b, 16)
    assert got == reference(a, b) and {c for c, _ in got.values()} == {int(min(a.min(), b.min()))}
    assert summary["round"] <= 2 * math.ceil(math.log2(n)) + 2  # measured 18 for this path


def test_rank_range(tmp_path):
    a, b = mixed(np.random.default_rng(3))
    _, everything = cluster(tmp_path, a, b, 4)
    part = load_clusters(str(tmp_path / "clusters"), 1, 3)
    assert part == {n: v for n, v in everything.items() if 1 <= n >> 32 < 3} and part


def test_no_edges(tmp_path):
    summary, got = cluster(tmp_path, np.zeros(0, np.uint64), np.zeros(0, np.uint64), 3)
    assert got == {} and summary["round"] == 0 and summary["duplicates"] == 0


def test_finish_and_load_refuse_an_unconverged_stage(tmp_path):
    a, b = chain(np.random.default_rng(0), 50)
    write_buckets(tmp_path / "buckets", a, b, 2)
    for p in range(2):
        cluster_step(0, p, str(tmp_path / "buckets"), str(tmp_path / "clusters"), MinHashConfig(partitions=2))
    with pytest.raises(RuntimeError, match="has not converged"):
        finish(str(tmp_path / "clusters"))
    with pytest.raises(RuntimeError, match="is not complete"):
        load_clusters(str(tmp_path / "clusters"), 0, RANKS)


def test_killed_round_resumes_without_redoing_finished_steps(tmp_path, monkeypatch):
    partitions = 5
    a, b = mixed(np.random.default_rng(5))
    _, fresh = cluster(tmp_path / "fresh", a, b, partitions)
    work = tmp_path / "resumed"
    write_buckets(work / "buckets", a, b, partitions)
    cfg = MinHashConfig(partitions=partitions)
    bucket_dir, cluster_dir = str(work / "buckets"), str(work / "clusters")
    killed = (round_dir(cluster_dir, 3), "part-00002")

    # Die in round 3 once step 2 has written all its outputs, before its marker.
    real_mark, marked = StepMarkers.mark, []

    def mark(self, name, result=None, key=None):
        if (self.stage_dir, name) == killed:
            raise KeyboardInterrupt("killed")
        marked.append((self.stage_dir, name))
        real_mark(self, name, result, key)

    monkeypatch.setattr(StepMarkers, "mark", mark)
    with pytest.raises(KeyboardInterrupt):
        run_clusters(bucket_dir, cluster_dir, cfg)
    monkeypatch.setattr(StepMarkers, "mark", real_mark)
    assert len(marked) == 3 * partitions + 2

    computed = []  # (round dir, step) of every step that computes: each opens one writer
    real_writer = clusters.PartitionWriter
    monkeypatch.setattr(clusters, "PartitionWriter",
                        lambda d, name, *args: computed.append((d, name)) or real_writer(d, name, *args))
    run_clusters(bucket_dir, cluster_dir, cfg)
    assert load_clusters(cluster_dir, 0, RANKS) == fresh
    assert computed[0] == killed  # the killed step ran again, first ...
    assert not set(computed) & set(marked)  # ... and no finished one did


def test_a_step_reads_only_its_partition(tmp_path, monkeypatch):
    partitions = 8
    rng = np.random.default_rng(8)
    (a1, b1), (a2, b2) = sparse(rng, 2000, 1500), chain(rng, 500)
    a, b = np.r_[a1, a2], np.r_[b1, b2]
    write_buckets(tmp_path / "buckets", a, b, partitions)
    bucket_dir, cluster_dir = str(tmp_path / "buckets"), str(tmp_path / "clusters")
    cfg = MinHashConfig(partitions=partitions)
    reads = []  # (what, rows) of every input a step reads
    real_arrays, real_partition = clusters.read_arrays, clusters.read_partition

    def read_arrays(uri):
        got = real_arrays(uri)
        reads.append((uri, len(got["a"])))
        return got

    def read_partition(d, p):
        got = real_partition(d, p)
        reads.append((f"{d}/part-{p:05d}", len(got["u"]) if got else 0))
        return got

    monkeypatch.setattr(clusters, "read_arrays", read_arrays)
    monkeypatch.setattr(clusters, "read_partition", read_partition)

    # Twice a partition's share of the records (2 per edge), plus the members of the largest
    # cluster: its smallest node ends up linked to all of them, in that node's partition.
    sizes = np.unique([c for c, _ in reference(a, b).values()], return_counts=True)[1]
    bound = 2 * 2 * len(a) / partitions + sizes.max()
    round_no = 0
    while True:  # as the flow drives it
        changed = 0
        for p in range(partitions):
            if round_no == 0:
                mine, sent = f"{bucket_dir}/part-{p:05d}.arrow", None
            else:
                mine = f"{round_dir(cluster_dir, round_no - 1)}/part-{p:05d}"
                sent = sum(len(real_arrays(str(f))["u"]) for f in Path(mine).glob("*.arrow"))
            reads.clear()
            changed += cluster_step(round_no, p, bucket_dir, cluster_dir, cfg)
            [(what, rows)] = reads  # one input per step: its own partition, nothing else
            assert what == mine and rows < bound
            assert sent is None or rows == sent  # all of it: every record sent to this partition
        if not changed:
            break
        round_no += 1
    finish(cluster_dir)
    monkeypatch.undo()
    assert load_clusters(cluster_dir, 0, RANKS) == reference(a, b)

