import pytest

from xlm_core.model.config import ModelConfig


def test_sizes_match_xlmr():
    base = ModelConfig.from_size("base", vocab_size=250002)
    assert (base.num_layers, base.hidden_size, base.num_heads, base.intermediate_size) == (12, 768, 12, 3072)
    large = ModelConfig.from_size("large", vocab_size=250002)
    assert (large.num_layers, large.hidden_size, large.num_heads) == (24, 1024, 16)
    # XLM-R base has ~278M parameters with its 250k vocabulary
    assert 270e6 < base.num_parameters() < 285e6


def test_mask_id_is_last_and_positions_offset_by_pad():
    cfg = ModelConfig.from_size("tiny", vocab_size=300)
    assert cfg.mask_id == 299
    assert cfg.max_seq_len == 512  # 514 rows, positions start at pad_id + 1 = 2


def test_from_dict_explicit_and_errors():
    cfg = ModelConfig.from_dict({"vocab_size": 300, "num_layers": 1, "hidden_size": 32, "num_heads": 2, "intermediate_size": 64})
    assert cfg.hidden_size == 32
    with pytest.raises(ValueError, match="model.size='huge'"):
        ModelConfig.from_dict({"size": "huge", "vocab_size": 300})
    with pytest.raises(ValueError, match="not divisible by model.num_heads"):
        ModelConfig(vocab_size=300, hidden_size=30, num_heads=4)
    with pytest.raises(ValueError, match="unknown field"):
        ModelConfig.from_dict({"vocab_size": 300, "hiden_size": 3})
