"""Exclusion Parquet for `keep_dropped: true`: the dropped documents, the Document schema plus a
`reason` column, written atomically when the sink closes."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from ..document import SCHEMA, Document, to_table
from ..io import atomic_open

DROPPED_SCHEMA = SCHEMA.append(pa.field("reason", pa.string(), nullable=False))


class DroppedWriter:
    """A `dropped_sink` for apply_filters: `with DroppedWriter(uri) as sink: apply_filters(..., sink)`.
    Buffers `batch_rows` documents per row group, so memory is bounded by one batch."""

    def __init__(self, uri: str, batch_rows: int = 1024):
        self.uri, self.batch_rows = uri, batch_rows
        self._buf: list[tuple[Document, str]] = []

    def __enter__(self) -> "DroppedWriter":
        self._ctx = atomic_open(self.uri, "wb")
        self._writer = pq.ParquetWriter(self._ctx.__enter__(), DROPPED_SCHEMA, compression="zstd")
        return self

    def __call__(self, doc: Document, reason: str) -> None:
        self._buf.append((doc, reason))
        if len(self._buf) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._buf:
            return
        table = to_table([d for d, _ in self._buf])
        table = table.append_column("reason", pa.array([r for _, r in self._buf], pa.string()))
        self._writer.write_table(table.cast(DROPPED_SCHEMA))
        self._buf.clear()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._flush()
        self._writer.close()
        self._ctx.__exit__(exc_type, exc, tb)
