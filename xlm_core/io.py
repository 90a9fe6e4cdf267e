"""Paths are fsspec URIs (local path, s3://, https://). Every write goes through here so it is atomic."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from typing import IO, Any

import fsspec
from fsspec.core import url_to_fs


def fs_and_path(uri: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """Filesystem and its path for `uri`. S3 options (endpoint, keys) come from the environment
    (AWS_ENDPOINT_URL / AWS_ACCESS_KEY_ID / ...), never from a spec."""
    return url_to_fs(uri)


def join(base: str, *parts: str) -> str:
    out = base.rstrip("/")
    for p in parts:
        out = f"{out}/{p.strip('/')}"
    return out


def is_local(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


def exists(uri: str) -> bool:
    fs, path = fs_and_path(uri)
    return fs.exists(path)


@contextlib.contextmanager
def atomic_open(uri: str, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open `uri` for writing so that readers see either the old file or the complete new one.

    Local files are written to a temp name in the same directory and renamed. An S3 object
    only becomes visible when its upload completes, so it is written in place (an aborted
    multipart upload leaves nothing behind)."""
    fs, path = fs_and_path(uri)
    if not is_local(uri):
        with fs.open(path, mode) as f:
            yield f
        return
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        with open(tmp, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_bytes(uri: str, data: bytes) -> None:
    with atomic_open(uri, "wb") as f:
        f.write(data)


def canonical_json(obj: Any) -> bytes:
    """JSON that is byte-identical for equal objects (sorted keys, fixed separators)."""
    return (json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def write_json(uri: str, obj: Any) -> None:
    write_bytes(uri, canonical_json(obj))


def read_json(uri: str) -> Any:
    fs, path = fs_and_path(uri)
    with fs.open(path, "rb") as f:
        return json.load(f)


def sha256_file(uri: str, chunk: int = 1 << 20) -> tuple[str, int]:
    """(sha256 hex, size in bytes) of a file, streamed."""
    fs, path = fs_and_path(uri)
    h = hashlib.sha256()
    size = 0
    with fs.open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def check_writable(uri: str) -> None:
    """Fail early, naming the path, when the output location cannot be written."""
    fs, path = fs_and_path(uri)
    probe = join(uri, f".write-probe-{uuid.uuid4().hex[:8]}")
    try:
        if is_local(uri):
            os.makedirs(path, exist_ok=True)
        write_bytes(probe, b"ok")
        _, probe_path = fs_and_path(probe)
        fs.rm(probe_path)
    except (OSError, PermissionError) as exc:
        raise PermissionError(f"output {uri!r} is not writable: {exc}") from exc
