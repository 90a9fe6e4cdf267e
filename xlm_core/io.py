"""Paths are fsspec URIs (local path, s3://, https://). Every write goes through here so it is atomic."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import uuid
from collections.abc import Iterator
from typing import IO, Any

import fsspec
from fsspec.core import url_to_fs

log = logging.getLogger(__name__)


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


# Object stores whose files honour `autocommit=False`: the bytes go to a multipart upload that
# becomes the object only on commit(), and discard() aborts it. Other remote filesystems get a
# temp object and a move.
_TRANSACTIONAL = {"s3", "s3a", "gs", "gcs"}


@contextlib.contextmanager
def atomic_open(uri: str, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open `uri` for writing so that readers see either the old file or the complete new one,
    and an exception in the `with` body leaves nothing new under `uri`.

    Local files are written to a temp name in the same directory and renamed. On S3 (and GCS)
    the upload is committed only when the body finished; s3fs would otherwise complete it on
    close() even when an exception ended the body, publishing a truncated object."""
    fs, path = fs_and_path(uri)
    if is_local(uri):
        opener = _local_temp
    elif "b" not in mode:
        raise ValueError(f"atomic_open({uri!r}, {mode!r}): remote files are written in binary mode")
    else:
        protocols = {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)
        opener = _uncommitted if protocols & _TRANSACTIONAL else _remote_temp
    with opener(fs, path, mode) as f:
        yield f


def _tmp_name(path: str) -> str:
    # `.tmp-…` after the extension: listings that look for `*.json` / `*.parquet` never see it.
    return f"{path}.tmp-{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def _local_temp(fs, path: str, mode: str) -> Iterator[IO[Any]]:
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = _tmp_name(path)
    try:
        with open(tmp, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


@contextlib.contextmanager
def _uncommitted(fs, path: str, mode: str) -> Iterator[IO[Any]]:
    f = fs.open(path, mode, autocommit=False)
    try:
        yield f
        f.close()  # uploads the last part; the object does not exist yet
        f.commit()  # one PUT / CompleteMultipartUpload: the object appears whole
    except BaseException:
        try:
            f.discard()  # aborts the multipart upload (its parts are billed until then)
        except Exception as exc:  # noqa: BLE001 - the body's error is the one to report
            log.warning("%s: could not abort the upload (a bucket lifecycle rule expires it): %s", path, exc)
        f.closed = True  # a later close() or __del__ must not upload the buffer discard() dropped
        raise
    finally:
        # fsspec queues every autocommit=False file for a transaction we never start: forget it,
        # or a long-lived worker keeps one file object per write.
        with contextlib.suppress(ValueError):
            fs.transaction.files.remove(f)


@contextlib.contextmanager
def _remote_temp(fs, path: str, mode: str) -> Iterator[IO[Any]]:
    tmp = _tmp_name(path)
    try:
        with fs.open(tmp, mode) as f:
            yield f
        fs.mv(tmp, path)
    finally:
        if fs.exists(tmp):
            fs.rm(tmp)


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
