"""Discovering Common Crawl files from a crawl's `{kind}.paths.gz` list.

`{mirror}/crawl-data/{crawl}/wet.paths.gz` is gzip text, one path per line relative to the
mirror root (https://data.commoncrawl.org or s3://commoncrawl), e.g.
`crawl-data/CC-MAIN-2023-50/segments/1700679099281.67/wet/CC-MAIN-...-00000.warc.wet.gz`.
Common Crawl publishes no checksums or sizes for these files."""

from __future__ import annotations

import gzip
import hashlib
import posixpath
import re

from ..io import join as join_uri
from .config import DownloadConfig
from .errors import DiscoveryError, DownloadError
from .read import read_bytes
from .remote import RemoteFile

KINDS = ("wet", "warc", "wat")
_CRAWL = re.compile(r"CC-MAIN-\d{4}-\d{2}")


def _rank(seed: int, path: str) -> bytes:
    return hashlib.sha256(f"{seed}\0{path}".encode()).digest()


def choose(paths: list[str], max_files: int | None, seed: int) -> list[str]:
    """`max_files` paths picked by a seeded hash rank, returned in listing order.

    Ranking by sha256(seed, path) rather than the first N spreads the sample over all the
    crawl's segments (each segment is a slice of crawl time), does not depend on the order of
    the list, and is prefix-stable: a larger `max_files` keeps every file a smaller one chose."""
    if max_files is None or max_files >= len(paths):
        return list(paths)
    chosen = set(sorted(paths, key=lambda p: _rank(seed, p))[:max_files])
    return [p for p in paths if p in chosen]


def discover_commoncrawl(
    mirror: str,
    crawl: str,
    *,
    max_files: int | None,
    kind: str = "wet",
    seed: int = 0,
    config: DownloadConfig = DownloadConfig(),
) -> list[RemoteFile]:
    """Files of `crawl` (e.g. CC-MAIN-2026-12) listed in `{mirror}/crawl-data/{crawl}/{kind}.paths.gz`,
    at most `max_files` of them chosen deterministically from `seed` (see `choose`), each at
    `{mirror}/{path}`, in the order of the list. Sizes and digests are unknown (None)."""
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not one of {KINDS}")
    if not _CRAWL.fullmatch(crawl):
        raise ValueError(f"crawl={crawl!r} is not a crawl id like 'CC-MAIN-2026-12'")
    if max_files is not None and max_files < 1:
        raise ValueError(f"max_files={max_files!r} must be >= 1 or None")
    url = join_uri(mirror, "crawl-data", crawl, f"{kind}.paths.gz")
    try:
        raw = read_bytes(url, config=config)
    except DownloadError as exc:
        raise DiscoveryError(
            f"cannot read {url} (expected the gzip list of {kind} paths of {crawl}): {exc}", url=url
        ) from exc
    try:
        text = gzip.decompress(raw).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DiscoveryError(
            f"{url} is not gzip UTF-8 text (expected one path per line): {exc}", url=url
        ) from exc
    paths = [line.strip() for line in text.splitlines() if line.strip()]
    if not paths:
        raise DiscoveryError(f"{url} lists no paths", url=url)
    names = [posixpath.basename(p) for p in paths]
    if len(set(names)) != len(names):
        # Names become local file names; Common Crawl's are unique within a crawl.
        raise DiscoveryError(f"{url} lists several files with the same name", url=url)
    return [
        RemoteFile(uri=join_uri(mirror, p), name=posixpath.basename(p))
        for p in choose(paths, max_files, seed)
    ]
