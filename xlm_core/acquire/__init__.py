"""Acquire stage: find dump files on mirrors and fetch them resumably, retried and verified."""

from .commoncrawl import discover_commoncrawl
from .config import DownloadConfig
from .download import Downloaded, DownloadRequest, download, download_many, requests_for
from .errors import ChecksumMismatch, DiscoveryError, DownloadError, SizeMismatch
from .remote import RemoteFile
from .wikipedia import discover_wikipedia, resolve_latest

__all__ = [
    "ChecksumMismatch",
    "DiscoveryError",
    "DownloadConfig",
    "DownloadError",
    "DownloadRequest",
    "Downloaded",
    "RemoteFile",
    "SizeMismatch",
    "discover_commoncrawl",
    "discover_wikipedia",
    "download",
    "download_many",
    "requests_for",
    "resolve_latest",
]
