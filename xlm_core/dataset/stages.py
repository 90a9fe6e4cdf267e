"""Second half of the build: dedup and shard writing as stages of independent steps.

Every stage is a list of steps that may run in any order and in parallel (Prefect tasks, Dask
workers); a stage starts when the previous one has finished. A step is either a *group* (a
contiguous range of the stage's sources, all languages at once) or a *slice* of hash partitions.
Their number is `execution.tasks` at most, whatever the corpus size:

  exact-signatures   group   -> exact/signatures/part-<p>/group-<g>.arrow
  exact-duplicates   slice   -> exact/duplicates/part-<p>/group-<g>.arrow
  exact-remove       group   -> exact/out/<lang>/group-<g>.parquet          (next stage's sources)
  minhash-signatures group   -> minhash/signatures/...
  minhash-buckets    slice   -> minhash/buckets/part-<p>.arrow
  minhash-clusters   slice   -> minhash/clusters/...   (repeated until no label changes)
  minhash-remove     group   -> minhash/out/<lang>/group-<g>.parquet
  shards             group   -> <version>/<lang>/part-<g>-<k>.parquet

The plan (sources, groups, directories, settings) is decided before the first step from the unit
results alone and written once to `plan.json`; steps read it, and pass back small results."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import asdict, dataclass

import pyarrow.compute as pc

from xlm_core.dataset.layout import BuildLayout
from xlm_core.dataset.unit import UnitResult
from xlm_core.dedup import DedupConfig, exact, minhash
from xlm_core.dedup import clusters as mh_clusters
from xlm_core.dedup.units import group_bounds, group_name, iter_unit_batches
from xlm_core.io import join, read_json, write_json
from xlm_core.shards.writer import ShardConfig, ShardWriter
from xlm_core.steps import StepMarkers

DEFAULT_TASKS = 32


def tasks_of(spec) -> int:
    """`execution.tasks`: steps per stage at most (input groups, source groups, partition slices)."""
    return spec.section("execution").get("tasks", DEFAULT_TASKS)


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    kind: str  # "group" | "slice" | "rounds" (slices repeated until converged)
    steps: int


@dataclass(frozen=True, slots=True)
class LanguageResult:
    language: str
    shards: list[dict]  # ShardRecord as dicts, in dataset order
    documents: int
    characters: int


def _sources_after(out_dir: str, groups: int, languages: list[str]) -> list[str]:
    """A remove stage's outputs in (group, language) order: within a language, group order is the
    order of the previous sources, so "first occurrence" is kept through the stages."""
    return [join(out_dir, lang, f"{group_name(g)}.parquet") for g in range(groups) for lang in languages]


def make_plan(spec, layout: BuildLayout, units: list[UnitResult], version: str) -> dict:
    """Decide every stage of `version`'s dedup and shard writing; JSON-able."""
    languages = sorted(spec.languages)
    tasks = tasks_of(spec)
    config = DedupConfig.from_spec(spec.section("dedup")) if spec.section("dedup") else None
    work = join(layout.dataset_dir, "_work", "versions", version)
    sources = list(dict.fromkeys(f for u in units for f in u.files.values()))  # one file per unit
    stages, dirs = [], {}

    def groups_of(n):
        return len(group_bounds(n, tasks)) - 1

    if config and config.exact.enabled and sources:
        g = groups_of(len(sources))
        d = dirs["exact"] = {k: join(work, "exact", k) for k in ("signatures", "duplicates", "out")}
        d["sources"], d["bounds"] = sources, group_bounds(len(sources), tasks)
        slices = min(tasks, config.exact.partitions)
        stages += [Stage("exact-signatures", "group", g), Stage("exact-duplicates", "slice", slices),
                   Stage("exact-remove", "group", g)]
        sources = _sources_after(d["out"], g, languages)
    if config and config.minhash.enabled and sources:
        g = groups_of(len(sources))
        d = dirs["minhash"] = {k: join(work, "minhash", k) for k in ("signatures", "buckets", "clusters", "out")}
        d["sources"], d["bounds"] = sources, group_bounds(len(sources), tasks)
        slices = min(tasks, config.minhash.partitions)
        stages += [Stage("minhash-signatures", "group", g), Stage("minhash-buckets", "slice", slices),
                   Stage("minhash-clusters", "rounds", slices), Stage("minhash-remove", "group", g)]
        sources = _sources_after(d["out"], g, languages)
    shards = dirs["shards"] = {"markers": join(work, "shards"), "sources": sources,
                               "bounds": group_bounds(len(sources), tasks)}
    stages.append(Stage("shards", "group", len(shards["bounds"]) - 1))
    return {"version": version, "version_dir": layout.version_dir(version), "languages": languages,
            "tasks": tasks, "dedup": spec.section("dedup"), "shards_config": spec.section("shards"),
            "dirs": dirs, "stages": [asdict(s) for s in stages]}


def write_plan(spec, layout: BuildLayout, units: list[UnitResult], version: str) -> str:
    plan = make_plan(spec, layout, units, version)
    uri = join(layout.dataset_dir, "_work", "versions", version, "plan.json")
    write_json(uri, plan)
    return uri


@functools.lru_cache(maxsize=4)
def load_plan(uri: str) -> dict:
    return read_json(uri)


def stages_of(plan_uri: str) -> list[Stage]:
    return [Stage(**s) for s in load_plan(plan_uri)["stages"]]


def _slice(total: int, slices: int, i: int) -> range:
    b = group_bounds(total, slices)
    return range(b[i], b[i + 1])


def _group(d: dict, g: int) -> list[tuple[int, str]]:
    lo, hi = d["bounds"][g], d["bounds"][g + 1]
    return [(r, d["sources"][r]) for r in range(lo, hi)]


def run_stage_step(plan_uri: str, stage: str, step: int, round_no: int = 0):
    """Run step `step` of `stage` (idempotent: a finished step returns its stored result). Returns
    a small JSON-able result; for `minhash-clusters`, the number of labels changed in `round_no`."""
    plan = load_plan(plan_uri)
    langs, config = plan["languages"], DedupConfig.from_spec(plan["dedup"] or {})
    n_slices = next(s["steps"] for s in plan["stages"] if s["name"] == stage)
    if stage.startswith("exact-"):
        d, cfg = plan["dirs"]["exact"], config.exact
        if stage == "exact-signatures":
            return exact.exact_signatures(step, _group(d, step), langs, d["signatures"], cfg)
        if stage == "exact-duplicates":
            return sum(exact.exact_find_duplicates(p, d["signatures"], d["duplicates"], d["bounds"], cfg)
                       for p in _slice(cfg.partitions, n_slices, step))
        return exact.exact_remove(step, _group(d, step), langs, d["duplicates"], d["out"], cfg)["stats"]
    if stage.startswith("minhash-"):
        d, cfg = plan["dirs"]["minhash"], config.minhash
        if stage == "minhash-signatures":
            return minhash.minhash_signatures(step, _group(d, step), langs, d["signatures"], cfg)
        if stage == "minhash-buckets":
            return sum(minhash.minhash_buckets(p, d["signatures"], d["buckets"], len(d["sources"]), cfg)
                       for p in _slice(cfg.partitions, n_slices, step))
        if stage == "minhash-clusters":
            return sum(mh_clusters.cluster_step(round_no, p, d["buckets"], d["clusters"], cfg)
                       for p in _slice(cfg.partitions, n_slices, step))
        return minhash.minhash_remove(step, _group(d, step), langs, d["clusters"], d["out"], cfg)["stats"]
    if stage == "shards":
        return write_shards(plan, step)
    raise ValueError(f"unknown build stage {stage!r}")


def write_shards(plan: dict, group: int) -> dict:
    """One group's documents, language by language, into size-rotated shards
    `<lang>/part-<group>-<k>.parquet` of the version directory. Returns {lang: LanguageResult}."""
    d = plan["dirs"]["shards"]
    markers, name = StepMarkers(d["markers"]), group_name(group)
    if (done := markers.result(name)) is not None:
        return done
    out = {}
    config = ShardConfig.from_spec(plan["shards_config"] or {})
    for lang in plan["languages"]:
        writer = ShardWriter(plan["version_dir"], lang, config, prefix=f"part-{group:05d}")
        documents = characters = 0
        try:
            for _, uri in _group(d, group):
                for _, table in iter_unit_batches(uri, lang, config.row_group_rows):
                    documents += table.num_rows
                    characters += pc.sum(pc.utf8_length(table["text"])).as_py() or 0
                    writer.write(table)
        except BaseException:
            writer.abort()
            raise
        records = writer.close()
        if records:
            out[lang] = asdict(LanguageResult(lang, [asdict(r) for r in records], documents, characters))
    markers.mark(name, out)
    return out


def finish_clusters(plan_uri: str) -> None:
    """After the last cluster round: mark the cluster stage complete (read by minhash-remove)."""
    d = load_plan(plan_uri)["dirs"]["minhash"]
    mh_clusters.finish(d["clusters"])


def languages_of(plan_uri: str, shard_results: list[dict]) -> list[LanguageResult]:
    """Per-language totals and shard lists, in dataset order (groups in order); every language of
    the spec is listed, an empty one with 0 documents (the manifest warns about it)."""
    by_lang: dict[str, dict] = {lang: {"shards": [], "documents": 0, "characters": 0}
                                for lang in load_plan(plan_uri)["languages"]}
    for res in shard_results:
        for lang, r in res.items():
            acc = by_lang.setdefault(lang, {"shards": [], "documents": 0, "characters": 0})
            acc["shards"] += r["shards"]
            acc["documents"] += r["documents"]
            acc["characters"] += r["characters"]
    return [LanguageResult(language=lang, **by_lang[lang]) for lang in sorted(by_lang)]


def stage_counters(results: dict[str, list]) -> dict[str, dict[str, int]]:
    """Manifest counters of the dedup stages from the remove stages' step results."""
    out = {}
    for stage, key in (("exact-remove", "dedup_exact"), ("minhash-remove", "dedup_minhash")):
        if stage in results:
            total: Counter = Counter()
            for r in results[stage]:
                total.update(r)
            out[key] = {k: int(v) for k, v in sorted(total.items())}
    return out
