"""Downloaded files in a local cache, and the receipt that outlives them.

`{dest}.receipt.json` records what a completed, verified download held: uri, size, sha256 and the
published digests that matched (md5/sha1). It is removed before a download starts and written
only after `download` verified and published `dest`, so it never describes a partial file. Once
the work made of the file is done the file can be evicted: the receipt still names its bytes, so
a rerun can tell that work is done without fetching the file again."""

from __future__ import annotations

import contextlib
import logging
import os

from ..io import read_json, write_json
from .checksums import normalise_checksums
from .config import DownloadConfig
from .download import Downloaded, download

log = logging.getLogger(__name__)

RECEIPT_SUFFIX = ".receipt.json"


def receipt_path(dest: str) -> str:
    return dest + RECEIPT_SUFFIX


def read_receipt(
    dest: str, *, uri: str, expected_size: int | None = None, checksums: dict[str, str] | None = None
) -> dict | None:
    """The receipt of `dest` ({uri, size, sha256[, md5, sha1]}) when it is for `uri` and agrees
    with the size and digests the mirror publishes now; None otherwise (download to know)."""
    try:
        receipt = read_json(receipt_path(dest))
    except (FileNotFoundError, ValueError):
        return None
    wanted = normalise_checksums(checksums)
    if (
        receipt.get("uri") != uri
        or (expected_size is not None and receipt.get("size") != expected_size)
        or any(receipt.get(algo) != digest for algo, digest in wanted.items())
    ):
        log.info("%s: receipt does not match what the mirror publishes now; not used", dest)
        return None
    return receipt


def download_with_receipt(
    uri: str,
    dest: str,
    *,
    expected_size: int | None = None,
    checksums: dict[str, str] | None = None,
    config: DownloadConfig = DownloadConfig(),
) -> Downloaded:
    """`download` to the local `dest` (resuming its `.part`), then write the receipt."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(receipt_path(dest))  # from here until the verified rename, no receipt
    got = download(uri, dest, expected_size=expected_size, checksums=checksums, config=config)
    write_json(receipt_path(dest), {"uri": uri, "size": got.size, "sha256": got.sha256, **got.checksums})
    return got


def evict(dest: str) -> None:
    """Delete the cached file, keep its receipt."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(dest)
        log.info("%s: evicted from the download cache", dest)
