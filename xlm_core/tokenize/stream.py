"""On-disk token streams, shared by the monolingual and the parallel data.

One stream = two files written side by side:
  `<name>.bin`  token ids (encoder ids, see `xlm_core.vocab.specials`), uint16 or uint32, no header;
  `<name>.idx`  little-endian int64 offsets into `.bin`, one per document plus a final one (n_docs + 1).
Document i is `bin[idx[i]:idx[i + 1]]`. Both files are written atomically and their sizes and
sha256 go into the manifest, so a reader can tell a truncated or altered file from a good one."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Literal

import numpy as np

from xlm_core.io import atomic_open, fs_and_path, is_local, sha256_file

Verify = Literal["size", "sha256"]


class StreamError(ValueError):
    """A token stream cannot be used as it is on disk."""


class CorruptStreamError(StreamError):
    """A stream file is missing, truncated, or differs from what the manifest recorded."""


class VocabMismatchError(StreamError):
    """The streams were tokenized with a different vocabulary than the one given."""


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """What the manifest keeps about one written stream (paths relative to the manifest's dir)."""

    bin: str
    idx: str
    documents: int
    tokens: int
    bin_bytes: int
    bin_sha256: str
    idx_bytes: int
    idx_sha256: str

    def to_json(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_json(cls, d: dict) -> StreamRecord:
        return cls(**{name: d[name] for name in cls.__slots__})


class StreamWriter:
    """Append documents to `{root}/{name}.bin`, then `close()` writes `.idx` and returns the record.

    The `.bin` goes to a temp name and is renamed on close, then the `.idx` is written the same
    way: an `.idx` on disk implies its `.bin` was complete. Nothing is left behind on error."""

    def __init__(self, root: str, name: str, dtype: np.dtype):
        self.root, self.name, self.dtype = root, name, np.dtype(dtype)
        self._cm = atomic_open(f"{root}/{name}.bin", "wb")
        self._f = self._cm.__enter__()
        self._hash = hashlib.sha256()
        self._lengths: list[np.ndarray] = []
        self._tokens = 0

    def write(self, tokens: np.ndarray, offsets: np.ndarray) -> None:
        """A batch of documents: `tokens` (n,) in the stream dtype, `offsets` (docs + 1,) from 0."""
        if tokens.dtype != self.dtype or offsets[0] != 0 or offsets[-1] != len(tokens):
            raise ValueError(f"batch for stream {self.name!r} has dtype {tokens.dtype} or bad offsets")
        data = np.ascontiguousarray(tokens).data
        self._f.write(data)
        self._hash.update(data)
        self._lengths.append(np.diff(offsets))
        self._tokens += len(tokens)

    def close(self) -> StreamRecord:
        self._cm.__exit__(None, None, None)
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int64)
        offsets = np.zeros(len(lengths) + 1, dtype="<i8")
        np.cumsum(lengths, out=offsets[1:])
        self.offsets = offsets  # (n_docs + 1,), for whoever packs the stream next
        idx = offsets.data
        with atomic_open(f"{self.root}/{self.name}.idx", "wb") as f:
            f.write(idx)
        return StreamRecord(
            bin=f"{self.name}.bin",
            idx=f"{self.name}.idx",
            documents=len(lengths),
            tokens=self._tokens,
            bin_bytes=self._tokens * self.dtype.itemsize,
            bin_sha256=self._hash.hexdigest(),
            idx_bytes=offsets.nbytes,
            idx_sha256=hashlib.sha256(idx).hexdigest(),
        )

    def abort(self) -> None:
        self._cm.__exit__(RuntimeError, RuntimeError("aborted"), None)

    def __enter__(self) -> StreamWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()


def write_stream(root: str, name: str, tokens: np.ndarray, offsets: np.ndarray) -> StreamRecord:
    """Write one whole stream at once (see `StreamWriter`)."""
    with StreamWriter(root, name, tokens.dtype) as w:
        w.write(tokens, np.asarray(offsets, dtype=np.int64))
        return w.close()


class TokenStream:
    """Read-only view of one stream: `tokens` is a memmap, `offsets` an int64 array in memory.

    Checks on open: both files exist with the recorded sizes, the sizes agree with each other and
    with the dtype, offsets are non-decreasing; `verify="sha256"` also re-hashes both files."""

    def __init__(self, root: str, record: StreamRecord, dtype: np.dtype, *, verify: Verify = "size"):
        if not is_local(root):
            raise StreamError(f"token streams are read through memmap and must be local files, got {root!r}")
        _, root_path = fs_and_path(root)
        self.record = record
        self.bin_path = os.path.join(root_path, record.bin)
        self.idx_path = os.path.join(root_path, record.idx)
        dtype = np.dtype(dtype)
        for path, want in ((self.bin_path, record.bin_bytes), (self.idx_path, record.idx_bytes)):
            if not os.path.isfile(path):
                raise CorruptStreamError(f"stream file {path} is missing")
            got = os.path.getsize(path)
            if got != want:
                raise CorruptStreamError(f"stream file {path} has {got} bytes, the manifest recorded {want}")
        if record.bin_bytes != record.tokens * dtype.itemsize or record.idx_bytes != (record.documents + 1) * 8:
            raise CorruptStreamError(f"manifest record of {self.bin_path} is inconsistent with dtype {dtype}")
        if verify == "sha256":
            for path, want in ((self.bin_path, record.bin_sha256), (self.idx_path, record.idx_sha256)):
                got, _ = sha256_file(path)
                if got != want:
                    raise CorruptStreamError(f"stream file {path} has sha256 {got}, the manifest recorded {want}")
        self.offsets = np.fromfile(self.idx_path, dtype="<i8")  # (n_docs + 1,)
        if self.offsets[0] != 0 or self.offsets[-1] != record.tokens or np.any(np.diff(self.offsets) < 0):
            raise CorruptStreamError(f"stream index {self.idx_path} does not describe {self.bin_path}")
        self.dtype = dtype
        self._tokens: np.ndarray | None = None

    @property
    def tokens(self) -> np.ndarray:
        """(n_tokens,) memmap, opened on first use: a dataset of thousands of shards holds no file
        descriptors until it reads them, and a worker forked before the first read maps its own."""
        if self._tokens is None:
            # An empty file cannot be memmapped; an empty stream is a valid (if useless) shard.
            self._tokens = (
                np.memmap(self.bin_path, dtype=self.dtype, mode="r", shape=(self.record.tokens,))
                if self.record.tokens
                else np.zeros(0, dtype=self.dtype)
            )
        return self._tokens

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def document(self, i: int) -> np.ndarray:
        """Token ids of document i (a view into the memmap)."""
        return self.tokens[self.offsets[i] : self.offsets[i + 1]]
