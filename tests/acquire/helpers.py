"""Shared bits of the acquire tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from xlm_core.acquire import DownloadConfig

# Tiny backoff so retry tests take milliseconds; short timeout so a hang fails fast.
FAST = DownloadConfig(retries=3, backoff_base=0.01, backoff_max=0.05, timeout=10, chunk_size=64 * 1024)


def publish(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
