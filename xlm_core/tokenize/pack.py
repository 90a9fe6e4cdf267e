"""Packing documents into fixed-length training samples, fairseq `--sample-break-mode complete` style.

A sample is `<s>` followed by up to `seq_len - 1` stream tokens. Streams already end every
document with `</s>`, so whole documents are laid back to back inside a sample and a sample
starts at a document boundary whenever it can:
  * documents are added while they fit (`<s> d1 </s> d2 </s> ...`), then a new sample starts;
  * a document longer than `seq_len - 1` is cut into full-length pieces, and its tail opens the
    next sample, which then goes on with the following documents (fairseq would emit an
    over-long block instead; we keep every sample <= seq_len).
Samples never cross a shard, so one sample is one contiguous slice of one memmap: O(1) reads."""

from __future__ import annotations

import numpy as np


def pack_spans(offsets: np.ndarray, seq_len: int) -> np.ndarray:
    """(n_samples, 2) int64 [start, end) token spans of the samples of one stream.

    `offsets` (n_docs + 1,) are the stream's document offsets; spans index the stream tokens and
    exclude the `<s>` that the reader prepends."""
    if seq_len < 2:
        raise ValueError(f"seq_len must be >= 2 (room for <s> and one token), got {seq_len}")
    budget = seq_len - 1
    spans: list[tuple[int, int]] = []
    cur_start = cur_end = int(offsets[0]) if len(offsets) else 0
    # Plain ints: the loop is per document, and numpy scalars would make it several times slower.
    for end in offsets[1:].tolist():
        n = end - cur_end
        if cur_end - cur_start + n <= budget:
            cur_end = end
            continue
        if cur_end > cur_start:
            spans.append((cur_start, cur_end))
        start = cur_end
        while end - start > budget:  # an over-long document: full pieces, the tail stays open
            spans.append((start, start + budget))
            start += budget
        cur_start, cur_end = start, end
    if cur_end > cur_start:
        spans.append((cur_start, cur_end))
    return np.asarray(spans, dtype=np.int64).reshape(-1, 2)


def pack_file(stream_name: str, seq_len: int) -> str:
    """Where the spans of a stream for `seq_len` are cached: `de/part-00000.pack512`."""
    return f"{stream_name}.pack{seq_len}"


def write_pack(root: str, stream_name: str, offsets: np.ndarray, seq_len: int) -> dict:
    """Compute and store the spans (raw little-endian int64, (n_samples, 2)) so readers do not redo
    the O(n_docs) packing loop at every start; returns the manifest record of the file."""
    import hashlib

    from xlm_core.io import atomic_open

    spans = np.ascontiguousarray(pack_spans(offsets, seq_len), dtype="<i8")
    rel = pack_file(stream_name, seq_len)
    with atomic_open(f"{root}/{rel}", "wb") as f:
        f.write(spans.data)
    return {
        "seq_len": seq_len,
        "path": rel,
        "samples": len(spans),
        "bytes": spans.nbytes,
        "sha256": hashlib.sha256(spans.data).hexdigest(),
    }
