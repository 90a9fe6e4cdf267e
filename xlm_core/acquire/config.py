"""How downloads behave: retries, backoff, timeouts, chunking, concurrency."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class DownloadConfig:
    retries: int = 5
    """Retries after the first attempt on transient failures (HTTP 429/5xx, timeouts, connection
    resets, S3 SlowDown/503). 0 = one attempt only. 404/403 and checksum errors are never retried."""

    backoff_base: float = 1.0
    """Seconds before the first retry; doubles on each further retry (with jitter)."""

    backoff_max: float = 60.0
    """Upper bound in seconds for one backoff sleep, also for a server's Retry-After."""

    timeout: float = 60.0
    """Seconds to wait for a connection or for the next bytes of a response."""

    chunk_size: int = 1 << 20
    """Bytes read and written per step while streaming a file."""

    max_concurrency: int = 4
    """Files downloaded at once by `download_many`."""

    user_agent: str = "xlm-pipeline/0.1 (cross-lingual corpus builder; python-httpx)"
    """User-Agent sent to HTTP mirrors (Wikimedia asks clients to identify themselves)."""

    def __post_init__(self) -> None:
        checks = {
            "retries": self.retries >= 0,
            "backoff_base": self.backoff_base >= 0,
            "backoff_max": self.backoff_max >= self.backoff_base,
            "timeout": self.timeout > 0,
            "chunk_size": self.chunk_size > 0,
            "max_concurrency": self.max_concurrency >= 1,
        }
        allowed = {
            "retries": ">= 0",
            "backoff_base": ">= 0",
            "backoff_max": ">= backoff_base",
            "timeout": "> 0",
            "chunk_size": "> 0",
            "max_concurrency": ">= 1",
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(
                    f"DownloadConfig.{name}={getattr(self, name)!r} is invalid: must be {allowed[name]}"
                )
