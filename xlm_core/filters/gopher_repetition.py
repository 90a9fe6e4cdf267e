"""Gopher repetition rules (Rae et al. 2021, table A1): duplicated lines/paragraphs (by count and
by characters), most frequent 2-4-gram share, duplicated 5-10-gram share. Same algorithm as
datatrove's GopherRepetitionFilter so thresholds carry over."""

from __future__ import annotations

import numpy as np

from ..dedup.hashing import combine
from .config import FilterConfig


def _duplicates(elements: list[str]) -> tuple[int, int]:
    """(number of repeated elements, their characters), counting every repeat after the first."""
    seen: set[str] = set()
    n_dup = chars = 0
    for e in elements:
        if e in seen:
            n_dup += 1
            chars += len(e)
        else:
            seen.add(e)
    return n_dup, chars


class _Grams:
    """Words as ids (L,) and lengths (L,), n-grams as 64-bit hashes (L - n + 1,): numpy instead
    of a Python tuple per position (~10× faster on long documents)."""

    def __init__(self, words: list[str]):
        ids: dict[str, int] = {}
        self.ids = np.fromiter((ids.setdefault(w, len(ids)) for w in words), np.uint64, len(words))
        self.lens = np.fromiter(map(len, words), np.int64, len(words))
        self.cum = np.concatenate([[0], np.cumsum(self.lens)])  # chars before word i

    def hashes(self, n: int) -> np.ndarray:
        m = len(self.ids) - n + 1
        return combine([self.ids[k:k + m] for k in range(n)]) if m > 0 else np.zeros(0, np.uint64)

    def top_chars(self, n: int) -> int:
        """Characters covered by the most frequent n-gram (count × its length)."""
        g = self.hashes(n)
        if len(g) == 0:
            return 0
        _, first, counts = np.unique(g, return_index=True, return_counts=True)
        best = int(np.argmax(counts))
        pos = int(first[best])
        return int(counts[best]) * int(self.cum[pos + n] - self.cum[pos])

    def dup_chars(self, n: int) -> int:
        """Characters of words inside any repeated n-gram, each word counted once."""
        g = self.hashes(n)
        if len(g) == 0:
            return 0
        _, first, inverse = np.unique(g, return_index=True, return_inverse=True)
        starts = np.flatnonzero(np.arange(len(g)) != first[inverse])  # later occurrences
        depth = np.cumsum(np.bincount(starts, minlength=len(self.ids) + 1)
                          - np.bincount(starts + n, minlength=len(self.ids) + 1))
        return int(self.lens[depth[:len(self.ids)] > 0].sum())


def check_gopher_repetition(text: str, words: list[str], lines: list[str],
                            paragraphs: list[str], cfg: FilterConfig) -> str | None:
    if paragraphs:
        n, chars = _duplicates(paragraphs)
        if n / len(paragraphs) > cfg.dup_para_frac:
            return "gopher_repetition.dup_para_frac"
        if chars / max(len(text), 1) > cfg.dup_para_char_frac:
            return "gopher_repetition.dup_para_char_frac"
    if lines:
        n, chars = _duplicates(lines)
        if n / len(lines) > cfg.dup_line_frac:
            return "gopher_repetition.dup_line_frac"
        if chars / max(len(text), 1) > cfg.dup_line_char_frac:
            return "gopher_repetition.dup_line_char_frac"
    grams = _Grams(words)
    total = int(grams.cum[-1])
    if total == 0:
        return None
    scale = cfg.char_ngram_scale if cfg.char_based else 1  # reasons keep the configured n
    for n, frac in cfg.top_ngram_max_fraction:
        if grams.top_chars(n * scale) / total > frac:
            return f"gopher_repetition.top_{n}gram"
    for n, frac in cfg.dup_ngram_max_fraction:
        if grams.dup_chars(n * scale) / total > frac:
            return f"gopher_repetition.dup_{n}gram"
    return None
