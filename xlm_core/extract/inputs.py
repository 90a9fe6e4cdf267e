"""Opening extractor inputs: a path/URI (fsspec) or an already open binary file object."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import os
from collections.abc import Iterator
from typing import IO

import fsspec

BZ2_MAGIC = b"BZh"
GZIP_MAGIC = b"\x1f\x8b"


def input_name(fileobj_or_path: str | os.PathLike | IO[bytes]) -> str:
    """A name for logs and for `Document.source_file` when the caller gives none."""
    if isinstance(fileobj_or_path, (str, os.PathLike)):
        return os.fspath(fileobj_or_path)
    return str(getattr(fileobj_or_path, "name", "<stream>"))


@contextlib.contextmanager
def open_raw(fileobj_or_path: str | os.PathLike | IO[bytes]) -> Iterator[IO[bytes]]:
    """The input's bytes as stored (still compressed). A file object given by the caller is
    not closed here: its owner closes it."""
    if isinstance(fileobj_or_path, (str, os.PathLike)):
        with fsspec.open(os.fspath(fileobj_or_path), "rb") as f:
            yield f
    else:
        yield fileobj_or_path


@contextlib.contextmanager
def open_decompressed(fileobj_or_path: str | os.PathLike | IO[bytes]) -> Iterator[IO[bytes]]:
    """The input's bytes, bz2/gzip decompressed when the magic bytes say so (names lie; magic
    does not). bz2 and gzip readers both read concatenated streams (multistream dumps)."""
    with open_raw(fileobj_or_path) as raw:
        head, stream = _peek(raw, 3)
        if head.startswith(BZ2_MAGIC):
            with bz2.BZ2File(stream) as f:
                yield f
        elif head.startswith(GZIP_MAGIC):
            with gzip.GzipFile(fileobj=stream) as f:
                yield f
        else:
            yield stream


def _peek(raw: IO[bytes], n: int) -> tuple[bytes, IO[bytes]]:
    """The first `n` bytes and a stream that still starts at them. The caller's object is never
    wrapped in a buffer that would close it when collected."""
    if hasattr(raw, "peek"):
        return raw.peek(n)[:n], raw
    head = raw.read(n)
    try:
        raw.seek(-len(head), io.SEEK_CUR)
        return head, raw
    except (AttributeError, OSError, ValueError):
        return head, _Prefixed(head, raw)


class _Prefixed(io.RawIOBase):
    """`head` then the rest of a non-seekable stream."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        if self._head:
            n = min(len(buf), len(self._head))
            buf[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._rest.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def close(self) -> None:  # the owner of `rest` closes it
        super().close()
