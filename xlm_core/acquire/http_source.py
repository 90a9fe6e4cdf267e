"""Streaming an http(s) file into its `.part`, resuming with a Range request."""

from __future__ import annotations

import email.utils
import logging
import re
import time

import httpx

from .config import DownloadConfig
from .errors import DownloadError, TransientError
from .partfile import PartFile

log = logging.getLogger(__name__)

# 408/425/429 and 5xx are load or gateway trouble on the mirror side: worth another try.
_TRANSIENT_STATUS = {408, 425, 429}
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_UNSATISFIED_RANGE = re.compile(r"bytes \*/(\d+)")


def make_client(config: DownloadConfig) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(config.timeout),
        follow_redirects=True,  # mirrors redirect to their closest node
        # identity: a server that gzips on the fly would change the bytes and break Range offsets.
        headers={"User-Agent": config.user_agent, "Accept-Encoding": "identity"},
    )


def is_transient(exc: BaseException) -> bool:
    return isinstance(
        exc, (TransientError, httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
    )


def _retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def check_status(response: httpx.Response, uri: str) -> None:
    """Raise TransientError on statuses worth retrying, DownloadError on the others."""
    status = response.status_code
    if status < 400:
        return
    what = f"HTTP {status} {response.reason_phrase} for {uri}"
    if status in _TRANSIENT_STATUS or status >= 500:
        raise TransientError(
            what, status=status, retry_after=_retry_after(response.headers.get("Retry-After"))
        )
    hint = {404: "the file is not on the mirror", 403: "access denied", 410: "the file is gone"}.get(status)
    raise DownloadError(f"{what} ({hint + '; ' if hint else ''}not retried)", uri=uri, status=status)


class HttpSource:
    """One remote file over http(s). `fetch` is called once per attempt and continues where the
    previous attempt stopped; `transferred` counts body bytes received over all attempts."""

    def __init__(self, uri: str, client: httpx.Client, config: DownloadConfig) -> None:
        self.uri = uri
        self.client = client
        self.config = config
        self.transferred = 0

    def fetch(self, part: PartFile) -> None:
        offset = part.size()
        validator = part.validator(self.uri) if offset else None
        headers = {}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if validator:
                # If the file changed since the part was started, the server sends it whole (200).
                headers["If-Range"] = validator
        with self.client.stream("GET", self.uri, headers=headers) as response:
            if response.status_code == 416 and offset:
                self._unsatisfiable(response, part, offset)
                return
            check_status(response, self.uri)
            total = self._open_part(response, part, offset)
            with part.append() if response.status_code == 206 else self._restart(response, part) as out:
                # No chunk_size: httpx would hold up to chunk_size bytes back, and a connection
                # cut would lose them instead of leaving them in the part for the resume.
                for chunk in response.iter_raw():
                    out.write(chunk)
                    self.transferred += len(chunk)
        if total is not None and part.size() != total:
            raise TransientError(f"{self.uri}: connection ended after {part.size()} of {total} bytes")

    def _open_part(self, response: httpx.Response, part: PartFile, offset: int) -> int | None:
        """Total size of the remote file (None if unknown), checking a 206 answers our range."""
        if response.status_code == 206:
            m = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
            if not m or int(m.group(1)) != offset:
                part.discard()
                raise TransientError(
                    f"{self.uri}: asked for bytes {offset}-, server answered Content-Range "
                    f"{response.headers.get('Content-Range')!r}; restarting from 0"
                )
            log.info("%s: resuming at byte %d", self.uri, offset)
            return None if m.group(3) == "*" else int(m.group(3))
        if offset:
            log.warning(
                "%s: server ignored Range (HTTP %d); restarting from byte 0", self.uri, response.status_code
            )
        length = response.headers.get("Content-Length")
        return int(length) if length and length.isdigit() else None

    def _restart(self, response: httpx.Response, part: PartFile):
        validator = response.headers.get("ETag")
        if validator and validator.startswith("W/"):
            validator = None  # weak ETags are not allowed in If-Range (RFC 9110 13.1.5)
        return part.restart(self.uri, validator or response.headers.get("Last-Modified"))

    def _unsatisfiable(self, response: httpx.Response, part: PartFile, offset: int) -> None:
        """416 on resume: the part is either already whole or longer than the remote file."""
        m = _UNSATISFIED_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
        if m and int(m.group(1)) == offset:
            return
        part.discard()
        raise TransientError(f"{self.uri}: part of {offset} bytes does not fit the remote file; restarting")
