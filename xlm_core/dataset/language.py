"""Second half of the build, one language at a time: the language's documents from every unit, in
input order, (deduplicated) -> size-rotated shards in the dataset version directory."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from xlm_core.dataset.layout import BuildLayout
from xlm_core.dataset.unit import UnitResult
from xlm_core.io import exists, fs_and_path, read_json, write_json
from xlm_core.shards.writer import ShardConfig, ShardRecord, ShardWriter


@dataclass(frozen=True, slots=True)
class LanguageResult:
    language: str
    shards: list[dict]  # ShardRecord as dicts
    documents: int
    characters: int
    counters: dict[str, dict[str, int]]  # e.g. {"dedup_exact": {...}, "dedup_minhash": {...}}
    reused: bool = False


def write_language(
    language: str,
    units: list[UnitResult],
    spec,
    layout: BuildLayout,
    version: str,
) -> LanguageResult:
    marker = layout.language_marker(version, language)
    if exists(marker):
        return LanguageResult(**read_json(marker), reused=True)
    paths = [u.files[language] for u in units if language in u.files]
    counters: dict[str, dict[str, int]] = {}
    dedup = spec.section("dedup")
    if paths and dedup:
        from xlm_core.dataset.dedup import deduplicate

        paths, counters = deduplicate(paths, language, dedup, layout, version)

    writer = ShardWriter(layout.version_dir(version), language, ShardConfig.from_spec(spec.section("shards")))
    documents = characters = 0
    for path in paths:
        fs, p = fs_and_path(path)
        with fs.open(p, "rb") as f:
            for batch in pq.ParquetFile(f).iter_batches(batch_size=10_000):
                table = pa.Table.from_batches([batch])
                documents += table.num_rows
                characters += pc.sum(pc.utf8_length(table.column("text"))).as_py() or 0
                writer.write(table)
    shards: list[ShardRecord] = writer.close()
    result = LanguageResult(
        language=language,
        shards=[asdict(s) for s in shards],
        documents=documents,
        characters=characters,
        counters=counters,
    )
    payload = asdict(result)
    payload.pop("reused")
    write_json(marker, payload)
    return result
