"""Acquire stage: find dump files on mirrors and fetch them resumably, retried and verified
into a cache whose files can be evicted once used (their receipts stay)."""

from .cache import download_with_receipt, evict, read_receipt
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
    "download_with_receipt",
    "download_many",
    "evict",
    "read_receipt",
    "requests_for",
    "resolve_latest",
]
