"""Dynamic MLM masking (BERT/XLM-R): 15% of non-special tokens become targets; of those 80% turn
into <mask>, 10% into a random normal token, 10% stay. Drawn from a caller-seeded generator, so the
same (seed, step) gives the same masks and a resumed run re-draws exactly what it would have."""

from __future__ import annotations

from dataclasses import dataclass

import torch

IGNORE = -100  # label of positions that are not predicted


@dataclass(frozen=True, kw_only=True, slots=True)
class MaskingConfig:
    vocab_size: int
    """Vocabulary size; <mask> is vocab_size - 1."""
    special_ids: tuple[int, ...] = (0, 1, 2)
    """Never masked, never drawn as random replacements (<s>, <pad>, </s>; <mask> is added)."""
    first_normal_id: int = 4
    """Random replacements are drawn from [first_normal_id, mask_id)."""
    mask_prob: float = 0.15
    """Share of (non-special) tokens that become targets."""
    mask_token_prob: float = 0.8
    """Share of targets replaced by <mask>."""
    random_token_prob: float = 0.1
    """Share of targets replaced by a random token (the rest stay unchanged)."""

    def __post_init__(self) -> None:
        if not 0 < self.mask_prob < 1:
            raise ValueError(f"train.mask_prob={self.mask_prob} must be in (0, 1)")
        if self.mask_token_prob < 0 or self.random_token_prob < 0 or self.mask_token_prob + self.random_token_prob > 1:
            raise ValueError("mask_token_prob + random_token_prob must be within [0, 1]")

    @property
    def mask_id(self) -> int:
        return self.vocab_size - 1


def mask_tokens(ids: torch.Tensor, cfg: MaskingConfig, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """ids (batch, seq) int64 -> (masked input ids, labels) with labels = IGNORE where not a target."""
    special = torch.zeros_like(ids, dtype=torch.bool)
    for s in (*cfg.special_ids, cfg.mask_id):
        special |= ids == s
    draw = torch.rand(ids.shape, generator=generator)
    target = (draw < cfg.mask_prob) & ~special
    labels = torch.where(target, ids, torch.full_like(ids, IGNORE))
    how = torch.rand(ids.shape, generator=generator)
    to_mask = target & (how < cfg.mask_token_prob)
    to_random = target & (how >= cfg.mask_token_prob) & (how < cfg.mask_token_prob + cfg.random_token_prob)
    random_ids = torch.randint(cfg.first_normal_id, cfg.mask_id, ids.shape, generator=generator)
    out = torch.where(to_mask, torch.full_like(ids, cfg.mask_id), ids)
    out = torch.where(to_random, random_ids, out)
    return out, labels
