"""TLM (XLM, Lample & Conneau 2019): a parallel pair as one sequence `<s> a </s> <s> b </s> <pad>...`,
positions restarting at the second sentence, one language id per half; masked like MLM in both
halves, so a masked word can be predicted from its translation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from xlm_core.model.config import ModelConfig

Pair = tuple[Sequence[int], Sequence[int], str, str]  # (ids_l1, ids_l2, lang1, lang2)


def _strip(ids: Sequence[int], cfg: ModelConfig) -> list[int]:
    """Token ids without a leading <s> / trailing </s>, which the layout adds itself."""
    out = [int(i) for i in np.asarray(ids).tolist()]
    if out and out[0] == cfg.bos_id:
        out = out[1:]
    if out and out[-1] == cfg.eos_id:
        out = out[:-1]
    return out


def _fit(a: list[int], b: list[int], budget: int) -> tuple[list[int], list[int]]:
    """Truncate the longer side until both fit in budget tokens (keeps short sentences whole)."""
    over = len(a) + len(b) - budget
    if over <= 0:
        return a, b
    # cut the longer side down to the shorter one's length first, then both evenly
    cut_a = min(over, max(0, len(a) - len(b)))
    cut_b = min(over - cut_a, max(0, len(b) - len(a)))
    rest = over - cut_a - cut_b
    cut_a += (rest + 1) // 2
    cut_b += rest // 2
    return a[: len(a) - cut_a], b[: len(b) - cut_b]


def build_tlm_batch(
    pairs: Sequence[Pair], seq_len: int, cfg: ModelConfig, lang_index: dict[str, int] | None = None
) -> dict[str, torch.Tensor]:
    """Unmasked TLM inputs, each (batch, seq_len) int64: input_ids, position_ids, token_type_ids,
    attention_mask. token_type_ids carry lang_index[lang] per half in XLM mode (lang_index given),
    else zeros."""
    if seq_len > 2 * cfg.max_seq_len + 4:
        raise ValueError(f"TLM seq_len={seq_len} exceeds what the position table allows per half")
    n = len(pairs)
    ids = torch.full((n, seq_len), cfg.pad_id, dtype=torch.long)
    pos = torch.full((n, seq_len), cfg.pad_id, dtype=torch.long)
    types = torch.zeros((n, seq_len), dtype=torch.long)
    for r, (x, y, l1, l2) in enumerate(pairs):
        a, b = _fit(_strip(x, cfg), _strip(y, cfg), seq_len - 4)
        a, b = a[: cfg.max_seq_len - 2], b[: cfg.max_seq_len - 2]
        start = 0
        for seg, lang in ((a, l1), (b, l2)):
            toks = [cfg.bos_id, *seg, cfg.eos_id]
            end = start + len(toks)
            ids[r, start:end] = torch.tensor(toks)
            pos[r, start:end] = torch.arange(cfg.pad_id + 1, cfg.pad_id + 1 + len(toks))  # restart per half
            if lang_index is not None:
                types[r, start:end] = lang_index[lang]
            start = end
    return {"input_ids": ids, "position_ids": pos, "token_type_ids": types, "attention_mask": ids.ne(cfg.pad_id).long()}
