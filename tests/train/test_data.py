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
