import torch
import torch.nn.functional as F

from xlm_core.model.config import ModelConfig
from xlm_core.model.encoder import XLMREncoder, roberta_position_ids


def _model(**kw):
    torch.manual_seed(0)
    cfg = ModelConfig.from_size("tiny", vocab_size=300, dropout=0.0, attention_dropout=0.0, **kw)
    return XLMREncoder(cfg).eval(), cfg


def test_shapes():
    m, cfg = _model()
    ids = torch.randint(4, 299, (3, 64))
    h = m.encode(ids)
    assert h.shape == (3, 64, cfg.hidden_size)
    assert m.logits(h).shape == (3, 64, 300)


def test_positions_start_after_pad_and_skip_pads():
    ids = torch.tensor([[0, 5, 6, 2, 1, 1]])
    assert roberta_position_ids(ids, 1).tolist() == [[2, 3, 4, 5, 1, 1]]


def test_padding_does_not_change_real_tokens():
    m, _ = _model()
    ids = torch.randint(4, 299, (1, 10))
    padded = torch.cat([ids, torch.ones(1, 6, dtype=torch.long)], 1)
    a = m.encode(ids)
    b = m.encode(padded, attention_mask=padded.ne(1).long())
    assert torch.allclose(a, b[:, :10], atol=1e-5)


def test_loss_uses_only_masked_rows_and_equals_full_cross_entropy():
    m, _ = _model()
    ids = torch.randint(4, 299, (2, 16))
    labels = torch.full_like(ids, -100)
    labels[0, 3], labels[1, 7], labels[1, 8] = 11, 12, 13
    loss, correct, counted, masked = m(ids, labels)
    full = F.cross_entropy(m.logits(m.encode(ids)).view(-1, 300), labels.view(-1), ignore_index=-100)
    assert torch.allclose(loss, full, atol=1e-6)
    assert int(masked) == 3 and int(counted) == 3


def test_language_embeddings_change_the_output():
    m, _ = _model(num_languages=3)
    ids = torch.randint(4, 299, (1, 8))
    a = m.encode(ids, token_type_ids=torch.zeros_like(ids))
    b = m.encode(ids, token_type_ids=torch.full_like(ids, 2))
    assert m.type_emb.weight.shape[0] == 3
    assert not torch.allclose(a, b)


def test_tied_decoder_weight_gets_gradient_from_the_head():
    m, _ = _model()
    m.train()
    ids = torch.randint(4, 299, (2, 16))
    labels = torch.full_like(ids, -100)
    labels[:, 5] = 42
    m(ids, labels)[0].backward()
    # row 42 appears only as a target (ids are random, so maybe also as an input): it must get a gradient
    assert m.tok_emb.weight.grad[42].abs().sum() > 0
