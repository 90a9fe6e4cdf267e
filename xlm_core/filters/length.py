"""Length rules: a hard cap on raw characters (checked before any tokenisation), then words
(characters for char-based languages, see text.py)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .config import FilterConfig


def too_many_chars(length: int, cfg: FilterConfig) -> bool:
    """Cheap guard run before line cleanup and tokenisation: one 50 MB line costs a `len`."""
    return length > cfg.max_chars


def length_rules(n_words: np.ndarray, cfg: FilterConfig) -> Iterator[tuple[str, np.ndarray]]:
    """(reason, fails (D,)) in rule order; `n_words` (D,) counts characters for char-based
    languages."""
    lo, hi = (cfg.min_chars, cfg.max_chars) if cfg.char_based else (cfg.min_words, cfg.max_words)
    yield "length.no_words", n_words == 0
    yield "length.too_short", n_words < lo
    yield "length.too_long", n_words > hi
