"""Inputs, outputs and groups shared by the dedup stages.

A stage reads an ordered list of *sources*: Parquet files with the Document SCHEMA (an input
unit's documents, several languages in single-language row groups, or a previous stage's output,
one language). A source's position in that list is its *rank*; rows are addressed by their
absolute row number in the source, so a document's global key is `node = rank << 32 | row`
(uint64) and sorting nodes sorts by (source, row): "first occurrence" for every dedup decision.

Sources are split into contiguous *groups* (one task each) and hashes into *partitions* (one task
per slice of them); files per stage are groups × partitions, whatever the corpus size."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..document import SCHEMA
from ..io import atomic_open, fs_and_path, is_local, join

WRITE_ROWS = 2_048  # rows buffered per language before a row group is written


def group_bounds(n: int, groups: int) -> list[int]:
    """Start rank of each of min(n, groups) contiguous groups of n sources, plus n at the end."""
    g = max(1, min(n, groups))
    return [i * n // g for i in range(g)] + [n]


def group_name(g: int) -> str:
    return f"group-{g:05d}"


def part_name(p: int) -> str:
    return f"part-{p:05d}"


def _row_groups_of(pf: pq.ParquetFile, language: str | None) -> tuple[list[int], list[int]]:
    """(row groups to read, their first absolute row). Row groups whose language statistics
    exclude `language` are skipped without being read (units write single-language groups)."""
    meta = pf.metadata
    col = pf.schema_arrow.get_field_index("language")
    keep, starts, start = [], [], 0
    for i in range(meta.num_row_groups):
        rg = meta.row_group(i)
        stats = rg.column(col).statistics
        if language is None or stats is None or not stats.has_min_max or stats.min <= language <= stats.max:
            keep.append(i)
            starts.append(start)
        start += rg.num_rows
    return keep, starts


def iter_unit_batches(unit_path: str, language: str | None, batch_rows: int,
                      columns: list[str] | None = None) -> Iterator[tuple[np.ndarray, pa.Table]]:
    """(rows, table) per batch: absolute row numbers (int64, shape (n,)) and the rows of
    `language` (every row when None). Memory: one batch."""
    fs, path = fs_and_path(unit_path)
    with fs.open(path, "rb") as f:
        pf = pq.ParquetFile(f)
        cols = None if columns is None else list(dict.fromkeys([*columns, "language"]))
        groups, starts = _row_groups_of(pf, language)
        for rg, start in zip(groups, starts):
            for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[rg], columns=cols):
                table = pa.Table.from_batches([batch])
                if language is None:
                    rows = np.arange(start, start + table.num_rows)
                else:
                    mask = pc.equal(table["language"], language)
                    rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False)) + start
                    table = table.filter(mask)
                start += batch.num_rows
                if len(rows):
                    yield rows, table


def language_index(table: pa.Table, languages: list[str]) -> np.ndarray:
    """Position of each row's language in `languages`, (n,) int64 (-1: not a wanted language)."""
    idx = pc.index_in(table["language"], value_set=pa.array(languages))
    return pc.fill_null(idx, -1).to_numpy(zero_copy_only=False).astype(np.int64)


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


class PartitionWriter:
    """Streams numpy columns into one Arrow IPC file per hash partition
    (`{stage_dir}/part-<p>/<name>.arrow`), batch by batch: memory is one batch, not one group."""

    def __init__(self, stage_dir: str, name: str, partitions: int, schema: pa.Schema):
        self.stage_dir, self.name, self.partitions, self.schema = stage_dir, name, partitions, schema
        self._stack = contextlib.ExitStack()
        self._writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}

    def write(self, part: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        order = np.argsort(part, kind="stable")
        part = part[order]
        cols = [np.asarray(columns[f.name])[order] for f in self.schema]  # sorted once, sliced per partition
        bounds = np.searchsorted(part, np.arange(self.partitions + 1, dtype=part.dtype))
        for p in np.unique(part).tolist():
            a, b = bounds[p], bounds[p + 1]
            batch = pa.record_batch([pa.array(c[a:b], f.type) for c, f in zip(cols, self.schema)],
                                    schema=self.schema)
            self._writer(p).write_batch(batch)

    def _writer(self, p: int):
        if p not in self._writers:
            f = self._stack.enter_context(atomic_open(join(self.stage_dir, part_name(p), f"{self.name}.arrow")))
            self._writers[p] = self._stack.enter_context(pa.ipc.new_file(f, self.schema))
        return self._writers[p]

    def close(self) -> None:
        self._stack.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # An exception inside: close the temp files without publishing them.
        if exc[0] is not None:
            self._stack.__exit__(*exc)
        else:
            self.close()
        return False


def read_partition(stage_dir: str, p: int) -> dict[str, np.ndarray]:
    """Every group's file of partition `p`, concatenated (one listing of the partition folder)."""
    files = glob(join(stage_dir, part_name(p), "*.arrow"))
    parts = [read_arrays(f) for f in files]
    if not parts:
        return {}
    return {k: np.concatenate([a[k] for a in parts]) for k in parts[0]}


class LanguageWriter:
    """A stage's output for one group: `{out_dir}/{lang}/group-<g>.parquet` per wanted language
    (written even when empty, so the next stage's sources are known from the group alone), rows in
    input order, row groups of WRITE_ROWS rows; each file atomic."""

    def __init__(self, out_dir: str, group: int, languages: list[str]):
        self.files = {lang: join(out_dir, lang, f"{group_name(group)}.parquet") for lang in languages}
        self._stack = contextlib.ExitStack()
        self._writers = {}
        self._buffers: dict[str, list[pa.Table]] = {lang: [] for lang in languages}
        self._rows = dict.fromkeys(languages, 0)
        for lang, uri in self.files.items():
            f = self._stack.enter_context(atomic_open(uri, "wb"))
            self._writers[lang] = pq.ParquetWriter(f, SCHEMA, compression="zstd")

    def write(self, language: str, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self._buffers[language].append(table.select(SCHEMA.names).cast(SCHEMA))
        self._rows[language] += table.num_rows
        if self._rows[language] >= WRITE_ROWS:
            self._flush(language)

    def _flush(self, language: str) -> None:
        if self._buffers[language]:
            self._writers[language].write_table(pa.concat_tables(self._buffers[language]))
        self._buffers[language], self._rows[language] = [], 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            for lang, w in self._writers.items():
                self._flush(lang)
                w.close()
        self._stack.__exit__(*exc)
        return False

