"""Gopher quality rules (Rae et al. 2021, appendix A.1): word length, symbols, bullets,
ellipses, alphabetic words, stop words. Word-length rules are skipped for char-based languages,
where a "word" is one character."""

from __future__ import annotations

from .config import FilterConfig

_BULLETS = ("•", "‣", "⁃", "◦", "∙", "·", "-", "*", "–", "—", "►", "▪")
_ELLIPSES = ("...", "…")


def check_gopher_quality(text: str, words: list[str], lines: list[str], cfg: FilterConfig) -> str | None:
    n = len(words)
    if n == 0:
        return "gopher_quality.no_words"
    if not cfg.char_based:
        mean = sum(len(w) for w in words) / n
        if mean < cfg.min_mean_word_length:
            return "gopher_quality.mean_word_length_low"
        if mean > cfg.max_mean_word_length:
            return "gopher_quality.mean_word_length_high"
    symbols = text.count("#") + text.count("...") + text.count("…")
    if symbols / n > cfg.max_symbol_word_ratio:
        return "gopher_quality.symbol_ratio"
    if lines:
        bullets = sum(1 for ln in lines if ln.lstrip().startswith(_BULLETS))
        if bullets / len(lines) > cfg.max_bullet_lines_ratio:
            return "gopher_quality.bullet_lines"
        ellipses = sum(1 for ln in lines if ln.rstrip().endswith(_ELLIPSES))
        if ellipses / len(lines) > cfg.max_ellipsis_lines_ratio:
            return "gopher_quality.ellipsis_lines"
    alpha = sum(1 for w in words if any(c.isalpha() for c in w))
    if alpha / n < cfg.min_alpha_words_ratio:
        return "gopher_quality.alpha_words"
    if cfg.min_stop_words:
        stop = cfg.stop_words
        if sum(1 for w in words if w.lower() in stop) < cfg.min_stop_words:
            return "gopher_quality.stop_words"
    return None
