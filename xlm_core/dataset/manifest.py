"""Last step of the build: the manifest, from the unit and language results."""

from __future__ import annotations

from collections import Counter

from xlm_core.dataset.layout import BuildLayout
from xlm_core.dataset.stages import LanguageResult
from xlm_core.dataset.unit import UnitResult
from xlm_core.shards.manifest import build_manifest, code_version, dataset_version, write_manifest
from xlm_core.shards.writer import ShardRecord


def version_of(spec, units: list[UnitResult]) -> str:
    return dataset_version(spec.content_sha256, [u.input["sha256"] for u in units], code_version())


def summarize_counters(units: list[UnitResult], stage_counters: dict) -> dict[str, dict[str, int]]:
    totals: dict[str, Counter] = {}
    for u in units:
        for stage, counts in u.counters.items():
            totals.setdefault(stage, Counter()).update(counts)
    for stage, counts in stage_counters.items():
        totals.setdefault(stage, Counter()).update(counts)
    return {stage: dict(sorted(c.items())) for stage, c in totals.items()}


def warnings_of(spec, units: list[UnitResult], langs: list[LanguageResult]) -> list[str]:
    """Things a person must see: a source that produced nothing, a language left empty."""
    out = []
    by_source: dict[int, int] = {}
    for i, u in enumerate(units):
        src = u.input.get("source_index", i)
        by_source[src] = by_source.get(src, 0) + sum(t["documents"] for t in u.languages.values())
    for src, n in sorted(by_source.items()):
        if n == 0:
            s = spec.data["sources"][src]
            out.append(f"sources[{src}] ({s['type']}) yielded 0 documents in the wanted languages")
    got = {lr.language for lr in langs if lr.documents}
    for lang in spec.languages:
        if lang not in got:
            out.append(f"languages: {lang!r} has no documents")
    return out


def finalize(spec, layout: BuildLayout, units: list[UnitResult], langs: list[LanguageResult],
             stage_counters: dict | None = None) -> dict:
    """Write `manifest.json` and return it. Refuses to write a dataset with no documents at all."""
    stage_counters = stage_counters or {}
    if not any(lr.documents for lr in langs):
        raise ValueError(
            f"spec {spec.path}: the build produced no documents "
            f"(counters: {summarize_counters(units, stage_counters)})"
        )
    version = version_of(spec, units)
    shards = [ShardRecord(**s) for lr in sorted(langs, key=lambda r: r.language) for s in lr.shards]
    manifest = build_manifest(
        spec=spec.dataset_data,
        spec_sha256=spec.dataset_sha256,
        code=code_version(),
        version=version,
        inputs=[u.input for u in units],
        shards=shards,
        counters=summarize_counters(units, stage_counters),
        languages={
            lr.language: {
                "documents": lr.documents,
                "characters": lr.characters,
                "shards": len(lr.shards),
                "bytes": sum(s["bytes"] for s in lr.shards),
            }
            for lr in sorted(langs, key=lambda r: r.language)
        },
    )
    manifest["warnings"] = warnings_of(spec, units, langs)
    excluded = [{"input": u.input["uri"], "path": u.dropped} for u in units if u.dropped]
    if excluded:
        # filters.keep_dropped: where the documents the filters removed are, with their reason
        manifest["excluded"] = excluded
    write_manifest(layout.version_dir(version), manifest)
    return manifest
