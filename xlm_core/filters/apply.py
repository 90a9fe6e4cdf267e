"""Run the filter families over documents of one language, counting every drop by reason.

Documents are judged in batches (`BATCH_DOCS` documents or `BATCH_CHARS` characters): each rule
is computed for the whole batch with numpy over flat arrays (text.FlatText), and a document's
reason is the first rule it fails in the order length, line cleanup, words, Gopher quality,
Gopher repetition, perplexity. Rules are evaluated lazily, so a rule no document of the batch
still needs is never computed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from ..document import Document
from . import perplexity as pp
from .config import FilterConfig
from .gopher_quality import quality_rules
from .gopher_repetition import repetition_rules
from .length import length_rules, too_many_chars
from .lines import LineStats, clean_lines
from .text import FlatText

DroppedSink = Callable[[Document, str], None]

BATCH_DOCS = 512
"""Documents per batch: enough to amortise numpy's per-call cost, few enough to stay in cache."""
BATCH_CHARS = 1_000_000
"""Characters per batch (of documents under max_chars): bounds memory, ~100 MB at the peak for
a char-based language (every character a word), ~25 MB for a spaced one."""


def rule_reasons(texts: list[str], cfg: FilterConfig) -> list[str | None]:
    """First failing rule of each (already line-cleaned) text after the max_chars cap, up to but
    excluding perplexity: "length.no_words", "gopher_quality.<rule>", ... or None."""
    if not texts:
        return []
    flat = FlatText(texts)
    words = flat.words(cfg.char_based)
    undecided = np.ones(len(texts), bool)
    reasons: list[str | None] = [None] * len(texts)
    families = [length_rules(words.counts, cfg)]
    if cfg.gopher_quality:
        families.append(quality_rules(flat, words, cfg))
    if cfg.gopher_repetition:
        families.append(repetition_rules(flat, words, cfg, undecided))
    for family in families:
        for reason, fails in family:
            hit = np.flatnonzero(fails & undecided)
            for i in hit.tolist():
                reasons[i] = reason
            undecided[hit] = False
            if not undecided.any():
                return reasons
    return reasons


def filter_batch(docs: list[Document], cfg: FilterConfig) -> list[tuple[str | None, LineStats]]:
    """(reason or None, lines removed) of each document of one language. Like the filters
    always did, line cleanup rewrites `doc.text` and perplexity sets `doc.quality`."""
    verdicts: list[tuple[str | None, LineStats]] = [("length.too_many_chars", ())] * len(docs)
    live = [i for i, d in enumerate(docs) if not too_many_chars(len(d.text), cfg)]
    stats: dict[int, LineStats] = {}
    if cfg.line_cleanup:
        web = [i for i in live if docs[i].source in cfg.line_cleanup_sources]
        for i, (text, removed) in zip(web, clean_lines([docs[i].text for i in web], cfg) if web else []):
            docs[i].text = text
            stats[i] = removed
    reasons = rule_reasons([docs[i].text for i in live], cfg)
    for i, reason in zip(live, reasons):
        doc = docs[i]
        if reason is None:
            if cfg.perplexity_model is None:
                pp.warn_skipped(doc.language)
            else:
                doc.quality = pp.perplexity(pp.load_model(cfg.perplexity_model), doc.text)
                if cfg.max_perplexity is not None and doc.quality > cfg.max_perplexity:
                    reason = "perplexity.too_high"
        verdicts[i] = (reason, stats.get(i, ()))
    return verdicts


def _batches(docs: Iterable[Document], cfg: FilterConfig) -> Iterator[list[Document]]:
    batch: list[Document] = []
    chars = 0
    for doc in docs:
        batch.append(doc)
        if not too_many_chars(len(doc.text), cfg):
            chars += len(doc.text)
        if len(batch) >= BATCH_DOCS or chars >= BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def apply_filters(docs: Iterable[Document], config: FilterConfig, stats: Counter,
                  dropped_sink: DroppedSink | None = None) -> Iterator[Document]:
    """Yield kept documents, in order. `stats` gets "read", "kept", "dropped.<reason>" (and
    "lines_removed.<why>" for line cleanup); dropped documents go to `dropped_sink(doc, reason)`.
    Pass all documents of one language at once: they are judged `BATCH_DOCS` at a time."""
    for batch in _batches(docs, config):
        originals = [d.text for d in batch]
        verdicts = filter_batch(batch, config) if config.enabled else [(None, ())] * len(batch)
        for doc, original, (reason, removed) in zip(batch, originals, verdicts):
            stats["read"] += 1
            for key, n in removed:
                stats[key] += n
            if reason is None:
                stats["kept"] += 1
                yield doc
                continue
            stats[f"dropped.{reason}"] += 1
            if dropped_sink is not None:
                doc.text = original  # the audit sees what was judged, not the line-cleaned text
                dropped_sink(doc, reason)
