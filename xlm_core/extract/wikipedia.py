"""Streamed MediaWiki XML dumps (`pages-articles[-multistream].xml[.bz2]`) -> Documents.

One Document per kept page: main namespace (configurable), redirects skipped, wikitext turned
into plain text by `wikitext.WikitextConverter`. Memory stays bounded by one page: the stdlib
`iterparse` tree is cleared after each page (lxml is not a dependency).

Corrupt input (truncated bz2, cut or malformed XML, bad compressed data) ends the file early: the
pages read before the error are kept, the error is counted (errors.truncated /
errors.malformed_xml / errors.corrupt_compression) and logged with the file and page ordinal.
"""

from __future__ import annotations

import logging
import os
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from typing import IO

from xlm_core.document import Document, document_id
from xlm_core.extract.inputs import input_name, open_decompressed
from xlm_core.extract.wikitext import WikiExtractConfig, WikitextConverter, link_prefixes_from_siteinfo

log = logging.getLogger(__name__)

SOURCE = "wikipedia"


class _EofTracking:
    """File wrapper that remembers whether the input ran out, so an XML error at the end of
    the bytes is reported as truncation rather than as malformed XML."""

    __slots__ = ("_f", "eof")

    def __init__(self, f: IO[bytes]):
        self._f = f
        self.eof = False

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        if not data:
            self.eof = True
        return data


def _local(tag: str) -> str:
    # "{http://www.mediawiki.org/xml/export-0.10/}page" -> "page", for every export version.
    return tag.rpartition("}")[2]


def iter_wikipedia(
    fileobj_or_path: str | os.PathLike | IO[bytes],
    *,
    language: str,
    dump: str,
    source_file: str | None = None,
    config: WikiExtractConfig | None = None,
    stats: Counter | None = None,
) -> Iterator[Document]:
    """Documents of one MediaWiki XML dump file (plain, .bz2 incl. multistream, or .gz).

    `language` is the wiki's language code (e.g. "en" for enwiki); `dump` the dump date
    (e.g. "20231101"); `source_file` defaults to the path. `stats` gets "read" per page and
    "dropped.*"/"errors.*" per page not turned into a Document."""
    config = config or WikiExtractConfig()
    stats = stats if stats is not None else Counter()
    source_file = source_file or input_name(fileobj_or_path)
    keep_ns = frozenset(config.namespaces)
    ordinal = 0  # pages seen, of any namespace: the Document's offset
    convert = WikitextConverter(config)
    with open_decompressed(fileobj_or_path) as f:
        tracked = _EofTracking(f)
        events = ET.iterparse(tracked, events=("start", "end"))
        root = None
        try:
            for event, elem in events:
                if event == "start":
                    if root is None:
                        root = elem
                    continue
                name = _local(elem.tag)
                if name == "siteinfo":
                    names = _namespace_names(elem)
                    convert = WikitextConverter(
                        config, link_prefixes_from_siteinfo(names, config.drop_link_namespaces)
                    )
                    root.clear()
                elif name == "page":
                    doc = _page_document(
                        elem, ordinal, language, dump, source_file, keep_ns, config, convert, stats
                    )
                    ordinal += 1
                    # Drop the finished page from the tree: memory is bounded by one page.
                    root.clear()
                    if doc is not None:
                        yield doc
        except (ET.ParseError, EOFError, OSError) as exc:
            kind = _error_kind(exc, tracked.eof)
            stats[f"errors.{kind}"] += 1
            log.warning(
                "%s: %s at page ordinal %d (the pages before it are kept): %s", source_file, kind, ordinal, exc
            )


def _error_kind(exc: Exception, eof: bool) -> str:
    if isinstance(exc, EOFError):  # bz2/gzip stream ended before its end-of-stream marker
        return "truncated"
    if isinstance(exc, ET.ParseError):
        return "truncated" if eof else "malformed_xml"
    return "corrupt_compression"  # OSError: invalid bz2/gzip data


def _namespace_names(siteinfo: ET.Element) -> dict[int, str]:
    names: dict[int, str] = {}
    for el in siteinfo.iter():
        if _local(el.tag) == "namespace":
            names[int(el.get("key", "0"))] = (el.text or "").strip()
    return names


def _page_document(
    page: ET.Element,
    ordinal: int,
    language: str,
    dump: str,
    source_file: str,
    keep_ns: frozenset[int],
    config: WikiExtractConfig,
    convert: WikitextConverter,
    stats: Counter,
) -> Document | None:
    stats["read"] += 1
    title = page_id = ns = None
    redirect = False
    wikitext = timestamp = None
    for child in page:
        name = _local(child.tag)
        if name == "title":
            title = child.text or ""
        elif name == "ns":
            ns = int(child.text or 0)
        elif name == "id":
            page_id = child.text
        elif name == "redirect":
            redirect = True
        elif name == "revision":
            for el in child:
                n = _local(el.tag)
                if n == "text":
                    wikitext = el.text
                elif n == "timestamp":
                    timestamp = el.text
        elif name == "text":  # seen in hand-made samples: <text> directly under <page>
            wikitext = child.text
    if ns is None:  # pre-0.5 exports have no <ns>: the namespace is the title's prefix
        ns = 0
    if ns not in keep_ns:
        stats["dropped.namespace"] += 1
        return None
    if redirect or (wikitext or "").lstrip()[:9].lower() == "#redirect":
        if config.skip_redirects:
            stats["dropped.redirect"] += 1
            return None
    text = convert(wikitext) if wikitext else ""
    if len(text) < max(config.min_chars, 1):
        stats["dropped.empty"] += 1
        return None
    if not page_id:
        # Without the page id there is no stable document id: count it, never guess one.
        stats["errors.bad_record"] += 1
        log.warning("%s: page ordinal %d (%r) has no <id>; skipped", source_file, ordinal, title)
        return None
    title = title or ""
    return Document(
        id=document_id(SOURCE, f"{language}wiki:{page_id}"),
        text=text,
        source=SOURCE,
        source_file=source_file,
        language=language,
        url=f"https://{language}.wikipedia.org/wiki/{title.replace(' ', '_')}",
        title=title,
        dump=dump,
        offset=ordinal,
        date=timestamp,
    )
