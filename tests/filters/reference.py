"""The per-document filter implementation as it was before the batch rewrite (verbatim logic of
apply.py, length.py, lines.py, text.py, gopher_quality.py, gopher_repetition.py at commit
032f5d0), kept only as the reference the batch path must equal, decision for decision, and as
the peer of bench/filter_throughput.py."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator

import numpy as np

from xlm_core.dedup.hashing import combine
from xlm_core.document import Document
from xlm_core.filters import perplexity as pp
from xlm_core.filters.config import FilterConfig
from xlm_core.filters.lines import BOILERPLATE

# --- text.py ----------------------------------------------------------------------------------
_PARAGRAPH_SPLIT = re.compile(r"\n{2,}")
_LINE_SPLIT = re.compile(r"\n+")


def words(text: str, char_based: bool) -> list[str]:
    if not char_based:
        return text.split()
    return [c for c in text if not c.isspace() and unicodedata.category(c)[0] in "LNM"]


def lines(text: str) -> list[str]:
    return [ln for ln in _LINE_SPLIT.split(text.strip()) if ln.strip()]


def paragraphs(text: str) -> list[str]:
    return [p for p in _PARAGRAPH_SPLIT.split(text.strip()) if p.strip()]


# --- length.py --------------------------------------------------------------------------------
def check_max_chars(text: str, cfg: FilterConfig) -> str | None:
    if len(text) > cfg.max_chars:
        return "length.too_many_chars"
    return None


def check_length(n_words: int, cfg: FilterConfig) -> str | None:
    lo, hi = (cfg.min_chars, cfg.max_chars) if cfg.char_based else (cfg.min_words, cfg.max_words)
    if n_words < lo:
        return "length.too_short"
    if n_words > hi:
        return "length.too_long"
    return None


# --- lines.py ---------------------------------------------------------------------------------
def clean_lines(text: str, cfg: FilterConfig, stats: Counter) -> str:
    out = []
    for line in text.split("\n"):
        s = line.strip()
        if not s:
            out.append(line)
            continue
        if not any(c.isalpha() for c in s):
            stats["lines_removed.no_letters"] += 1
            continue
        if len(s.split()) <= cfg.boilerplate_max_words and BOILERPLATE.search(s):
            stats["lines_removed.boilerplate"] += 1
            continue
        out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


# --- gopher_quality.py ------------------------------------------------------------------------
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


# --- gopher_repetition.py ---------------------------------------------------------------------
def _duplicates(elements: list[str]) -> tuple[int, int]:
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
    def __init__(self, words: list[str]):
        ids: dict[str, int] = {}
        self.ids = np.fromiter((ids.setdefault(w, len(ids)) for w in words), np.uint64, len(words))
        self.lens = np.fromiter(map(len, words), np.int64, len(words))
        self.cum = np.concatenate([[0], np.cumsum(self.lens)])

    def hashes(self, n: int) -> np.ndarray:
        m = len(self.ids) - n + 1
        return combine([self.ids[k:k + m] for k in range(n)]) if m > 0 else np.zeros(0, np.uint64)

    def top_chars(self, n: int) -> int:
        g = self.hashes(n)
        if len(g) == 0:
            return 0
        _, first, counts = np.unique(g, return_index=True, return_counts=True)
        best = int(np.argmax(counts))
        pos = int(first[best])
        return int(counts[best]) * int(self.cum[pos + n] - self.cum[pos])

    def dup_chars(self, n: int) -> int:
        g = self.hashes(n)
        if len(g) == 0:
            return 0
        _, first, inverse = np.unique(g, return_index=True, return_inverse=True)
        starts = np.flatnonzero(np.arange(len(g)) != first[inverse])
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
    scale = cfg.char_ngram_scale if cfg.char_based else 1
    for n, frac in cfg.top_ngram_max_fraction:
        if grams.top_chars(n * scale) / total > frac:
            return f"gopher_repetition.top_{n}gram"
    for n, frac in cfg.dup_ngram_max_fraction:
        if grams.dup_chars(n * scale) / total > frac:
            return f"gopher_repetition.dup_{n}gram"
    return None


# --- apply.py ---------------------------------------------------------------------------------
def filter_reason(doc: Document, cfg: FilterConfig, stats: Counter) -> str | None:
    if (reason := check_max_chars(doc.text, cfg)) is not None:
        return reason
    if cfg.line_cleanup and doc.source in cfg.line_cleanup_sources:
        doc.text = clean_lines(doc.text, cfg, stats)
    text = doc.text
    ws = words(text, cfg.char_based)
    if not ws:
        return "length.no_words"
    if (reason := check_length(len(ws), cfg)) is not None:
        return reason
    lns = lines(text)
    if cfg.gopher_quality and (reason := check_gopher_quality(text, ws, lns, cfg)) is not None:
        return reason
    if cfg.gopher_repetition:
        reason = check_gopher_repetition(text, ws, lns, paragraphs(text), cfg)
        if reason is not None:
            return reason
    if cfg.perplexity_model is None:
        pp.warn_skipped(doc.language)
    else:
        doc.quality = pp.perplexity(pp.load_model(cfg.perplexity_model), text)
        if cfg.max_perplexity is not None and doc.quality > cfg.max_perplexity:
            return "perplexity.too_high"
    return None


def apply_filters(docs: Iterable[Document], config: FilterConfig, stats: Counter,
                  dropped_sink=None) -> Iterator[Document]:
    for doc in docs:
        stats["read"] += 1
        original = doc.text
        reason = filter_reason(doc, config, stats) if config.enabled else None
        if reason is None:
            stats["kept"] += 1
            yield doc
            continue
        stats[f"dropped.{reason}"] += 1
        if dropped_sink is not None:
            doc.text = original
            dropped_sink(doc, reason)
