"""Adapted copy of tests/dedup/test_minhash.py for the committed group/rank API (scratch check)."""
import itertools
from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from xlm_core.dedup import MinHashConfig, minhash_buckets, minhash_signatures, run_minhash_dedup
from xlm_core.dedup.clusters import load_clusters, run_clusters
from tests.dedup.corpus import CHAR_LANGS, make_corpus, true_pairs, write_units

CFG = MinHashConfig(partitions=4)


def stages(units, lang, work, cfg=CFG, order=None):
    sig, buckets, clusters = work / "sig", work / "buckets", work / "clusters"
    for i in order or range(len(units)):
        minhash_signatures(i, [(i, units[i])], [lang], str(sig), cfg)
    for p in range(cfg.partitions):
        minhash_buckets(p, str(sig), str(buckets), len(units), cfg)
    run_clusters(str(buckets), str(clusters), cfg)
    return str(clusters)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("planted")
    corpus = make_corpus(seed=7)
    units, where = write_units(corpus, tmp / "units")
    return tmp, corpus, units, where


def test_recall_and_precision(planted):
    tmp, corpus, units, where = planted
    tp = n_true = n_pred = 0
    for lang, texts in corpus.items():
        cdir = stages(units, lang, tmp / f"work-{lang}")
        clusters = defaultdict(list)
        for node, (cid, _) in load_clusters(cdir, 0, len(units)).items():
            clusters[cid].append(where[(node >> 32, node & 0xFFFFFFFF)][1])
        pred = {tuple(sorted(p)) for m in clusters.values() for p in itertools.combinations(m, 2)}
        truth = true_pairs(texts, lang in CHAR_LANGS, 0.8)
        tp += len(pred & truth); n_true += len(truth); n_pred += len(pred)
    print(f"recall {tp / n_true:.3f} precision {tp / n_pred:.3f}")
    assert tp / n_true >= 0.95 and tp / n_pred >= 0.99


def test_first_kept(planted):
    tmp, corpus, units, where = planted
    outs, stats = run_minhash_dedup(units, "uk", str(tmp / "run-uk"), CFG)
    cdir = str(tmp / "run-uk" / "minhash" / "uk" / "clusters")
    members = defaultdict(list)
    for node, (cid, keep) in load_clusters(cdir, 0, len(units)).items():
        members[cid].append((node, keep))
    for cid, ms in members.items():
        ms.sort()
        assert [k for _, k in ms] == [True] + [False] * (len(ms) - 1)
        assert cid == ms[0][0]
    dropped = sum(len(ms) - 1 for ms in members.values())
    assert stats["dropped.near_duplicate"] == dropped
    kept = pa.concat_tables([pq.read_table(o) for o in outs])
    assert kept.num_rows == stats["kept"] == len(corpus["uk"]) - dropped


def test_order(planted):
    tmp, corpus, units, where = planted
    a = stages(units, "zh", tmp / "order-a")
    b = stages(units, "zh", tmp / "order-b", order=[2, 0, 1])
    assert load_clusters(a, 0, 3) == load_clusters(b, 0, 3) and load_clusters(a, 0, 3)
    assert load_clusters(a, 1, 2) == {k: v for k, v in load_clusters(a, 0, 3).items() if k >> 32 == 1}


def test_rerun(planted, tmp_path):
    _, _, units, _ = planted
    outs, stats = run_minhash_dedup(units, "el", str(tmp_path), CFG)
    outs2, stats2 = run_minhash_dedup(units, "el", str(tmp_path), CFG)
    assert stats2 == stats and outs2 == outs


def _units(tmp_path, texts_per_unit, lang="en"):
    from xlm_core.document import Document, to_table
    paths = []
    for u, texts in enumerate(texts_per_unit):
        docs = [Document(id=f"{u}-{i}", text=t, language=lang, source="commoncrawl", source_file="x")
                for i, t in enumerate(texts)]
        path = tmp_path / f"u{u}.parquet"
        pq.write_table(to_table(docs), path)
        paths.append(str(path))
    return paths


def test_all_duplicate_input_keeps_one(tmp_path):
    text = " ".join(f"word{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}" for i in range(300))
    units = _units(tmp_path, [[text] * 50, [text] * 50])
    outs, stats = run_minhash_dedup(units, "en", str(tmp_path / "w"), CFG)
    assert stats["kept"] == 1 and stats["dropped.near_duplicate"] == 99
