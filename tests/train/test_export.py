import json
import os

import numpy as np
import pytest
import torch

from xlm_core.model.config import ModelConfig
from xlm_core.model.encoder import XLMREncoder
from xlm_core.train.export import write_hf_folder

from .textdata import byte_rows


def _trained_looking(cfg):
    torch.manual_seed(0)
    m = XLMREncoder(cfg)
    with torch.no_grad():  # non-trivial values everywhere (LayerNorms, biases, decoder bias)
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return m


def _real_text_ids():
    ids = torch.from_numpy(byte_rows("en", 3, 40).astype(np.int64))
    ids[2, 30:] = 1  # one padded row
    return ids


@pytest.mark.parametrize("num_languages", [0, 3])
def test_hf_logits_equal_ours(tmp_path, num_languages):
    from transformers import XLMRobertaForMaskedLM

    cfg = ModelConfig.from_size("tiny", vocab_size=300, num_languages=num_languages)
    m = _trained_looking(cfg).eval()
    out = tmp_path / "hf"
    ids = _real_text_ids()
    result = write_hf_folder(m.state_dict(), cfg, str(out), verify_ids=ids)
    assert result["max_logit_diff"] < 1e-5
    assert json.loads((out / "config.json").read_text())["architectures"] == ["XLMRobertaForMaskedLM"]
    assert (out / "model.safetensors").exists()
    hf = XLMRobertaForMaskedLM.from_pretrained(str(out)).eval()
    mask = ids.ne(1).long()
    types = torch.full_like(ids, num_languages - 1 if num_languages else 0)  # XLM mode: language id as token type
    with torch.no_grad():
        ours = m.logits(m.encode(ids, attention_mask=mask, token_type_ids=types))
        theirs = hf(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
    keep = mask.bool()
    assert (ours[keep] - theirs[keep]).abs().max() < 1e-5


def test_tokenizer_files_are_copied_and_a_missing_tokenizer_is_refused(tmp_path):
    cfg = ModelConfig.from_size("tiny", vocab_size=300)
    state = _trained_looking(cfg).state_dict()
    tok = tmp_path / "tok"
    tok.mkdir()
    (tok / "sentencepiece.bpe.model").write_bytes(b"spm")
    (tok / "tokenizer_config.json").write_text("{}")
    r = write_hf_folder(state, cfg, str(tmp_path / "hf"), tokenizer_dir=str(tok))
    assert sorted(r["tokenizer_files"]) == ["sentencepiece.bpe.model", "tokenizer_config.json"]
    assert (tmp_path / "hf" / "sentencepiece.bpe.model").read_bytes() == b"spm"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_hf_folder(state, cfg, str(tmp_path / "hf2"), tokenizer_dir=str(tmp_path / "nope"))
    assert not os.path.exists(tmp_path / "hf2")  # nothing half-written
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="neither sentencepiece.bpe.model nor tokenizer.json"):
        write_hf_folder(state, cfg, str(tmp_path / "hf3"), tokenizer_dir=str(tmp_path / "empty"))
