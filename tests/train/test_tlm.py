import numpy as np
import pytest

from xlm_core.model.config import ModelConfig
from xlm_core.train.tlm import build_tlm_batch

CFG = ModelConfig.from_size("tiny", vocab_size=300)


def test_layout_positions_and_languages():
    pairs = [(np.array([10, 11, 12]), np.array([20, 21]), "en", "fr")]
    b = build_tlm_batch(pairs, 12, CFG, {"en": 0, "fr": 1})
    assert b["input_ids"][0].tolist() == [0, 10, 11, 12, 2, 0, 20, 21, 2, 1, 1, 1]
    # positions restart at pad_id + 1 for the second sentence; pads get pad_id
    assert b["position_ids"][0].tolist() == [2, 3, 4, 5, 6, 2, 3, 4, 5, 1, 1, 1]
    assert b["token_type_ids"][0].tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0]
    assert b["attention_mask"][0].tolist() == [1] * 9 + [0] * 3


def test_existing_specials_are_not_doubled_and_no_lang_embeddings_gives_zeros():
    pairs = [(np.array([0, 10, 2]), np.array([0, 20, 2]), "en", "de")]
    b = build_tlm_batch(pairs, 8, CFG)
    assert b["input_ids"][0].tolist() == [0, 10, 2, 0, 20, 2, 1, 1]
    assert b["token_type_ids"].eq(0).all()


@pytest.mark.parametrize("la,lb", [(30, 2), (2, 30), (20, 20)])
def test_long_pairs_are_cut_to_fit_and_keep_both_sentences(la, lb):
    pairs = [(np.arange(4, 4 + la), np.arange(100, 100 + lb), "en", "fr")]
    b = build_tlm_batch(pairs, 16, CFG, {"en": 0, "fr": 1})
    ids = b["input_ids"][0].tolist()
    assert len(ids) == 16 and ids.count(0) == 2 and ids.count(2) == 2
    assert 1 not in ids  # exactly filled
    first = ids[1 : ids.index(2)]
    assert first == list(range(4, 4 + len(first)))  # cut from the end, order kept
    if min(la, lb) <= 6:
        assert min(la, lb) in (len(first), 16 - 4 - len(first))  # the short side stays whole
