"""Line-level cleanup of web text: drop navigation/legal boilerplate lines and lines without a
single letter, keep the rest verbatim. Only short lines are judged as boilerplate, so a paragraph
that merely mentions "cookies" survives."""

from __future__ import annotations

import functools
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .config import FilterConfig
from .re2_prefilter import re2_superset
from .text import ALPHA, FlatText

# Phrases of site chrome (C4 / FineWeb line rules and what the CC WET sample shows), several
# languages. Matched case-insensitively anywhere in a short line.
BOILERPLATE = re.compile(
    "|".join(
        [
            r"\bcookies?\b", r"javascript", r"privacy policy", r"terms (of|and) (use|service|conditions)",
            r"all rights reserved", r"©", r"\bcopyright\b", r"lorem ipsum", r"\bsign (in|up)\b",
            r"\blog ?(in|out)\b", r"\bsubscribe\b", r"newsletter", r"click here", r"read more",
            r"skip to (main )?content", r"\bshare (this|on)\b", r"follow us", r"powered by",
            r"datenschutz", r"impressum", r"mentions légales", r"politique de confidentialité",
            r"política de privacidad", r"todos los derechos reservados", r"tous droits réservés",
            r"alle rechte vorbehalten", r"隐私政策", r"版权所有", r"プライバシーポリシー",
        ]
    ),
    re.IGNORECASE,
)
_BLANK_RUNS = re.compile(r"\n{3,}")
_PREFILTER_MIN_LINES = 16  # below, Python's re on each line beats compiling the RE2 pattern (~0.5 ms)
_WHY = {1: "lines_removed.no_letters", 2: "lines_removed.boilerplate"}

LineStats = tuple[tuple[str, int], ...]
"""Lines removed from one document: ("lines_removed.<why>", count) in order of first removal."""


@functools.cache
def _prefilter() -> str | None:
    return re2_superset(BOILERPLATE)


def _maybe_boilerplate(texts: list[str], n_lines: int) -> np.ndarray:
    """(n_lines,) bool over every "\\n"-piece of `texts`: False only where BOILERPLATE cannot
    match (RE2 over all lines at once, in Arrow)."""
    pattern = _prefilter()
    if pattern is None:
        return np.ones(n_lines, bool)
    try:
        arr = pa.array(texts, pa.string())
    except (UnicodeEncodeError, pa.ArrowInvalid):  # a lone surrogate: no UTF-8 for RE2
        return np.ones(n_lines, bool)
    pieces = pc.list_flatten(pc.split_pattern(arr, "\n"))
    return pc.match_substring_regex(pieces, pattern).to_numpy(zero_copy_only=False)


def clean_lines(texts: list[str], cfg: FilterConfig) -> list[tuple[str, LineStats]]:
    """Each text without boilerplate lines (blank lines are kept so paragraphs stay paragraphs;
    runs of them left by removed lines collapse to one paragraph break), and what was removed.
    Line by line the rule is: strip; blank: keep; no letter: drop; at most
    `boilerplate_max_words` words and BOILERPLATE.search: drop."""
    flat = FlatText(texts)
    raw, tok = flat.raw_lines, flat.tokens
    n_words = np.searchsorted(tok.start, raw.end) - np.searchsorted(tok.start, raw.start)
    # A line and the "\n" after it, padded for a last empty line: the letters of the line.
    alpha = np.append((flat.classes & ALPHA) != 0, False)
    letters = np.logical_or.reduceat(alpha, raw.start)
    no_letters = (n_words > 0) & ~letters
    maybe = letters & (n_words <= cfg.boilerplate_max_words)
    if np.count_nonzero(maybe) > _PREFILTER_MIN_LINES:
        maybe[maybe] = _maybe_boilerplate(texts, len(raw.start))[maybe]
    idx = np.flatnonzero(maybe)
    boiler = np.zeros(len(raw.start), bool)
    boiler[idx] = [BOILERPLATE.search(s.strip()) is not None for s in flat.strings(raw, idx)]
    removed = no_letters | boiler
    kept = _kept_chars(flat, ~removed)
    stats = _line_stats(raw.doc, no_letters, boiler, flat.n_docs)

    out = []
    starts = flat.doc_start.tolist()
    for d, text in enumerate(texts):
        if stats[d]:
            s, e = starts[d], starts[d] + len(text)
            text = flat.cps[s:e][kept[s:e]].tobytes().decode("utf-32-le", "surrogatepass")
        if "\n\n\n" in text:
            text = _BLANK_RUNS.sub("\n\n", text)
        out.append((text.strip(), stats[d]))
    return out


def _line_stats(doc: np.ndarray, no_letters: np.ndarray, boiler: np.ndarray, n_docs: int) -> list[LineStats]:
    """Per document: removed lines by reason, the reason seen first first (as counted line by line)."""
    counts, firsts = [], []
    for why in (no_letters, boiler):
        at = np.flatnonzero(why)
        counts.append(np.bincount(doc[at], minlength=n_docs).tolist())
        first = np.full(n_docs, np.iinfo(np.int64).max)
        docs, i = np.unique(doc[at], return_index=True)
        first[docs] = at[i]
        firsts.append(first.tolist())
    out: list[LineStats] = []
    for n1, n2, f1, f2 in zip(*counts, *firsts):
        pairs = [(f1, _WHY[1], n1), (f2, _WHY[2], n2)]
        out.append(tuple((key, n) for _, key, n in sorted(pairs) if n))
    return out


def _kept_chars(flat: FlatText, keep: np.ndarray) -> np.ndarray:
    """(C,) bool: the code points of `"\n".join(kept lines)` per document, `keep` (L,) over
    `flat.raw_lines`: the kept lines and the "\n" after each but its document's last kept one."""
    raw = flat.raw_lines
    line = np.arange(len(keep))
    last = np.maximum.reduceat(np.where(keep, line, -1), raw.bounds[:-1])  # (D,) every doc has a line
    newline = keep & (line < np.repeat(last, raw.counts))
    edges = np.zeros(len(flat.cps) + 1, np.int8)
    edges[raw.start[keep]] += 1  # starts are distinct, and so are ends
    edges[raw.end[keep]] -= 1
    kept = np.cumsum(edges[:-1], dtype=np.int8) > 0
    kept[raw.end[newline]] = True
    return kept
