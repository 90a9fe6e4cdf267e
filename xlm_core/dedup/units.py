"""Unit files, stage files and completion markers shared by the dedup stages.

A *unit* is one Parquet file with the Document SCHEMA (several languages). Rows are addressed by
their absolute row number in the unit; units are ordered by `unit_index` (as given by the flow)
and then by path, which defines "first occurrence" for every dedup decision. A document's global
key is `node = unit_rank << 32 | row` (uint64), so sorting nodes sorts by (unit, row)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

from ..document import SCHEMA
from ..io import atomic_open, exists, fs_and_path, is_local, join, read_json, write_json

UNIT_MARKER = "_SUCCESS.json"
STATS_KEY = b"xlm.dedup.stats"


def unit_id(unit_path: str) -> str:
    """Stable directory name of a unit in the stage folders."""
    return xxhash.xxh64_hexdigest(unit_path.encode())


def iter_unit_batches(unit_path: str, language: str, batch_rows: int,
                      columns: list[str] | None = None) -> Iterator[tuple[np.ndarray, pa.Table]]:
    """(rows, table) per batch: absolute row numbers (int64, shape (n,)) and the rows of `language`."""
    fs, path = fs_and_path(unit_path)
    start = 0
    with fs.open(path, "rb") as f:
        pf = pq.ParquetFile(f)
        cols = None if columns is None else list(dict.fromkeys([*columns, "language"]))
        for batch in pf.iter_batches(batch_size=batch_rows, columns=cols):
            table = pa.Table.from_batches([batch])
            mask = pc.equal(table["language"], language)
            rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False)) + start
            start += table.num_rows
            if len(rows):
                yield rows, table.filter(mask)


def write_arrays(uri: str, arrays: dict[str, np.ndarray], meta: dict | None = None) -> None:
    """Numpy columns to an Arrow IPC file (atomic); `meta` goes into the schema metadata."""
    table = pa.table({k: pa.array(v) for k, v in arrays.items()})
    if meta:
        table = table.replace_schema_metadata({b"meta": json.dumps(meta).encode()})
    with atomic_open(uri, "wb") as f, pa.ipc.new_file(f, table.schema) as w:
        w.write_table(table)


def read_arrays(uri: str) -> dict[str, np.ndarray]:
    """Columns of an Arrow IPC file as numpy; local files are memory-mapped (zero copy)."""
    if is_local(uri):
        table = pa.ipc.open_file(pa.memory_map(fs_and_path(uri)[1])).read_all()
    else:
        fs, path = fs_and_path(uri)
        with fs.open(path, "rb") as f:
            table = pa.ipc.open_file(pa.BufferReader(f.read())).read_all()
    return {name: table[name].combine_chunks().to_numpy(zero_copy_only=False) for name in table.column_names}


def glob(uri_pattern: str) -> list[str]:
    fs, path = fs_and_path(uri_pattern)
    found = sorted(fs.glob(path))
    if is_local(uri_pattern):
        return found
    proto = uri_pattern.split("://", 1)[0]
    return [f"{proto}://{p}" for p in found]


def write_unit_marker(stage_dir: str, unit_path: str, unit_index: int | None, **info) -> None:
    write_json(join(stage_dir, unit_id(unit_path), UNIT_MARKER),
               {"unit_path": unit_path, "unit_index": unit_index, **info})


def unit_done(stage_dir: str, unit_path: str) -> bool:
    return exists(join(stage_dir, unit_id(unit_path), UNIT_MARKER))


def ranked_units(stage_dir: str) -> list[dict]:
    """Markers of all finished units of a signature folder in (unit_index, path) order; the
    position in this list is the unit rank used in node keys."""
    # List unit folders, then read each marker: a glob over "*/_SUCCESS.json" would stat every
    # partition file of every unit.
    fs, path = fs_and_path(stage_dir)
    dirs = sorted(fs.ls(path, detail=False)) if fs.exists(path) else []
    names = [d.rstrip("/").rsplit("/", 1)[-1] for d in dirs]
    markers = [read_json(m) for m in (join(stage_dir, n, UNIT_MARKER) for n in names) if exists(m)]
    markers.sort(key=lambda m: (m["unit_index"] is None, m["unit_index"] or 0, m["unit_path"]))
    for rank, m in enumerate(markers):
        m["rank"], m["uid"] = rank, unit_id(m["unit_path"])
    return markers


def write_shard(out_path: str, tables: Iterator[pa.Table], stats: Counter) -> Counter:
    """Write `tables` (SCHEMA) to one zstd Parquet file atomically; `stats` is filled while the
    iterator runs and stored in the file metadata so a skipped re-run returns the same counters."""
    with atomic_open(out_path, "wb") as f:
        writer = None
        for t in tables:
            t = t.select(SCHEMA.names).cast(SCHEMA)
            if writer is None:
                writer = pq.ParquetWriter(f, SCHEMA, compression="zstd")
            writer.write_table(t)
        if writer is None:  # no rows: still a valid, empty file
            writer = pq.ParquetWriter(f, SCHEMA, compression="zstd")
        writer.add_key_value_metadata({STATS_KEY: json.dumps(dict(sorted(stats.items())))})
        writer.close()
    return stats


def shard_stats(out_path: str) -> Counter:
    """Counters stored by write_shard (for idempotent skips)."""
    fs, path = fs_and_path(out_path)
    with fs.open(path, "rb") as f:
        meta = pq.ParquetFile(f).metadata.metadata or {}
    return Counter(json.loads(meta.get(STATS_KEY, b"{}")))
