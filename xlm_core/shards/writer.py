"""Size-rotated Parquet shards with the fixed schema: `{lang_dir}/part-00000.parquet`, ..."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from xlm_core.document import SCHEMA
from xlm_core.io import atomic_open, join, sha256_file


@dataclass(kw_only=True, frozen=True, slots=True)
class ShardConfig:
    max_bytes: int = 128 * 1024 * 1024
    """Rotate once the UTF-8 text written to the current shard exceeds this."""
    row_group_rows: int = 10_000
    """Rows per Parquet row group (the unit of parallel reads)."""
    compression_level: int = 3
    """zstd level."""

    @classmethod
    def from_spec(cls, section: dict) -> "ShardConfig":
        return cls(**section)


@dataclass(frozen=True, slots=True)
class ShardRecord:
    path: str  # relative to the dataset version directory
    language: str
    rows: int
    bytes: int
    sha256: str


def write_parquet(uri: str, table: pa.Table, config: ShardConfig) -> None:
    """One atomic Parquet file. No timestamps or writer-specific paths go in, so equal tables
    give equal bytes (for the same pyarrow version)."""
    with atomic_open(uri, "wb") as f:
        pq.write_table(
            table.cast(SCHEMA),
            f,
            compression="zstd",
            compression_level=config.compression_level,
            row_group_size=config.row_group_rows,
            write_statistics=True,
        )


class ShardWriter:
    """Accepts tables of one language in order; cuts shards at `max_bytes` of text. Streams: a
    row group is written as soon as it has `row_group_rows` rows (or `_ROW_GROUP_BYTES` of text),
    so memory is one row group, not one shard. Each shard is atomic (temp name until closed)."""

    _ROW_GROUP_BYTES = 32 * 1024 * 1024

    def __init__(self, version_dir: str, language: str, config: ShardConfig, prefix: str = "part"):
        self.version_dir, self.language, self.config, self.prefix = version_dir, language, config, prefix
        self.records: list[ShardRecord] = []
        self._pending: list[pa.Table] = []
        self._pending_rows = self._pending_bytes = 0
        self._shard_rows = self._shard_bytes = 0
        self._stack: contextlib.ExitStack | None = None
        self._writer: pq.ParquetWriter | None = None
        self._rel = ""

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        table = table.select(SCHEMA.names).cast(SCHEMA)
        sizes = pc.binary_length(table.column("text")).to_numpy(zero_copy_only=False)
        start = 0
        for i, size in enumerate(sizes.tolist()):
            self._pending_rows += 1
            self._pending_bytes += size
            self._shard_bytes += size
            end_shard = self._shard_bytes >= self.config.max_bytes
            if end_shard or self._pending_rows >= self.config.row_group_rows or self._pending_bytes >= self._ROW_GROUP_BYTES:
                self._pending.append(table.slice(start, i + 1 - start))
                start = i + 1
                self._write_row_group()
                if end_shard:
                    self._close_shard()
        if start < table.num_rows:
            self._pending.append(table.slice(start))

    def close(self) -> list[ShardRecord]:
        if self._pending:
            self._write_row_group()
        if self._writer is not None:
            self._close_shard()
        return self.records

    def abort(self) -> None:
        """Drop the shard being written (nothing appears under its name)."""
        if self._stack is not None:
            self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)
            self._stack = self._writer = None

    def _write_row_group(self) -> None:
        if self._writer is None:
            self._rel = f"{self.language}/{self.prefix}-{len(self.records):05d}.parquet"
            self._stack = contextlib.ExitStack()
            f = self._stack.enter_context(atomic_open(join(self.version_dir, self._rel), "wb"))
            self._writer = pq.ParquetWriter(f, SCHEMA, compression="zstd",
                                            compression_level=self.config.compression_level, write_statistics=True)
        table = pa.concat_tables(self._pending).combine_chunks()
        self._writer.write_table(table, row_group_size=table.num_rows)
        self._shard_rows += table.num_rows
        self._pending, self._pending_rows, self._pending_bytes = [], 0, 0

    def _close_shard(self) -> None:
        self._writer.close()
        self._stack.close()  # atomic_open publishes the shard under its final name
        uri = join(self.version_dir, self._rel)
        digest, size = sha256_file(uri)
        self.records.append(ShardRecord(self._rel, self.language, self._shard_rows, size, digest))
        self._stack = self._writer = None
        self._shard_rows = self._shard_bytes = 0
