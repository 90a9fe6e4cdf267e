"""Raw dumps -> Documents: MediaWiki XML (Wikipedia) and Common Crawl WET/WARC."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from typing import Literal

from xlm_core.document import Document
from xlm_core.extract.warc import WarcExtractConfig, iter_warc
from xlm_core.extract.wikipedia import iter_wikipedia
from xlm_core.extract.wikitext import WikiExtractConfig, wikitext_to_text

__all__ = [
    "WarcExtractConfig",
    "WikiExtractConfig",
    "iter_documents",
    "iter_warc",
    "iter_wikipedia",
    "wikitext_to_text",
]


def iter_documents(
    path: str,
    *,
    kind: Literal["wikipedia", "wet", "warc"],
    dump: str,
    language: str = "",
    config: WikiExtractConfig | WarcExtractConfig | None = None,
    stats: Counter | None = None,
) -> Iterator[Document]:
    """Documents of one input file. `language` is required for "wikipedia" (the wiki's code);
    "warc" extracts HTML responses (config.html forced on), "wet" the conversion records."""
    if kind == "wikipedia":
        if not language:
            raise ValueError("extract: kind 'wikipedia' needs the wiki's language code")
        return iter_wikipedia(path, language=language, dump=dump, config=config, stats=stats)
    if kind in ("wet", "warc"):
        config = config or WarcExtractConfig()
        if kind == "warc" and not config.html:
            config = dataclasses.replace(config, html=True)
        return iter_warc(path, dump=dump, config=config, stats=stats)
    raise ValueError(f"extract: kind must be one of 'wikipedia', 'wet', 'warc', got {kind!r}")
