"""Bounded retries with exponential backoff and jitter, shared by every transport."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from .config import DownloadConfig
from .errors import DownloadError

log = logging.getLogger(__name__)
T = TypeVar("T")


def backoff_delay(attempt: int, config: DownloadConfig, retry_after: float | None = None) -> float:
    """Seconds to sleep before retry number `attempt + 1` (attempt counts from 0)."""
    cap = min(config.backoff_max, config.backoff_base * 2**attempt)
    # Equal jitter: half the exponential delay is kept so retries stay spaced out, the other
    # half is random so many workers throttled by the same mirror do not retry in lock-step.
    delay = cap / 2 + random.uniform(0, cap / 2)
    if retry_after is not None:
        # The server knows its own load better than we do, but one bad header must not stall us.
        delay = max(delay, min(retry_after, config.backoff_max))
    return delay


def call_with_retries(
    fn: Callable[[], T],
    *,
    uri: str,
    config: DownloadConfig,
    is_transient: Callable[[BaseException], bool],
) -> T:
    """Run `fn`, retrying it on transient errors at most `config.retries` times.

    `fn` must be restartable: downloads resume from their `.part` file on every call."""
    attempts = config.retries + 1
    for attempt in range(attempts):
        try:
            return fn()
        except DownloadError:
            raise
        except Exception as exc:
            if not is_transient(exc):
                raise
            if attempt + 1 == attempts:
                raise DownloadError(
                    f"{uri}: giving up after {attempts} attempts; last error: {exc}",
                    uri=uri,
                    status=getattr(exc, "status", None),
                ) from exc
            delay = backoff_delay(attempt, config, getattr(exc, "retry_after", None))
            log.warning("%s: %s; retry %d/%d in %.2fs", uri, exc, attempt + 1, config.retries, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")
