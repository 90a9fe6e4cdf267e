"""Backoff delays and the bounded retry loop."""

from __future__ import annotations

import random

import pytest

from xlm_core.acquire import DownloadConfig, DownloadError
from xlm_core.acquire.errors import TransientError
from xlm_core.acquire.retry import backoff_delay, call_with_retries

CONFIG = DownloadConfig(backoff_base=1.0, backoff_max=8.0, retries=3)


def test_backoff_doubles_with_jitter_and_is_capped():
    random.seed(0)
    for attempt, cap in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (10, 8.0)]:
        delays = [backoff_delay(attempt, CONFIG) for _ in range(200)]
        assert all(cap / 2 <= d <= cap for d in delays)
        assert max(delays) - min(delays) > cap / 4  # jittered, not lock-step


def test_retry_after_is_honoured_up_to_backoff_max():
    assert backoff_delay(0, CONFIG, retry_after=5.0) == 5.0
    assert backoff_delay(0, CONFIG, retry_after=3600.0) == 8.0


def test_only_transient_errors_are_retried(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("HTTP 503", status=503)
        return "ok"

    assert (
        call_with_retries(flaky, uri="u", config=CONFIG, is_transient=lambda e: isinstance(e, TransientError))
        == "ok"
    )
    assert len(calls) == 3

    def broken():
        raise KeyError("bug")

    with pytest.raises(KeyError):
        call_with_retries(broken, uri="u", config=CONFIG, is_transient=lambda e: False)


def test_attempts_are_bounded(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    calls = []

    def always():
        calls.append(1)
        raise TransientError("HTTP 429", status=429)

    with pytest.raises(DownloadError, match="giving up after 4 attempts; last error: HTTP 429") as err:
        call_with_retries(always, uri="http://m/f", config=CONFIG, is_transient=lambda e: True)
    assert len(calls) == 4 and err.value.status == 429 and err.value.uri == "http://m/f"


def test_config_errors_name_the_field():
    with pytest.raises(ValueError, match=r"DownloadConfig.max_concurrency=0 .* >= 1"):
        DownloadConfig(max_concurrency=0)
    with pytest.raises(ValueError, match="backoff_max"):
        DownloadConfig(backoff_base=10, backoff_max=1)
    with pytest.raises(TypeError):
        DownloadConfig(3)  # kw_only
