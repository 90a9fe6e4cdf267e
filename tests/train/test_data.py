import os

import numpy as np
import pytest
import torch

from xlm_core.model.config import ModelConfig
from xlm_core.train.config import TrainConfig
from xlm_core.train.data import RankBatches

MODEL = ModelConfig.from_size("tiny", vocab_size=300)


def _streams(seq=32):
    rng = np.random.default_rng(0)
    out = {}
    for lang, n in (("en", 50), ("sw", 10)):
        rows = rng.integers(4, 299, (n, seq))
        rows[:, 0], rows[:, -1] = 0, 2
        out[lang] = [r[: seq - (i % 5)] for i, r in enumerate(rows)]  # some shorter than seq: padded
    return out


def _pairs():
    return [(np.arange(4, 10 + i), np.arange(50, 55 + i), "en", "sw") for i in range(7)]


def _batches(rank=0, **kw):
    train = TrainConfig(max_steps=1, micro_batch_size=4, global_batch_size=8, seq_len=32, **kw)
    return RankBatches(MODEL, train, _streams(), _pairs(), rank=rank, world_size=2)


def test_same_step_same_batch_and_resume_from_state():
    a, b = _batches(), _batches()
    first = [a.batch(k) for k in range(6)]
    again = [b.batch(k) for k in range(3)]
    state = b.state()
    c = _batches()
    c.load_state(state)
    rest = [c.batch(k) for k in range(3, 6)]
    for x, y in zip(first, again + rest):
        assert torch.equal(x["input_ids"], y["input_ids"]) and torch.equal(x["labels"], y["labels"])


def test_ranks_get_different_data():
    assert not torch.equal(_batches(rank=0).batch(0)["input_ids"], _batches(rank=1).batch(0)["input_ids"])


def test_tlm_ratio_mixes_objectives():
    b = _batches(tlm_ratio=0.5)
    kinds = [b.is_tlm(k) for k in range(200)]
    assert 70 < sum(kinds) < 130
    k = kinds.index(True)
    assert b.batch(k)["position_ids"] is not None


def test_token_ids_outside_the_vocabulary_are_refused():
    streams = {"en": [np.full(32, 400)]}
    train = TrainConfig(max_steps=1, micro_batch_size=2, global_batch_size=2, seq_len=32)
    with pytest.raises(ValueError, match="token id 400 outside model.vocab_size=300"):
        RankBatches(MODEL, train, streams, None, rank=0, world_size=1).batch(0)


def test_tlm_without_pairs_is_refused():
    train = TrainConfig(max_steps=1, micro_batch_size=2, global_batch_size=2, seq_len=32, tlm_ratio=0.5)
    with pytest.raises(ValueError, match="needs parallel data"):
        RankBatches(MODEL, train, _streams(), None, rank=0, world_size=1)


def _docs(lang: str, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """n documents of byte ids ending in </s>, as (tokens, offsets)."""
    lengths = rng.integers(5, 40, n)
    docs = [np.append(rng.integers(4, 260, k), 2) for k in lengths]
    return np.concatenate(docs).astype(np.uint16), np.concatenate([[0], np.cumsum([len(d) for d in docs])])


def _token_streams(root, vocab_size=300):
    """A token-stream root in the layout `xlm vocab --tokenize` writes, through its own writers."""
    from types import SimpleNamespace

    from xlm_core.tokenize.manifest import build_token_manifest, write_token_manifest
    from xlm_core.tokenize.stream import write_stream

    rng = np.random.default_rng(0)
    vocab = SimpleNamespace(sha256="0" * 64, spm_size=vocab_size - 2, size=vocab_size, model_type="bpe", byte_fallback=False, dtype=np.uint16)
    shards = []
    for lang, n in (("en", 60), ("sw", 15)):
        os.makedirs(root / lang)
        rec = write_stream(str(root / lang), "part-00000", *_docs(lang, n, rng))
        shards.append({"language": lang, "stream": {**rec.to_json(), "bin": f"{lang}/{rec.bin}", "idx": f"{lang}/{rec.idx}"}})
    write_token_manifest(str(root), build_token_manifest({"name": "t"}, vocab, shards, seq_len=32))
    return str(root)


def _pair_streams(root, vocab_size=300):
    """A parallel token-stream root as `xlm vocab --parallel` writes it (PairDataset's layout)."""
    import json

    from xlm_core.tokenize.stream import write_stream

    rng = np.random.default_rng(1)
    os.makedirs(root / "en-sw")
    streams = {lang: write_stream(str(root / "en-sw"), lang, *_docs(lang, 12, rng)).to_json() for lang in ("en", "sw")}
    manifest = {"kind": "xlm-parallel-token-streams", "vocab": {"sha256": "0" * 64, "vocab_size": vocab_size}, "dtype": "uint16",
                "pairs": [{"pair": "en-sw", "l1": "en", "l2": "sw", "streams": streams}]}  # fmt: skip
    (root / "manifest.json").write_text(json.dumps(manifest))
    return str(root)


def test_reads_the_packed_and_pair_datasets(tmp_path):
    from xlm_core.train.config import DataConfig
    from xlm_core.train.data import open_mlm_streams, open_pairs

    data = DataConfig(mlm=_token_streams(tmp_path / "tok"), tlm=_pair_streams(tmp_path / "par"))
    streams = open_mlm_streams(data, 32, 300)
    pairs = open_pairs(data, 300)
    assert sorted(streams) == ["en", "sw"] and len(pairs) == 12
    cfg = ModelConfig.from_size("tiny", vocab_size=300, num_languages=2)
    train = TrainConfig(max_steps=1, micro_batch_size=4, global_batch_size=4, seq_len=32, tlm_ratio=0.5)
    b = RankBatches(cfg, train, streams, pairs, rank=0, world_size=1)
    assert b.lang_index == {"en": 0, "sw": 1}
    kinds = {b.is_tlm(k): k for k in range(20)}
    mlm, tlm = b.batch(kinds[False]), b.batch(kinds[True])
    assert mlm["input_ids"].shape == tlm["input_ids"].shape == (4, 32)
    assert (tlm["token_type_ids"] == 1).any() and tlm["position_ids"][:, 0].eq(2).all()
    with pytest.raises(ValueError, match="300-token vocabulary but model.vocab_size=500"):
        open_mlm_streams(data, 32, 500)
    with pytest.raises(ValueError, match="300-token vocabulary but model.vocab_size=500"):
        open_pairs(data, 500)
