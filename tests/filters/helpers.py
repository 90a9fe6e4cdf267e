"""Documents for the filter tests."""

from __future__ import annotations

import copy
import functools
import random
from collections import Counter
from pathlib import Path

from xlm_core.document import Document

SAMPLES = Path(__file__).resolve().parents[2] / "data_specs/samples"
WIKI_LANGUAGES = ("bn", "el", "en", "hy", "ja", "mr", "nl", "uk", "vi")

_WORDS = ("river mountain people history village music language school family garden "
          "winter summer market museum bridge station library forest island harbour "
          "the of and to in is was for on with as by at from that which").split()


def doc(text: str, language: str = "en", source: str = "commoncrawl") -> Document:
    return Document(id=str(hash(text)), text=text, source=source, source_file="unit.warc.gz",
                    language=language)


def prose(n_words: int, seed: int = 0, per_line: int = 12) -> str:
    """Plausible text: varied words, short lines ending with a full stop."""
    rng = random.Random(seed)
    words = [rng.choice(_WORDS) for _ in range(n_words)]
    lines = [" ".join(words[i:i + per_line]) + "." for i in range(0, n_words, per_line)]
    return "\n".join(lines)


@functools.cache
def _wet() -> tuple[Document, ...]:
    from xlm_core.extract import iter_warc

    return tuple(iter_warc(str(SAMPLES / "commoncrawl/CC-MAIN-2026-12-wet-head263.warc.wet.gz"), dump="test"))


@functools.cache
def _wiki(language: str) -> tuple[Document, ...]:
    from xlm_core.extract.wikipedia import iter_wikipedia

    path = SAMPLES / f"wiki/{language}wiki-sample-pages-articles.xml.bz2"
    return tuple(iter_wikipedia(path, language=language, dump="test"))


def wet_docs(language: str = "en") -> list[Document]:
    """Every record of the bundled CC WET sample (real web text, many scripts), as `language`."""
    return [_with(d, language) for d in _wet()]


def wiki_docs(language: str) -> list[Document]:
    """Every article of the bundled Wikipedia sample of `language`."""
    return [copy.copy(d) for d in _wiki(language)]


def _with(d: Document, language: str) -> Document:
    d = copy.copy(d)
    d.language = language
    return d


def outcome(apply, docs: list[Document], cfg) -> tuple:
    """Everything `apply(docs, cfg, stats, sink)` decides: counters in insertion order, kept
    documents (id, text, quality) in order, dropped (id, reason, text as judged)."""
    stats, dropped = Counter(), []
    kept = list(apply([copy.copy(d) for d in docs], cfg, stats, lambda d, r: dropped.append((d.id, r, d.text))))
    return list(stats.items()), [(d.id, d.text, d.quality) for d in kept], dropped
