"""Linear + cross-entropy over the masked rows without materialising all their fp32 logits.

At a 250k vocabulary, 32x512 tokens at 15% masking give ~2.5k rows: full fp32 logits would be
~2.5 GB plus as much for their gradient. Two paths:
  * `chunked` (plain torch, any device): an autograd function that walks the rows in chunks,
    keeps only the per-row log-sum-exp, and recomputes each chunk's logits in backward.
  * `cce` (CUDA, when `cut_cross_entropy` is importable): Apple's Cut Cross-Entropy kernel. The
    decoder bias is folded in exactly as one more feature: e' = [e, 1], c' = [W, b], so
    e' @ c'^T = e @ W^T + b (zero-padded to a multiple of 16 features for aligned tiles).
liger-kernel's fused linear CE is deliberately not used: its rows-per-chunk heuristic
(rows * hidden / vocab) gives ~8-row chunks at 250k vocab, slower than no fusion at all."""

from __future__ import annotations

import functools
import inspect

import torch
import torch.nn.functional as F

CHUNK_BYTES = 256 << 20  # fp32 logits per chunk: 256 MiB = 268 rows at 250k vocab
CCE_ACCURACY_ROWS = 256  # the CCE kernel gives no argmax: accuracy is measured on this many rows


@functools.cache
def _cce():
    try:
        from cut_cross_entropy import linear_cross_entropy
    except ImportError:
        return None
    return linear_cross_entropy


def cce_available() -> bool:
    return _cce() is not None


class _ChunkedLinearCE(torch.autograd.Function):
    # custom_fwd/bwd: backward recomputes the logits under the same autocast state as forward
    @staticmethod
    @torch.amp.custom_fwd(device_type="cuda")
    def forward(ctx, x, weight, bias, targets, chunk_rows):
        # x (rows, hidden), weight (vocab, hidden), bias (vocab,), targets (rows,)
        n = x.shape[0]
        acc = torch.promote_types(x.dtype, torch.float32)  # fp32 logits for bf16 inputs, never less
        lse = torch.empty(n, dtype=acc, device=x.device)
        loss = torch.zeros((), dtype=acc, device=x.device)
        correct = torch.zeros((), dtype=torch.long, device=x.device)
        for s in range(0, n, chunk_rows):
            t = targets[s : s + chunk_rows]
            logits = F.linear(x[s : s + chunk_rows], weight, bias).to(acc)  # (chunk, vocab)
            lse[s : s + chunk_rows] = logits.logsumexp(-1)
            loss += (lse[s : s + chunk_rows] - logits.gather(1, t[:, None]).squeeze(1)).sum()
            correct += (logits.argmax(-1) == t).sum()
        ctx.save_for_backward(x, weight, bias, targets, lse)
        ctx.chunk_rows = chunk_rows
        ctx.mark_non_differentiable(correct)
        return loss / n, correct

    @staticmethod
    @torch.amp.custom_bwd(device_type="cuda")
    def backward(ctx, grad_loss, _grad_correct):
        x, weight, bias, targets, lse = ctx.saved_tensors
        n, chunk = x.shape[0], ctx.chunk_rows
        scale = grad_loss / n
        dx = torch.empty_like(x)
        acc = lse.dtype
        dw = torch.zeros(weight.shape, dtype=acc, device=weight.device)
        db = torch.zeros(bias.shape, dtype=acc, device=bias.device)
        for s in range(0, n, chunk):
            xc, t = x[s : s + chunk], targets[s : s + chunk]
            # d loss / d logits = softmax - onehot, recomputed from the saved log-sum-exp
            g = (F.linear(xc, weight, bias).to(acc) - lse[s : s + chunk, None]).exp_()
            g[torch.arange(t.numel(), device=t.device), t] -= 1.0
            g.mul_(scale)  # (chunk, vocab)
            dx[s : s + chunk] = (g.to(weight.dtype) @ weight).to(x.dtype)
            dw.addmm_(g.t(), xc.to(acc))
            db += g.sum(0)
        return dx, dw.to(weight.dtype), db.to(bias.dtype), None, None


def chunked_linear_cross_entropy(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, targets: torch.Tensor, chunk_rows: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean loss, n_correct) of softmax(x @ weight^T + bias) against targets, chunked over rows."""
    if chunk_rows is None:
        chunk_rows = max(1, CHUNK_BYTES // (4 * weight.shape[0]))
    return _ChunkedLinearCE.apply(x, weight, bias, targets, chunk_rows)


def full_linear_cross_entropy(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, targets: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reference: materialises all logits."""
    logits = F.linear(x, weight, bias).to(torch.promote_types(x.dtype, torch.float32))
    return F.cross_entropy(logits, targets), (logits.argmax(-1) == targets).sum()


@functools.cache
def _cce_has_bias() -> bool:
    return "bias" in inspect.signature(_cce()).parameters


def cce_linear_cross_entropy(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """Mean loss through cut-cross-entropy (CUDA, bf16/fp16 inputs)."""
    cce = _cce()
    if _cce_has_bias():
        return cce(x, weight, targets, bias=bias)
    return cce(*fold_bias(x, weight, bias), targets)


def fold_bias(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(e', c') with e' @ c'^T = x @ weight^T + bias exactly: e' = [x, 1, 0..], c' = [weight, bias, 0..],
    zero-padded to a multiple of 16 features. x (rows, hidden), weight (vocab, hidden)."""
    n, h = x.shape
    extra = 16 - h % 16  # one bias feature plus zero padding
    ones = torch.zeros(n, extra, dtype=x.dtype, device=x.device)
    ones[:, 0] = 1
    bias_col = torch.cat([bias[:, None].to(weight.dtype), weight.new_zeros(weight.shape[0], extra - 1)], 1)
    return torch.cat([x, ones], 1), torch.cat([weight, bias_col], 1)


def linear_cross_entropy(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, targets: torch.Tensor, impl: str = "auto"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mean loss, n_correct, n_counted) for x (rows, hidden), weight (vocab, hidden), bias (vocab,).

    impl: "auto" (cce on CUDA when installed, else chunked), "cce", "chunked", "full"."""
    n = x.shape[0]
    counted = torch.tensor(n, device=x.device)
    if n == 0:  # no masked token in this batch: a zero that still reaches every parameter
        zero = (x.sum() + weight.sum() + bias.sum()) * 0.0
        return zero, torch.zeros((), dtype=torch.long, device=x.device), counted
    if impl == "auto":
        impl = "cce" if x.is_cuda and cce_available() else "chunked"
    if impl == "chunked":
        loss, correct = chunked_linear_cross_entropy(x, weight, bias, targets)
        return loss, correct, counted
    if impl == "full":
        loss, correct = full_linear_cross_entropy(x, weight, bias, targets)
        return loss, correct, counted
    if impl == "cce":
        if not cce_available():
            raise ValueError("loss impl 'cce' needs the cut-cross-entropy package (CUDA only)")
        if x.dtype == torch.float32 and torch.is_autocast_enabled("cuda"):
            # under autocast the LayerNorm output and the parameters are fp32; the kernel wants 16-bit
            low = torch.get_autocast_dtype("cuda")
            x, weight = x.to(low), weight.to(low)
        loss = cce_linear_cross_entropy(x, weight, bias, targets)
        with torch.no_grad():  # accuracy on a sample of rows: CCE never forms the logits
            k = min(n, CCE_ACCURACY_ROWS)
            logits = F.linear(x[:k], weight, bias)
            correct = (logits.argmax(-1) == targets[:k]).sum()
        return loss, correct, torch.tensor(k, device=x.device)
    raise ValueError(f"loss impl {impl!r} is not one of 'auto', 'cce', 'chunked', 'full'")
