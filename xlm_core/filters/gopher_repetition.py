"""Gopher repetition rules (Rae et al. 2021, table A1): duplicated lines/paragraphs (by count and
by characters), most frequent 2-4-gram share, duplicated 5-10-gram share. Same algorithm as
datatrove's GopherRepetitionFilter so thresholds carry over."""

from __future__ import annotations

from collections import Counter

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


def _top_ngram_chars(words: list[str], n: int) -> int:
    """Characters covered by the most frequent n-gram (count × its length)."""
    grams = Counter(zip(*(words[i:] for i in range(n))))
    if not grams:
        return 0
    gram, count = grams.most_common(1)[0]
    return count * sum(len(w) for w in gram)


def _dup_ngram_chars(words: list[str], n: int) -> int:
    """Characters of words inside any repeated n-gram, each word counted once."""
    seen: set[tuple[str, ...]] = set()
    covered = bytearray(len(words))
    for i in range(len(words) - n + 1):
        gram = tuple(words[i : i + n])
        if gram in seen:
            covered[i : i + n] = b"\x01" * n
        else:
            seen.add(gram)
    return sum(len(w) for w, c in zip(words, covered) if c)


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
    total = sum(len(w) for w in words)
    if total == 0:
        return None
    for n, frac in cfg.top_ngram_max_fraction:
        if _top_ngram_chars(words, n) / total > frac:
            return f"gopher_repetition.top_{n}gram"
    for n, frac in cfg.dup_ngram_max_fraction:
        if _dup_ngram_chars(words, n) / total > frac:
            return f"gopher_repetition.dup_{n}gram"
    return None
