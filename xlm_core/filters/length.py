"""Document length in words (or characters for languages without spaces)."""

from __future__ import annotations

from .config import FilterConfig


def check_max_chars(text: str, cfg: FilterConfig) -> str | None:
    """Cheap guard run before any tokenization, so one 50 MB line costs a `len`, not a split."""
    if len(text) > cfg.max_chars:
        return "length.too_many_chars"
    return None


def check_length(n_words: int, cfg: FilterConfig) -> str | None:
    """`n_words` counts characters for char-based languages (see text.words)."""
    lo, hi = (cfg.min_chars, cfg.max_chars) if cfg.char_based else (cfg.min_words, cfg.max_words)
    if n_words < lo:
        return "length.too_short"
    if n_words > hi:
        return "length.too_long"
    return None
