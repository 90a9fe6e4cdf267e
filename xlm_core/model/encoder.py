"""XLM-R encoder: token + learned position (+ optional language) embeddings, post-LN Transformer
layers, GELU, SDPA attention, and the RoBERTa LM head tied to the token embeddings.

Parameter layout follows HF `XLMRobertaForMaskedLM` one to one (the fused qkv projection splits
into query/key/value), so `xlm_core.train.export` is a key rename and the logits match exactly."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from xlm_core.model.config import ModelConfig
from xlm_core.model.loss import linear_cross_entropy


def roberta_position_ids(input_ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Positions pad_id+1, pad_id+2, ... over non-pad tokens, pad_id on pads (fairseq make_positions,
    the same arithmetic as HF so exported models agree)."""
    mask = input_ids.ne(pad_id).int()
    return (torch.cumsum(mask, dim=1).type_as(mask) * mask).long() + pad_id


class SelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.num_heads = cfg.num_heads
        self.qkv = nn.Linear(cfg.hidden_size, 3 * cfg.hidden_size)  # one GEMM instead of three
        self.out = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.attn_dropout = cfg.attention_dropout

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor | None) -> torch.Tensor:
        b, t, h = x.shape
        # (3, batch, heads, seq, head_dim)
        q, k, v = self.qkv(x).view(b, t, 3, self.num_heads, h // self.num_heads).permute(2, 0, 3, 1, 4)
        # No mask (packed batches): SDPA may pick flash attention on CUDA; a mask selects mem-efficient.
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=key_mask, dropout_p=self.attn_dropout if self.training else 0.0
        )
        return self.out(y.transpose(1, 2).reshape(b, t, h))


class Layer(nn.Module):
    """Post-LN block (BERT/XLM-R): x = LN(x + Attn(x)); x = LN(x + FFN(x))."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.attn = SelfAttention(cfg)
        self.ln_attn = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.fc1 = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.fc2 = nn.Linear(cfg.intermediate_size, cfg.hidden_size)
        self.ln_ffn = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor | None) -> torch.Tensor:
        x = self.ln_attn(x + self.dropout(self.attn(x, key_mask)))
        return self.ln_ffn(x + self.dropout(self.fc2(F.gelu(self.fc1(x)))))


class LMHead(nn.Module):
    """RobertaLMHead: dense -> GELU -> LayerNorm -> tied decoder + bias.

    The loss is computed inside `forward` so that, under ZeRO-3, this module's parameters are
    gathered while it runs; the tied decoder weight is passed in (and registered as an external
    parameter of this module by the trainer)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.layer_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(cfg.vocab_size))

    def transform(self, h: torch.Tensor) -> torch.Tensor:
        return self.layer_norm(F.gelu(self.dense(h)))

    def forward(
        self, h: torch.Tensor, targets: torch.Tensor, decoder_weight: torch.Tensor, impl: str = "auto"
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """h (rows, hidden) of masked positions only; returns (mean loss, n_correct, n_counted)."""
        return linear_cross_entropy(self.transform(h), decoder_weight, self.bias, targets, impl=impl)


class XLMREncoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.hidden_size, padding_idx=cfg.pad_id)
        self.pos_emb = nn.Embedding(cfg.max_positions, cfg.hidden_size, padding_idx=cfg.pad_id)
        # XLM-R: one token type (all zeros); XLM mode: one row per language.
        self.type_emb = nn.Embedding(cfg.type_vocab_size, cfg.hidden_size)
        self.emb_ln = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.emb_dropout = nn.Dropout(cfg.dropout)
        self.layers = nn.ModuleList(Layer(cfg) for _ in range(cfg.num_layers))
        self.lm_head = LMHead(cfg)
        self.loss_impl = "auto"  # "auto" | "chunked" | "cce" | "full"; see model/loss.py
        self.apply(self._init)

    def _init(self, m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=self.cfg.init_std)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)
        if isinstance(m, nn.Embedding) and m.padding_idx is not None:
            with torch.no_grad():
                m.weight[m.padding_idx].zero_()

    def encode(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """input_ids (batch, seq) -> hidden states (batch, seq, hidden).

        attention_mask (batch, seq), 1/True = attend; None = every token attends to every token (HF's
        default too). position_ids default to RoBERTa's (restart them per segment for TLM);
        token_type_ids are language ids in XLM mode, else zeros."""
        if position_ids is None:
            position_ids = roberta_position_ids(input_ids, self.cfg.pad_id)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.tok_emb(input_ids) + self.type_emb(token_type_ids)
        x = self.emb_dropout(self.emb_ln(x + self.pos_emb(position_ids)))
        key_mask = None
        if attention_mask is not None:
            key_mask = attention_mask.bool()[:, None, None, :]  # (batch, 1, 1, seq) broadcast over heads/queries
        for layer in self.layers:
            x = layer(x, key_mask)
        return x

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Full vocabulary logits (..., vocab) for inference and export checks; training never calls it."""
        return F.linear(self.lm_head.transform(hidden), self.tok_emb.weight, self.lm_head.bias)

    def forward(
        self,
        input_ids: torch.Tensor,
        labels: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(loss, n_correct, n_counted, n_masked), all 0-d: mean loss over this batch's masked tokens;
        argmax hits over n_counted rows (all masked rows, or a sample on the CCE path); masked tokens.
        A tuple, not a dataclass, so ZeRO-3's hooks see the output tensors.

        labels (batch, seq): target id at masked positions, -100 elsewhere. The LM head only sees
        the masked rows: at 15% masking that is ~7x less head work, and at a 250k vocabulary the head
        dominates a base model's FLOPs."""
        hidden = self.encode(input_ids, attention_mask, position_ids, token_type_ids)
        sel = labels.ne(-100)
        rows = hidden[sel]  # (n_masked, hidden)
        targets = labels[sel]  # (n_masked,)
        loss, n_correct, n_counted = self.lm_head(rows, targets, self.tok_emb.weight, self.loss_impl)
        return loss, n_correct, n_counted, targets.new_tensor(targets.numel())
