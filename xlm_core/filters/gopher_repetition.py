"""Gopher repetition rules (Rae et al. 2021, table A1): duplicated lines/paragraphs (by count and
by characters), most frequent 2-4-gram share, duplicated 5-10-gram share. Same algorithm as
datatrove's GopherRepetitionFilter so thresholds carry over; computed for a whole batch."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from .config import FilterConfig
from .ngrams import NGrams
from .text import FlatText, Segments, first_seen, per_doc


def _duplicates(flat: FlatText, seg: Segments) -> tuple[np.ndarray, np.ndarray]:
    """(D,) number of pieces equal to an earlier piece of the document, and their characters."""
    repeat = flat.repeats(seg)
    return per_doc(repeat, seg.bounds), per_doc(np.where(repeat, seg.lengths, 0), seg.bounds)


def _frac(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(len(num)), where=den > 0)


def _ngrams(flat: FlatText, words: Segments, docs: np.ndarray, char_based: bool) -> NGrams:
    """NGrams of the words of documents `docs` (K,), numbered 0..K-1 there."""
    counts = words.counts[docs]
    bounds = np.zeros(len(docs) + 1, np.int64)
    np.cumsum(counts, out=bounds[1:])
    keep = np.zeros(len(words.counts), bool)
    keep[docs] = True
    take = np.flatnonzero(np.repeat(keep, words.counts))
    sub = Segments(words.start[take], words.end[take], bounds)
    if char_based:  # a word is one code point
        ids, _ = first_seen(pa.array(flat.cps[sub.start]), bounds)
    else:
        ids, _ = flat.first_seen(sub)
    return NGrams(ids, bounds, sub.lengths)


def repetition_rules(flat: FlatText, words: Segments, cfg: FilterConfig,
                     undecided: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """(reason, fails (D,)) in rule order. `undecided` (D,) is read when the n-gram rules are
    reached: n-grams are counted only for documents no earlier rule dropped."""
    length = np.maximum(flat.lengths, 1)
    pieces = ((flat.paragraphs, "para", cfg.dup_para_frac, cfg.dup_para_char_frac),
              (flat.lines, "line", cfg.dup_line_frac, cfg.dup_line_char_frac))
    for seg, what, max_frac, max_char_frac in pieces:
        n = seg.counts
        dup, chars = _duplicates(flat, seg)
        yield f"gopher_repetition.dup_{what}_frac", (n > 0) & (_frac(dup, n) > max_frac)
        yield f"gopher_repetition.dup_{what}_char_frac", (n > 0) & (chars / length > max_char_frac)
    docs = np.flatnonzero(undecided)
    if len(docs) == 0:
        return
    grams = _ngrams(flat, words, docs, cfg.char_based)
    scale = cfg.char_ngram_scale if cfg.char_based else 1  # reasons keep the configured n
    rules = [("top", n, frac) for n, frac in cfg.top_ngram_max_fraction]
    rules += [("dup", n, frac) for n, frac in cfg.dup_ngram_max_fraction]
    for kind, n, frac in rules:
        still = undecided[docs]
        if np.count_nonzero(np.repeat(~still, grams.bounds[1:] - grams.bounds[:-1])) * 4 > len(grams.ids):
            grams, docs = grams.restrict(still), docs[still]  # a quarter of the words are decided
        total = grams.totals
        chars = grams.top_chars(n * scale) if kind == "top" else grams.dup_chars(n * scale)
        fails = np.zeros(flat.n_docs, bool)
        fails[docs] = (total > 0) & (_frac(chars, total) > frac)
        yield f"gopher_repetition.{kind}_{n}gram", fails
