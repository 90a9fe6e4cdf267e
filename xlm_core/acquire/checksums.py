"""Digests of local files, and the check of a file against published size and digests."""

from __future__ import annotations

import hashlib
import os
import re

from .errors import ChecksumMismatch, SizeMismatch

ALGORITHMS = ("md5", "sha1", "sha256")
_HEX_LEN = {"md5": 32, "sha1": 40, "sha256": 64}


def normalise_checksums(checksums: dict[str, str] | None) -> dict[str, str]:
    """Lower-case the names and digests; reject unknown algorithms and malformed hex early,
    before any byte is transferred."""
    out: dict[str, str] = {}
    for algo, digest in (checksums or {}).items():
        algo = algo.lower()
        if algo not in ALGORITHMS:
            raise ValueError(f"checksum algorithm {algo!r} is not supported: use one of {ALGORITHMS}")
        digest = digest.strip().lower()
        if not re.fullmatch(rf"[0-9a-f]{{{_HEX_LEN[algo]}}}", digest):
            raise ValueError(f"{algo} checksum {digest!r} is not {_HEX_LEN[algo]} hex digits")
        out[algo] = digest
    return out


def hash_file(
    path: str, algorithms: tuple[str, ...], chunk_size: int = 1 << 20
) -> tuple[int, dict[str, str]]:
    """(size, {algorithm: hex digest}) of a local file, in one streamed pass."""
    hashers = {a: hashlib.new(a) for a in algorithms}
    size = 0
    with open(path, "rb") as f:
        while block := f.read(chunk_size):
            size += len(block)
            for h in hashers.values():
                h.update(block)
    return size, {a: h.hexdigest() for a, h in hashers.items()}


def verify_file(
    path: str,
    *,
    uri: str,
    expected_size: int | None,
    checksums: dict[str, str],
    chunk_size: int = 1 << 20,
) -> tuple[int, dict[str, str]]:
    """Hash `path` (sha256 always, plus every published algorithm) and compare with what was
    published. Returns (size, digests); raises SizeMismatch / ChecksumMismatch."""
    # Size first: it is free, and a wrong size makes hashing a multi-GB file pointless.
    actual_size = os.path.getsize(path)
    if expected_size is not None and actual_size != expected_size:
        raise SizeMismatch(uri=uri, path=path, expected=expected_size, actual=actual_size)
    algorithms = tuple(sorted(set(checksums) | {"sha256"}))
    size, digests = hash_file(path, algorithms, chunk_size)
    for algo, expected in sorted(checksums.items()):
        if digests[algo] != expected:
            raise ChecksumMismatch(
                uri=uri, path=path, algorithm=algo, expected=expected, actual=digests[algo]
            )
    return size, digests
