"""Run the filter families over documents of one language, counting every drop by reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from ..document import Document
from . import perplexity as pp
from .config import FilterConfig
from .gopher_quality import check_gopher_quality
from .gopher_repetition import check_gopher_repetition
from .length import check_length, check_max_chars
from .lines import clean_lines
from .text import lines, paragraphs, words

DroppedSink = Callable[[Document, str], None]


def filter_reason(doc: Document, cfg: FilterConfig, stats: Counter) -> str | None:
    """Reason to drop `doc`, or None to keep it. May rewrite `doc.text` (line cleanup) and set
    `doc.quality` (perplexity). Cheap checks first, so a pathological document costs little."""
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
                  dropped_sink: DroppedSink | None = None) -> Iterator[Document]:
    """Yield kept documents. `stats` gets "read", "kept", "dropped.<reason>" (and
    "lines_removed.<why>" for line cleanup); dropped documents go to `dropped_sink(doc, reason)`."""
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
            doc.text = original  # the audit sees what was judged, not the line-cleaned text
            dropped_sink(doc, reason)
