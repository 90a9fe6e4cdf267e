"""Errors of the acquire stage. Each names the URL or file involved and what was expected."""

from __future__ import annotations


class DownloadError(Exception):
    """A file could not be fetched. `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, uri: str, status: int | None = None) -> None:
        super().__init__(message)
        self.uri = uri
        self.status = status


class SizeMismatch(DownloadError):
    """The fetched bytes do not have the size the source announced."""

    def __init__(self, *, uri: str, path: str, expected: int, actual: int) -> None:
        super().__init__(
            f"size mismatch for {path} (from {uri}): expected {expected} bytes, got {actual}",
            uri=uri,
        )
        self.path = path
        self.expected = expected
        self.actual = actual


class ChecksumMismatch(DownloadError):
    """The fetched bytes do not hash to the published digest."""

    def __init__(self, *, uri: str, path: str, algorithm: str, expected: str, actual: str) -> None:
        super().__init__(
            f"{algorithm} mismatch for {path} (from {uri}): expected {expected}, actual {actual}",
            uri=uri,
        )
        self.path = path
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual


class DiscoveryError(Exception):
    """A mirror did not publish what discovery expected (missing index, unfinished dump, bad JSON)."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class TransientError(Exception):
    """A failure worth retrying (HTTP 429/5xx, truncated body). Internal to the retry loop."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
