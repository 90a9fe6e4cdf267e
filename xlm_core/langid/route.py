"""Apply language ID to documents: web text is routed by prediction, Wikipedia keeps its dump's language."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from xlm_core.document import Document
from xlm_core.langid.model import LanguageIdentifier

BATCH = 256


def identify(
    docs: Iterable[Document],
    lid: LanguageIdentifier,
    languages: frozenset[str],
    stats: Counter,
) -> Iterator[Document]:
    """Score every document. A document that already has a language (Wikipedia) keeps it and gets
    the model's score for that language's top-1 prediction recorded; one without (web text) is
    kept only if the prediction is in `languages` and passes its threshold, else counted as
    dropped.lang_not_wanted / dropped.lang_low_score."""
    batch: list[Document] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) == BATCH:
            yield from _route(batch, lid, languages, stats)
            batch = []
    if batch:
        yield from _route(batch, lid, languages, stats)


def _route(batch, lid, languages, stats):
    for doc, (lang, score) in zip(batch, lid.predict([d.text for d in batch])):
        stats["read"] += 1
        if doc.language:
            # Wikipedia: the dump says what the language is; the score shows how sure LID agrees.
            doc.lang_score = score if lang == doc.language else 0.0
            doc.meta["lid_label"] = lang
            if doc.language not in languages:
                stats["dropped.lang_not_wanted"] += 1
                continue
            stats["kept"] += 1
            yield doc
            continue
        if lang not in languages:
            stats["dropped.lang_not_wanted"] += 1
            continue
        if score < lid.config.threshold_for(lang):
            stats["dropped.lang_low_score"] += 1
            continue
        doc.language, doc.lang_score = lang, score
        stats["kept"] += 1
        yield doc
