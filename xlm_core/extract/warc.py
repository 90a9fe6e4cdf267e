"""Common Crawl WET / WARC files -> Documents, with warcio.

- WET `conversion` records: the crawl's own text extraction, taken as is (stripped).
- WARC `response` records (only with `WarcExtractConfig.html`): HTTP 200 HTML payloads, decoded
  with their charset and turned into text by `html_text.html_extractor` (resiliparse).

Ids are `document_id("commoncrawl", WARC-Record-ID)`; `offset` is the record's byte offset in
the (compressed) file, so `source_file` + `offset` reads the record back. `language` stays ""
(language ID is a later stage).

Damage is counted, logged and skipped, never fatal: a record whose WARC header does not parse
(errors.bad_record) is skipped by resynchronising on the next gzip member (or `WARC/1.x` line in
an uncompressed file); a file cut short (errors.truncated) keeps the records read before the
cut; payload bytes that are not valid in their charset are replaced (U+FFFD) and counted once per
document (errors.invalid_utf8).
"""

from __future__ import annotations

import logging
import os
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from xlm_core.document import Document, document_id
from xlm_core.extract.html_text import html_charset, html_extractor
from xlm_core.extract.inputs import GZIP_MAGIC, input_name, open_raw

log = logging.getLogger(__name__)

SOURCE = "commoncrawl"
_RESYNC_CHUNK = 1 << 16
# Errors warcio/zlib raise on a damaged record; anything else is a bug and propagates.
_RECORD_ERRORS = (ArchiveLoadFailed, zlib.error, EOFError, OSError, ValueError)


@dataclass(frozen=True, kw_only=True, slots=True)
class WarcExtractConfig:
    """Which WARC records become documents and how their text is obtained."""

    html: bool = False
    """Also extract HTML `response` records (raw WARC); needs resiliparse or trafilatura."""
    html_main_content: bool = True
    """For HTML: keep only the main content (drops menus, footers, boilerplate)."""
    http_ok_only: bool = True
    """For HTML: only HTTP 200 responses (others counted as dropped.http_status)."""
    min_chars: int = 1
    """Records whose text is shorter are counted as dropped.empty."""


class _Truncated(Exception):
    """The file ends inside a record."""


class _BadHeader(Exception):
    """A record header warcio accepted but whose length cannot be trusted: what follows it
    cannot be parsed either, so reading resumes at the next record start."""


def iter_warc(
    fileobj_or_path: str | os.PathLike | IO[bytes],
    *,
    dump: str,
    source_file: str | None = None,
    config: WarcExtractConfig | None = None,
    stats: Counter | None = None,
) -> Iterator[Document]:
    """Documents of one WET or WARC file (gzip per record, or uncompressed).

    `dump` is the crawl id (e.g. "CC-MAIN-2026-12"); `source_file` defaults to the path.
    `stats` gets "read" per conversion (and, with `config.html`, response) record and
    "dropped.*"/"errors.*" per record not turned into a Document."""
    config = config or WarcExtractConfig()
    stats = stats if stats is not None else Counter()
    source_file = source_file or input_name(fileobj_or_path)
    to_text = html_extractor(main_content=config.html_main_content) if config.html else None
    with open_raw(fileobj_or_path) as raw:
        seekable = _seekable(raw)
        start = raw.tell() if seekable else 0
        gzipped = _head_bytes(raw, 2) == GZIP_MAGIC if seekable else True
        while True:
            it = ArchiveIterator(raw)
            next_offset = start  # where the record after the last good one begins
            try:
                for record in it:
                    doc = _record_document(record, it, dump, source_file, config, to_text, stats)
                    next_offset = it.get_record_offset() + it.get_record_length()
                    if doc is not None:
                        yield doc
                if seekable and not _only_blank_after(raw, next_offset):
                    raise _Truncated()  # bytes left that do not make a whole record
                return
            except _Truncated:
                stats["errors.truncated"] += 1
                log.warning("%s: file ends inside the record at byte %d; stopped", source_file, next_offset)
                return
            except (_BadHeader, *_RECORD_ERRORS) as exc:
                stats["errors.bad_record"] += 1
                if not seekable:
                    log.warning("%s: bad record at byte %d (%s); stream not seekable, rest skipped",
                                source_file, next_offset, exc)  # fmt: skip
                    return
                # max(): a damaged record can make warcio report offsets behind the restart.
                resume = _resync(raw, max(next_offset, start) + 1, gzipped)
                log.warning("%s: bad record at byte %d (%s); resuming at byte %s",
                            source_file, next_offset, exc, resume)  # fmt: skip
                if resume is None:
                    return
                raw.seek(resume)
                start = resume


def _record_document(record, it, dump, source_file, config, to_text, stats) -> Document | None:
    rec_type = record.rec_type
    if rec_type != "conversion" and not (rec_type == "response" and to_text is not None):
        _drain(record)  # warcinfo, request, metadata: not documents
        return None
    stats["read"] += 1
    headers = record.rec_headers
    record_id = headers.get_header("WARC-Record-ID")
    length = headers.get_header("Content-Length")
    if not (length or "").strip().isdigit():
        raise _BadHeader(f"Content-Length {length!r}")
    if not record_id:
        _drain(record)
        stats["errors.bad_record"] += 1
        log.warning("%s: record at byte %d has no WARC-Record-ID; skipped", source_file,
                    it.get_record_offset())  # fmt: skip
        return None
    if rec_type == "response":
        text = _html_text(record, config, to_text, stats)
    else:
        body = record.content_stream().read()
        _drain(record)  # raises _Truncated before a cut-off body is decoded
        text = _decode(body, "utf-8", stats)
    _drain(record)
    offset = it.get_record_offset()
    if text is None:
        return None
    text = text.strip()
    if len(text) < max(config.min_chars, 1):
        stats["dropped.empty"] += 1
        return None
    doc = Document(
        id=document_id(SOURCE, record_id),
        text=text,
        source=SOURCE,
        source_file=source_file,
        url=headers.get_header("WARC-Target-URI"),
        dump=dump,
        offset=offset,
        date=headers.get_header("WARC-Date"),
    )
    # CC's own language guess (CLD2, ISO 639-3) on WET records: a hint for later stages.
    cc_lang = headers.get_header("WARC-Identified-Content-Language")
    if cc_lang:
        doc.meta["cc_languages"] = cc_lang
    return doc


def _html_text(record, config, to_text, stats) -> str | None:
    http = record.http_headers
    if config.http_ok_only and (http is None or http.get_statuscode() != "200"):
        stats["dropped.http_status"] += 1
        return None
    content_type = http.get_header("Content-Type") if http is not None else None
    if content_type and "html" not in content_type.lower():
        stats["dropped.content_type"] += 1
        return None
    body = record.content_stream().read()
    _drain(record)
    html = _decode(body, html_charset(body, content_type), stats)
    try:
        return to_text(html)
    except Exception as exc:  # noqa: BLE001 - a third-party parser on arbitrary web HTML
        stats["errors.bad_record"] += 1
        log.warning("HTML extraction failed for %s: %s", record.rec_headers.get_header("WARC-Target-URI"), exc)
        return None


def _decode(data: bytes, charset: str, stats: Counter) -> str:
    try:
        return data.decode(charset)
    except UnicodeDecodeError:
        stats["errors.invalid_utf8"] += 1  # per document, not per bad byte
        return data.decode(charset, errors="replace")


def _drain(record) -> None:
    """Read the rest of the record; raise _Truncated if the file ended before its length."""
    raw = record.raw_stream
    while raw.read(_RESYNC_CHUNK):
        pass
    if getattr(raw, "limit", 0) > 0:
        raise _Truncated()


def _only_blank_after(f: IO[bytes], pos: int) -> bool:
    """True if nothing but whitespace follows `pos` (uncompressed WARCs end with CRLFs that
    warcio does not count in the last record's length)."""
    f.seek(pos)
    rest = f.read(_RESYNC_CHUNK)
    return not rest.strip()


def _seekable(f: IO[bytes]) -> bool:
    try:
        return bool(f.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _head_bytes(f: IO[bytes], n: int) -> bytes:
    pos = f.tell()
    data = f.read(n)
    f.seek(pos)
    return data


def _resync(f: IO[bytes], pos: int, gzipped: bool) -> int | None:
    """Byte offset of the next record start at or after `pos`, or None at EOF. Gzip files are
    one member per record, so a candidate is a member header (1f 8b 08) whose first bytes
    inflate to a `WARC/` line; uncompressed files are searched for a `WARC/1.x` line."""
    marker = b"\x1f\x8b\x08" if gzipped else b"\nWARC/1."
    while True:
        found = _find(f, marker, pos)
        if found is None:
            return None
        start = found if gzipped else found + 1  # the plain marker includes the newline
        f.seek(start)
        if not gzipped or _inflates_to_warc(f.read(_RESYNC_CHUNK)):
            return start
        pos = found + 1


def _find(f: IO[bytes], marker: bytes, pos: int) -> int | None:
    f.seek(pos)
    tail = b""
    base = pos
    while True:
        chunk = f.read(_RESYNC_CHUNK)
        if not chunk:
            return None
        buf = tail + chunk
        i = buf.find(marker)
        if i >= 0:
            return base + i
        tail = buf[-(len(marker) - 1) :]
        base += len(buf) - len(tail)


def _inflates_to_warc(data: bytes) -> bool:
    try:
        head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 16)
    except zlib.error:
        return False
    return head.startswith(b"WARC/")
