"""DocStore holds a few sources' docs files at a time; verification gives the same pairs."""

import numpy as np
import pyarrow as pa
import pytest

from xlm_core.dedup import lsh
from xlm_core.dedup.config import MinHashConfig
from xlm_core.dedup.lsh import DocStore, candidate_pairs, verified_pairs
from xlm_core.dedup.minhash import docs_uri, minhash_signatures, rank_dir
from xlm_core.dedup.units import read_partition

from .corpus import make_corpus, write_units

CFG = MinHashConfig(partitions=4)
SOURCES = 6


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """Signatures of a planted corpus over SOURCES sources, and the bucket stage's candidate rows
    (a, b, band) of every partition and language, in random order."""
    tmp = tmp_path_factory.mktemp("lsh")
    corpus = make_corpus(seed=11, originals=40, variants=20, copies=6)
    units, _ = write_units(corpus, tmp / "units", n_units=SOURCES)
    sig = str(tmp / "sig")
    for g, u in enumerate(units):
        minhash_signatures(g, [(g, u)], sorted(corpus), sig, CFG)
    cand = []
    for p in range(CFG.partitions):
        arr = read_partition(sig, p)
        nodes = (arr["rank"].astype(np.uint64) << np.uint64(32)) | arr["row"].astype(np.uint64)
        for li in np.unique(arr["lang"]).tolist():
            m = arr["lang"] == li
            cand.append(candidate_pairs(arr["key"][m], nodes[m], arr["band"][m], CFG.max_pairwise_bucket))
    a, b, band = (np.concatenate([c[i] for c in cand]) for i in range(3))
    order = np.random.default_rng(0).permutation(len(a))
    return sig, [{"uid": rank_dir(r)} for r in range(SOURCES)], a[order], b[order], band[order]


def reference(sig: str, a, b, band) -> tuple[np.ndarray, np.ndarray]:
    """Same decision in plain Python from the docs files: first common band and set Jaccard."""
    docs = {}
    for r in range(SOURCES):
        t = pa.ipc.open_file(docs_uri(sig, r)).read_all().to_pylist()
        docs[r] = {d["row"]: (d["sig"], set(d["shingles"])) for d in t}
    keep = []
    for x, y, k in zip(a.tolist(), b.tolist(), band.tolist()):
        (sx, hx), (sy, hy) = docs[x >> 32][x & 0xFFFFFFFF], docs[y >> 32][y & 0xFFFFFFFF]
        w = CFG.rows
        first = next(i for i in range(CFG.bands) if sx[i * w:(i + 1) * w] == sy[i * w:(i + 1) * w])
        keep.append(first == k and len(hx & hy) / len(hx | hy) >= CFG.jaccard_threshold)
    keep = np.array(keep, bool)
    return a[keep], b[keep]


def test_bounded_store_verifies_like_the_reference(signed):
    sig, units, a, b, band = signed
    want_a, want_b = reference(sig, a, b, band)
    assert 0 < len(want_a) < len(a)  # some pairs are kept, some rejected or decided elsewhere
    ranks = set(zip((a >> np.uint64(32)).tolist(), (b >> np.uint64(32)).tolist()))
    assert len(ranks) > SOURCES  # pairs across sources, not only within one
    for max_units in (2, 3, SOURCES):
        got_a, got_b = verified_pairs(DocStore(sig, units, max_units), a, b, band, CFG)
        assert np.array_equal(got_a, want_a) and np.array_equal(got_b, want_b), max_units


def test_store_holds_at_most_max_units_and_reads_each_block_once(signed, monkeypatch):
    sig, units, a, b, band = signed
    store = DocStore(sig, units, max_units=2)
    held = []  # files held when another one is read
    real = lsh._read_docs
    monkeypatch.setattr(lsh, "_read_docs", lambda uri: held.append(len(store._open)) or real(uri))
    verified_pairs(store, a, b, band, CFG)
    assert held and max(held) < 2 and len(store._open) <= 2
    ra, rb = (a >> np.uint64(32)).tolist(), (b >> np.uint64(32)).tolist()
    # sorted (rank a, rank b) blocks: at most one read per block, plus one per new rank a
    assert store.loads == len(held) <= len(set(zip(ra, rb))) + len(set(ra))


def test_lookups_with_eviction_match_an_unbounded_store(signed):
    sig, units, a, b, _ = signed
    nodes = np.random.default_rng(1).permutation(np.unique(np.r_[a, b]))  # ranks interleaved
    small, big = DocStore(sig, units, max_units=2), DocStore(sig, units, max_units=SOURCES)
    assert np.array_equal(small.signatures(nodes), big.signatures(nodes))
    (rank, pos), (rank2, pos2) = small.locate(nodes), big.locate(nodes)
    assert np.array_equal(rank, rank2) and np.array_equal(pos, pos2)
    for r, p in zip(rank[:50].tolist(), pos[:50].tolist()):
        assert np.array_equal(small.shingles(r, p), big.shingles(r, p))
    assert len(small._open) == 2


def test_a_store_holds_both_sources_of_a_pair():
    with pytest.raises(ValueError, match="must be >= 2"):
        DocStore("unused", [], max_units=1)
