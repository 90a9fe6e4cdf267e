"""Copying an fsspec file (s3://, local, any fsspec URL) into its `.part` with ranged reads."""

from __future__ import annotations

import errno
import functools
import logging
import os

import fsspec
from fsspec.core import url_to_fs

from .config import DownloadConfig
from .errors import DownloadError, TransientError
from .partfile import PartFile

log = logging.getLogger(__name__)

# S3 error codes that mean "try again later" (AWS S3 error responses list).
_S3_TRANSIENT_CODES = {
    "SlowDown",
    "ServiceUnavailable",
    "InternalError",
    "RequestTimeout",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "OperationAborted",
}
# s3fs turns ClientErrors into OSErrors; these errnos are what it uses for throttling and 5xx.
_TRANSIENT_ERRNOS = {errno.EBUSY, errno.EREMOTEIO, errno.ETIMEDOUT, errno.ECONNRESET, errno.EAGAIN}


def open_filesystem(uri: str, config: DownloadConfig) -> tuple[fsspec.AbstractFileSystem, str]:
    """Filesystem and path for `uri`. For S3 the endpoint and keys come from the environment
    (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...) as botocore reads them."""
    if not uri.startswith(("s3://", "s3a://")):
        return url_to_fs(uri)
    env = tuple(os.environ.get(k) for k in _S3_ENV)
    # pid: a client made before a fork must not be used by the child (its event loop is gone).
    return _s3_filesystem(config.timeout, env, os.getpid()), uri.split("://", 1)[1]


_S3_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
)


@functools.lru_cache(maxsize=8)
def _s3_filesystem(timeout: float, env: tuple[str | None, ...], pid: int) -> fsspec.AbstractFileSystem:
    """One S3 client per timeout and environment (a client costs a session and credential
    lookup); keyed on the environment because fsspec's own instance cache ignores it."""
    import s3fs

    fs = s3fs.S3FileSystem(
        skip_instance_cache=True,
        # Discovery lists dump directories that change over time; never answer from a stale listing.
        use_listings_cache=False,
        config_kwargs={
            "retries": {"total_max_attempts": 1},
            "connect_timeout": timeout,
            "read_timeout": timeout,
        },
    )
    # Our retry loop is the only one (s3fs and botocore retry too by default), so attempts and
    # backoff are what DownloadConfig says. s3fs reads this attribute, not an init argument.
    fs.retries = 1
    return fs


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
        return False
    for e in _chain(exc):
        if isinstance(e, (TransientError, TimeoutError, ConnectionError)):
            return True
        response = getattr(e, "response", None)
        if isinstance(response, dict) and "Error" in response:  # botocore ClientError
            code = response["Error"].get("Code", "")
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            return code in _S3_TRANSIENT_CODES or status == 429 or status >= 500
        if type(e).__module__.startswith(("botocore", "aiobotocore", "aiohttp")) and (
            "Connection" in type(e).__name__
            or "Timeout" in type(e).__name__
            or type(e).__name__ in {"HTTPClientError", "ClientPayloadError", "ServerDisconnectedError"}
        ):
            return True
        if isinstance(e, OSError) and e.errno in _TRANSIENT_ERRNOS:
            return True
    return False


def as_download_error(exc: Exception, uri: str) -> Exception:
    """Name the URI on errors that are final (missing object, denied access)."""
    if isinstance(exc, FileNotFoundError):
        return DownloadError(f"{uri}: not found (404 / NoSuchKey; not retried)", uri=uri, status=404)
    if isinstance(exc, PermissionError):
        return DownloadError(f"{uri}: access denied (403; not retried): {exc}", uri=uri, status=403)
    return exc


class FsspecSource:
    """One remote file on an fsspec filesystem, fetched by ranged reads of `chunk_size` bytes,
    so an interrupted copy continues from the part's size."""

    def __init__(self, uri: str, config: DownloadConfig) -> None:
        self.uri = uri
        self.config = config
        self.fs, self.path = open_filesystem(uri, config)
        self.transferred = 0

    def fetch(self, part: PartFile) -> None:
        try:
            self._fetch(part)
        except Exception as exc:
            raise as_download_error(exc, self.uri) from exc

    def _fetch(self, part: PartFile) -> None:
        info = self.fs.info(self.path)
        if info.get("type") == "directory":
            raise IsADirectoryError(f"{self.uri} is a directory")
        total = int(info["size"])
        validator = (
            info.get("ETag") or info.get("etag") or str(info.get("mtime") or info.get("LastModified") or "")
        )
        offset = part.size()
        if offset and (part.validator(self.uri) != validator or offset > total):
            log.warning("%s: changed since the part was started; restarting from byte 0", self.uri)
            offset = 0
        if offset:
            log.info("%s: resuming at byte %d", self.uri, offset)
        with part.append() if offset else part.restart(self.uri, validator) as out:
            while offset < total:
                end = min(offset + self.config.chunk_size, total)
                data = self.fs.cat_file(self.path, start=offset, end=end)
                if not data:
                    raise TransientError(f"{self.uri}: empty read at byte {offset} of {total}")
                out.write(data)
                out.flush()  # a kill between chunks must leave only whole chunks in the part
                offset += len(data)
                self.transferred += len(data)
