"""Fetch one file (local, http(s), s3) to a local path: resumable, retried, verified, atomic."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from . import fsspec_source, http_source
from .checksums import normalise_checksums, verify_file
from .config import DownloadConfig
from .errors import ChecksumMismatch, DownloadError, SizeMismatch
from .partfile import PartFile
from .remote import RemoteFile
from .retry import call_with_retries

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class Downloaded:
    uri: str
    """Where the bytes came from."""

    path: str
    """Local file holding them (the source itself for a local input without `dest`)."""

    size: int
    """Size in bytes."""

    sha256: str
    """Hex SHA-256 of the file, always computed (the manifest records it)."""

    checksums: dict[str, str] = field(default_factory=dict)
    """The published digests that were checked and matched, by algorithm."""

    skipped: bool = False
    """True when `dest` already held the verified file and nothing was transferred."""

    transferred: int = 0
    """Bytes received over the network by this call (less than `size` after a resume)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class DownloadRequest:
    """One item for `download_many`: the arguments of `download`."""

    uri: str
    """Source URI."""

    dest: str | None
    """Local destination path (None: verify a local source in place)."""

    expected_size: int | None = None
    """Published size in bytes, when known."""

    checksums: dict[str, str] | None = None
    """Published digests by algorithm (md5, sha1, sha256)."""


def _is_http(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def _local_path(uri: str) -> str | None:
    if uri.startswith("file://"):
        return uri[len("file://") :]
    return None if "://" in uri else uri


def download(
    uri: str,
    dest: str | None = None,
    *,
    expected_size: int | None = None,
    checksums: dict[str, str] | None = None,
    config: DownloadConfig = DownloadConfig(),
) -> Downloaded:
    """Fetch `uri` to the local path `dest` and verify it.

    * Local `uri` with `dest` None (or `dest` the same file): hashed and verified in place.
    * Bytes go to `dest + ".part"`; only after size and every digest in `checksums` match is
      it renamed to `dest`, so `dest` never holds a partial or corrupt file.
    * An interrupted transfer resumes from the `.part` (HTTP Range / S3 ranged GET).
    * `dest` already holding the right file (size and digests) is skipped; with no digests
      published an existing `dest` counts as complete, since it can only come from a rename
      of a verified part.
    Raises DownloadError (naming the URI and HTTP status), SizeMismatch or ChecksumMismatch."""
    wanted = normalise_checksums(checksums)
    local = _local_path(uri)
    if local is not None and (dest is None or (os.path.exists(dest) and os.path.samefile(local, dest))):
        return _verify_in_place(uri, local, expected_size, wanted, config)
    if dest is None:
        raise ValueError(f"download({uri!r}): dest is required for a remote file")
    if _local_path(dest) is None:
        # Resume and atomic rename need a local file; stage locally, then upload if needed.
        raise ValueError(f"download({uri!r}): dest={dest!r} must be a local path")
    dest = _local_path(dest)

    if os.path.exists(dest):
        done = _existing(uri, dest, expected_size, wanted, config)
        if done is not None:
            return done

    part = PartFile(dest)
    if _is_http(uri):
        with http_source.make_client(config) as client:
            source = http_source.HttpSource(uri, client, config)
            call_with_retries(
                lambda: source.fetch(part), uri=uri, config=config, is_transient=http_source.is_transient
            )
    else:
        source = fsspec_source.FsspecSource(uri, config)
        call_with_retries(
            lambda: source.fetch(part), uri=uri, config=config, is_transient=fsspec_source.is_transient
        )

    try:
        size, digests = verify_file(
            part.path, uri=uri, expected_size=expected_size, checksums=wanted, chunk_size=config.chunk_size
        )
    except (SizeMismatch, ChecksumMismatch):
        # A bad part must not be resumed or mistaken for progress by the next run.
        part.discard()
        raise
    part.finish(dest)
    log.info("%s -> %s (%d bytes, %d transferred)", uri, dest, size, source.transferred)
    return Downloaded(
        uri=uri,
        path=dest,
        size=size,
        sha256=digests["sha256"],
        checksums={a: digests[a] for a in wanted},
        transferred=source.transferred,
    )


def _verify_in_place(
    uri: str, path: str, expected_size: int | None, wanted: dict[str, str], config: DownloadConfig
) -> Downloaded:
    if not os.path.isfile(path):
        raise DownloadError(f"{uri}: no such local file", uri=uri, status=404)
    size, digests = verify_file(
        path, uri=uri, expected_size=expected_size, checksums=wanted, chunk_size=config.chunk_size
    )
    return _skipped(uri, path, size, digests, wanted)


def _skipped(uri: str, path: str, size: int, digests: dict[str, str], wanted: dict[str, str]) -> Downloaded:
    """The result for a file that was already there and verified: nothing transferred."""
    return Downloaded(
        uri=uri,
        path=path,
        size=size,
        sha256=digests["sha256"],
        checksums={a: digests[a] for a in wanted},
        skipped=True,
    )


def _existing(
    uri: str, dest: str, expected_size: int | None, wanted: dict[str, str], config: DownloadConfig
) -> Downloaded | None:
    """A Downloaded for a `dest` that already holds the right file, else None (fetch again)."""
    try:
        size, digests = verify_file(
            dest, uri=uri, expected_size=expected_size, checksums=wanted, chunk_size=config.chunk_size
        )
    except (SizeMismatch, ChecksumMismatch) as exc:
        log.warning("%s exists but does not match (%s); downloading again", dest, exc)
        return None
    log.info("%s: already complete at %s, skipped", uri, dest)
    return _skipped(uri, dest, size, digests, wanted)


def download_many(
    items: Iterable[DownloadRequest], config: DownloadConfig = DownloadConfig()
) -> list[Downloaded]:
    """Download every item with at most `config.max_concurrency` transfers at once.

    Results come in input order. On the first failure the items not yet started are cancelled,
    the running ones finish (their verified files stay), and that failure is raised."""
    items = list(items)
    dests = [i.dest for i in items if i.dest is not None]
    if len(set(dests)) != len(dests):
        dup = sorted({d for d in dests if dests.count(d) > 1})
        raise ValueError(f"download_many: several items write to the same dest: {dup}")
    with ThreadPoolExecutor(max_workers=config.max_concurrency, thread_name_prefix="download") as pool:
        futures = [
            pool.submit(
                download, i.uri, i.dest, expected_size=i.expected_size, checksums=i.checksums, config=config
            )
            for i in items
        ]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def requests_for(files: Iterable[RemoteFile], dest_dir: str) -> list[DownloadRequest]:
    """One DownloadRequest per discovered file, saved as `dest_dir/<name>` and checked against
    whatever the mirror published (size, md5, sha1)."""
    return [
        DownloadRequest(
            uri=f.uri,
            dest=os.path.join(dest_dir, f.name),
            expected_size=f.size,
            checksums=f.checksums or None,
        )
        for f in files
    ]
