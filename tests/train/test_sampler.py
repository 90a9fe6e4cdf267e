import numpy as np
import pytest

from xlm_core.train.sampler import LanguageSampler, StreamWalker, language_probs


def test_alpha_smoothing():
    p = language_probs({"en": 900, "sw": 100}, 0.5)
    assert p["en"] == pytest.approx(30 / 40) and p["sw"] == pytest.approx(10 / 40)
    assert language_probs({"en": 900, "sw": 100}, 1.0)["sw"] == pytest.approx(0.1)
    assert language_probs({"en": 900, "sw": 100}, 0.0)["sw"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="empty"):
        language_probs({"en": 10, "sw": 0}, 0.3)


def test_draws_follow_probabilities_and_are_deterministic():
    s = LanguageSampler({"en": 900, "sw": 100}, 0.5, seed=1)
    draws = [lang for k in range(400) for lang in s.draw(16, micro_step=k, rank=0)]
    assert abs(draws.count("sw") / len(draws) - 0.25) < 0.02
    assert s.draw(16, micro_step=3, rank=0) == LanguageSampler({"en": 900, "sw": 100}, 0.5, seed=1).draw(16, micro_step=3, rank=0)


def test_walker_covers_each_epoch_once_and_ranks_are_disjoint():
    a = StreamWalker(10, seed=0, stream_index=0, rank=0, world_size=2)
    b = StreamWalker(10, seed=0, stream_index=0, rank=1, world_size=2)
    first_epoch = [a.next() for _ in range(5)] + [b.next() for _ in range(5)]
    assert sorted(first_epoch) == list(range(10))
    # resuming from a cursor continues the same sequence
    c = StreamWalker(10, seed=0, stream_index=0, rank=0, world_size=2)
    seq = [c.next() for _ in range(12)]
    d = StreamWalker(10, seed=0, stream_index=0, rank=0, world_size=2, cursor=7)
    assert [d.next() for _ in range(5)] == seq[7:]
    assert np.unique(seq[:5]).size == 5
