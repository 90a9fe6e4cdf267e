"""Gopher quality rules (Rae et al. 2021, appendix A.1): word length, symbols, bullets,
ellipses, alphabetic words, stop words. Word-length rules are skipped for char-based languages,
where a "word" is one character. Computed for a whole batch (text.FlatText) at once."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .config import FilterConfig
from .text import ALPHA, FlatText, Segments, per_doc

_BULLETS = np.array([ord(c) for c in "•‣⁃◦∙·-*–—►▪"], np.uint32)
_DOT, _ELLIPSIS = ord("."), ord("…")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den as Python's int / int (both exact in float64), 0 where den is 0."""
    return np.divide(num, den, out=np.zeros(len(num)), where=den > 0)


def quality_rules(flat: FlatText, words: Segments, cfg: FilterConfig) -> Iterator[tuple[str, np.ndarray]]:
    """(reason, fails (D,)) in rule order; a rule's values are computed when it is reached."""
    n = words.counts
    yield "gopher_quality.no_words", n == 0
    if not cfg.char_based:
        mean = _ratio(per_doc(words.lengths, words.bounds), n)
        yield "gopher_quality.mean_word_length_low", (n > 0) & (mean < cfg.min_mean_word_length)
        yield "gopher_quality.mean_word_length_high", (n > 0) & (mean > cfg.max_mean_word_length)
    symbols = np.fromiter((t.count("#") + t.count("...") + t.count("…") for t in flat.texts), np.int64,
                          flat.n_docs)
    yield "gopher_quality.symbol_ratio", (n > 0) & (_ratio(symbols, n) > cfg.max_symbol_word_ratio)

    lines, cps = flat.lines, flat.cps
    n_lines = lines.counts
    bullet = np.isin(cps[flat.first_nonspace(lines)], _BULLETS)
    yield "gopher_quality.bullet_lines", (n_lines > 0) & (_ratio(per_doc(bullet, lines.bounds), n_lines)
                                                          > cfg.max_bullet_lines_ratio)
    last = flat.last_nonspace(lines)  # rstrip().endswith(("...", "…"))
    dots = (last - 2 >= lines.start) & (cps[last] == _DOT)
    dots[dots] = (cps[last[dots] - 1] == _DOT) & (cps[last[dots] - 2] == _DOT)
    ellipsis = dots | (cps[last] == _ELLIPSIS)
    yield "gopher_quality.ellipsis_lines", (n_lines > 0) & (_ratio(per_doc(ellipsis, lines.bounds), n_lines)
                                                            > cfg.max_ellipsis_lines_ratio)

    # A word is alphabetic if any of its characters is; reduceat spans a word and the spaces
    # after it, which are never letters.
    alpha = (flat.classes & ALPHA) != 0
    alpha_word = np.logical_or.reduceat(alpha, words.start) if len(words.start) else np.zeros(0, bool)
    alpha_ratio = _ratio(per_doc(alpha_word, words.bounds), n)
    yield "gopher_quality.alpha_words", (n > 0) & (alpha_ratio < cfg.min_alpha_words_ratio)
    if cfg.min_stop_words:
        keys = flat.keys(words)
        uniq, first = np.unique(keys, return_index=True)
        stop = np.zeros(int(uniq[-1]) + 1 if len(uniq) else 0, bool)
        stop[uniq] = [w.lower() in cfg.stop_words for w in flat.strings(words, first)]
        yield "gopher_quality.stop_words", per_doc(stop[keys], words.bounds) < cfg.min_stop_words
