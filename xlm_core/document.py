"""The unit that flows through the data stages: one document, one Parquet row."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pyarrow as pa

SOURCES = ("wikipedia", "commoncrawl", "parallel")

# Fixed Arrow schema of every shard (and of the per-input unit files). Column order is part of
# the on-disk contract: byte-identical rebuilds depend on it.
SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("language", pa.string(), nullable=False),
        pa.field("lang_score", pa.float32()),
        pa.field("source", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("title", pa.string()),
        pa.field("dump", pa.string()),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("offset", pa.int64()),
        pa.field("date", pa.string()),
        pa.field("quality", pa.float32()),
        pa.field("dup_cluster", pa.int64()),
    ]
)


def document_id(source: str, source_id: str) -> str:
    """Stable id: the same record of the same source always gets the same id, on any machine."""
    return hashlib.sha1(f"{source}\x00{source_id}".encode()).hexdigest()


@dataclass(slots=True)
class Document:
    """One document. `language` is the dump's language for Wikipedia and the predicted one
    for web text (empty until language ID ran); `offset` locates the record in `source_file`
    (byte offset of the WARC record / ordinal of the wiki page)."""

    id: str
    text: str
    source: str
    source_file: str
    language: str = ""
    lang_score: float | None = None
    url: str | None = None
    title: str | None = None
    dump: str | None = None
    offset: int | None = None
    date: str | None = None
    quality: float | None = None
    dup_cluster: int | None = None
    # Stage-local scratch (not written to Parquet), e.g. the LID's top label.
    meta: dict = field(default_factory=dict)


def to_table(docs: list[Document]) -> pa.Table:
    """Documents to an Arrow table with the fixed schema."""
    cols = {name: [getattr(d, name) for d in docs] for name in SCHEMA.names}
    return pa.Table.from_pydict(cols, schema=SCHEMA)


def from_table(table: pa.Table) -> list[Document]:
    """Arrow rows (any column order, schema names) back to Documents."""
    rows = table.select(SCHEMA.names).to_pylist()
    return [Document(**row) for row in rows]
