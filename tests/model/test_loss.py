import pytest
import torch

from xlm_core.model.loss import chunked_linear_cross_entropy, fold_bias, full_linear_cross_entropy, linear_cross_entropy


def _inputs(rows=37, hidden=16, vocab=101, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, hidden, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(vocab, hidden, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(vocab, generator=g, dtype=torch.float64, requires_grad=True)
    t = torch.randint(0, vocab, (rows,), generator=g)
    return x, w, b, t


@pytest.mark.parametrize("chunk", [1, 5, 37, 100])
def test_chunked_equals_full_loss_and_gradients(chunk):
    x, w, b, t = _inputs()
    ref, ref_correct = full_linear_cross_entropy(x, w, b, t)
    gx, gw, gb = torch.autograd.grad(ref, (x, w, b))
    loss, correct = chunked_linear_cross_entropy(x, w, b, t, chunk_rows=chunk)
    cx, cw, cb = torch.autograd.grad(loss, (x, w, b))
    assert torch.allclose(loss, ref, atol=1e-12)
    assert int(correct) == int(ref_correct)
    for a, r in ((cx, gx), (cw, gw), (cb, gb)):
        assert torch.allclose(a, r, atol=1e-12)


def test_no_masked_rows_gives_zero_loss_with_zero_gradients():
    x, w, b, t = _inputs(rows=0)
    loss, correct, counted = linear_cross_entropy(x, w, b, t)
    loss.backward()
    assert loss.item() == 0 and int(correct) == 0 and int(counted) == 0
    assert torch.count_nonzero(w.grad) == 0


def test_folded_bias_is_exact():
    """The CCE path folds the decoder bias into one more feature column."""
    x, w, b, _ = _inputs(hidden=24)
    e, c = fold_bias(x, w, b)
    assert e.shape[1] % 16 == 0 and c.shape[1] == e.shape[1]
    assert torch.allclose(e @ c.T, x @ w.T + b, atol=1e-12)


def test_unknown_impl_is_refused():
    x, w, b, t = _inputs()
    with pytest.raises(ValueError, match="loss impl 'fast'"):
        linear_cross_entropy(x, w, b, t, impl="fast")
    with pytest.raises(ValueError, match="cut-cross-entropy"):
        linear_cross_entropy(x, w, b, t, impl="cce")  # not installed on CPU


def test_bf16_chunked_matches_fp32_reference():
    """DeepSpeed's bf16 mode hands the head bf16 tensors; log-sum-exp and softmax run in fp32."""
    x, w, b, t = _inputs(rows=64, hidden=32, vocab=500)
    xb, wb, bb = (v.detach().to(torch.bfloat16).requires_grad_() for v in (x, w, b))
    loss, _ = chunked_linear_cross_entropy(xb, wb, bb, t, chunk_rows=16)
    loss.backward()
    ref, _ = full_linear_cross_entropy(*(v.detach().to(torch.bfloat16).double() for v in (x, w, b)), t)
    assert loss.dtype == torch.float32 and abs(loss.item() - ref.item()) < 1e-3 * ref.item()  # bf16-rounded logits
    assert wb.grad.dtype == torch.bfloat16 and torch.isfinite(wb.grad.float()).all()
