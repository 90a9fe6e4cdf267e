"""Size-rotated Parquet shards with the fixed schema: `{lang_dir}/part-00000.parquet`, ..."""

from __future__ import annotations

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
    """Accepts record batches of one language in order; cuts shards at `max_bytes` of text."""

    def __init__(self, version_dir: str, language: str, config: ShardConfig):
        self.version_dir, self.language, self.config = version_dir, language, config
        self._pending: list[pa.Table] = []
        self._pending_bytes = 0
        self.records: list[ShardRecord] = []

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        sizes = pc.binary_length(table.column("text")).to_numpy(zero_copy_only=False)
        start = 0
        for i, size in enumerate(sizes):
            self._pending_bytes += int(size)
            if self._pending_bytes >= self.config.max_bytes:
                self._pending.append(table.slice(start, i + 1 - start))
                start = i + 1
                self._flush()
        if start < table.num_rows:
            self._pending.append(table.slice(start))

    def close(self) -> list[ShardRecord]:
        if self._pending:
            self._flush()
        return self.records

    def _flush(self) -> None:
        rel = f"{self.language}/part-{len(self.records):05d}.parquet"
        uri = join(self.version_dir, rel)
        table = pa.concat_tables(self._pending).combine_chunks()
        write_parquet(uri, table, self.config)
        digest, size = sha256_file(uri)
        self.records.append(ShardRecord(rel, self.language, table.num_rows, size, digest))
        self._pending, self._pending_bytes = [], 0
