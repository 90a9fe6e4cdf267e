"""Ingest -> tokenize pairs -> PairDataset, on the bundled Tatoeba sample."""

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.tokenize.helpers import TATOEBA
from xlm_core.io import sha256_file
from xlm_core.parallel.config import ParallelConfig
from xlm_core.parallel.dataset import PairDataset
from xlm_core.parallel.stage import ingest_parallel
from xlm_core.parallel.tokenize import tokenize_pairs
from xlm_core.tokenize.stream import CorruptStreamError, VocabMismatchError
from xlm_core.vocab.model import Vocabulary


@pytest.fixture(scope="module")
def pairs(built_vocab, tmp_path_factory):
    root = tmp_path_factory.mktemp("parallel")
    config = ParallelConfig(skip_lid=("sw",), languages=("de", "sw", "zh", "hi"))
    manifest = ingest_parallel([{"tsv": str(TATOEBA)}], str(root / "parallel"), config)
    tokenize_pairs(str(root / "parallel"), str(root / "tokens"), built_vocab["model"])
    return root, manifest


def test_parquet_per_pair_with_manifest(pairs):
    root, manifest = pairs
    assert [p["pair"] for p in manifest["pairs"]] == ["de-en", "hi-en", "sw-en", "zh-en"]
    for rec in manifest["pairs"]:
        path = root / "parallel" / rec["path"]
        assert path.parent.name == rec["pair"] and sha256_file(str(path))[0] == rec["sha256"]
        assert pq.read_metadata(path).num_rows == rec["rows"] == manifest["counters"][rec["pair"]]["kept"]


def test_tlm_pairs_line_up_with_their_sources(pairs, built_vocab):
    root, manifest = pairs
    vocab = Vocabulary(built_vocab["model"])
    ds = PairDataset(str(root / "tokens"), vocab=built_vocab["model"])
    assert len(ds) == sum(p["rows"] for p in manifest["pairs"])
    for rec in manifest["pairs"]:
        table = pq.read_table(root / "parallel" / rec["path"]).to_pylist()
        r = ds.pair_ranges[rec["pair"]]
        for j in np.linspace(0, len(r) - 1, 15).astype(int):
            ids1, ids2, l1, l2 = ds[r[j]]
            row = table[j]
            assert (l1, l2) == (row["l1"], row["l2"]) == (rec["l1"], rec["l2"])
            assert ids1.tolist() == vocab.encode([row["text1"]])[0].tolist()
            assert ids2.tolist() == vocab.encode([row["text2"]])[0].tolist()


def test_tlm_example_is_xlmr_pair_layout(pairs):
    root, _ = pairs
    ds = PairDataset(str(root / "tokens"), pairs=["zh-en"])
    a, b, _, _ = ds[0]
    ids, segment, l1, l2 = ds.tlm_example(0)
    assert ids.tolist() == [0, *a.tolist(), 2, 2, *b.tolist(), 2] and (l1, l2) == ("zh", "en")
    assert segment.tolist() == [0] * (len(a) + 2) + [1] * (len(b) + 2)
    short, seg, _, _ = ds.tlm_example(0, max_len=8)
    assert len(short) == 8 and short[0] == 0 and short[-1] == 2 and len(seg) == 8


def test_pair_streams_refuse_other_vocab_and_detect_corruption(pairs, tmp_path_factory):
    root, _ = pairs
    with pytest.raises(VocabMismatchError):
        PairDataset(str(root / "tokens"), vocab="0" * 64)
    path = root / "tokens" / "hi-en" / "en.bin"
    data = path.read_bytes()
    try:
        path.write_bytes(data[:-4])
        with pytest.raises(CorruptStreamError):
            PairDataset(str(root / "tokens"))
    finally:
        path.write_bytes(data)


def test_ingest_is_reproducible(pairs, tmp_path):
    root, manifest = pairs
    config = ParallelConfig(skip_lid=("sw",), languages=("de", "sw", "zh", "hi"))
    again = ingest_parallel([{"tsv": str(TATOEBA)}], str(tmp_path), config)
    assert again == manifest


def test_rerun_reuses_ingest_and_pair_streams(pairs, built_vocab):
    root, manifest = pairs
    config = ParallelConfig(skip_lid=("sw",), languages=("de", "sw", "zh", "hi"))
    files = [root / "parallel" / "de-en" / "part-00000.parquet", root / "tokens" / "de-en" / "de.bin"]
    before = [p.stat().st_mtime_ns for p in files]
    assert ingest_parallel([{"tsv": str(TATOEBA)}], str(root / "parallel"), config) == manifest
    tokenize_pairs(str(root / "parallel"), str(root / "tokens"), built_vocab["model"])
    assert [p.stat().st_mtime_ns for p in files] == before
    assert [p.name for p in (root / "parallel" / "_done").iterdir()] == ["ingest.json"]
    assert [p.name for p in (root / "tokens" / "_done").iterdir()] == ["tokenize.json"]


def test_changed_cleaning_config_reruns_ingest(tmp_path):
    first = ingest_parallel([{"tsv": str(TATOEBA)}], str(tmp_path), ParallelConfig(languages=("de",)), lid=False)
    again = ingest_parallel([{"tsv": str(TATOEBA)}], str(tmp_path), ParallelConfig(languages=("de", "zh")), lid=False)
    assert [p["pair"] for p in first["pairs"]] == ["de-en"]
    assert [p["pair"] for p in again["pairs"]] == ["de-en", "zh-en"]
