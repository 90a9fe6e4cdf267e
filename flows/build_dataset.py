"""Prefect flow: dumps -> text -> language ID -> filters -> dedup -> per-language Parquet shards + manifest.

Thin on purpose: every task is one call into `xlm_core.dataset`; tasks pass paths and small
records, never documents."""

from __future__ import annotations

import argparse
import sys

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner
from tqdm import tqdm

from flows.caching import was_cached, with_cross_run_cache
from xlm_core import dataset
from xlm_core.dedup.units import group_bounds
from xlm_core.shards.inspect import drop_rows, language_rows
from xlm_core.steps import StepMarkers
from xlm_core.shards.manifest import manifest_digest
from xlm_core.spec import load_spec

NETWORK_ERRORS = (ConnectionError, TimeoutError, OSError)


def _transient(exc: BaseException) -> bool:
    """Transient I/O trouble is retried; bad input (missing, denied, malformed) fails at once."""
    if isinstance(exc, (FileNotFoundError, PermissionError, ValueError)):
        return False
    return isinstance(exc, NETWORK_ERRORS)


def _retry_on_network(task, task_run, state) -> bool:
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 - classified, not handled
        return _transient(exc)
    return False


@task(name="discover-inputs", retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=_retry_on_network, cache_policy=NO_CACHE)
def discover_inputs(spec_path: str) -> list[dataset.InputFile]:
    return dataset.plan_inputs(load_spec(spec_path))


class UnitsFailed(RuntimeError):
    """Some input files could not be built; the others are done and a rerun reuses them."""


class GroupFailed(RuntimeError):
    """Inputs of one group failed (the others of the group are done). `failures`: (input, exc)."""

    def __init__(self, failures):
        self.failures = failures
        super().__init__("; ".join(f"{inp.source_file}: {type(e).__name__}: {e}" for inp, e in failures))


def _retry_group(task, task_run, state) -> bool:
    """Retry a group while one of its inputs failed for transient I/O trouble: its finished
    inputs are reused from their markers, only the failed ones run again."""
    try:
        state.result()
    except GroupFailed as exc:
        return any(_transient(e) for _, e in exc.failures)
    except Exception as exc:  # noqa: BLE001 - classified, not handled
        return _transient(exc)
    return False


@task(name="build-units", task_run_name="units-{group:04d}", retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=_retry_group, cache_policy=NO_CACHE)
def build_units(group: int, inputs: list[dataset.InputFile], spec_path: str) -> list[dataset.UnitResult]:
    """One group of input files, one after another; a failing input does not stop the others."""
    spec = load_spec(spec_path)
    layout = dataset.BuildLayout.from_spec(spec)
    markers = StepMarkers(layout.units_dir)  # listed once for the whole group
    results, failures = [], []
    for inp in inputs:
        try:
            results.append(dataset.build_unit(inp, spec, layout, _download_config(spec), markers=markers))
        except Exception as exc:  # noqa: BLE001 - reported with its input once the group ends
            failures.append((inp, exc))
    if failures:
        raise GroupFailed(failures)
    return results


@task(name="plan-stages", cache_policy=NO_CACHE)
def plan_stages(spec_path: str, units: list[dataset.UnitResult], version: str) -> str:
    spec = load_spec(spec_path)
    return dataset.write_plan(spec, dataset.BuildLayout.from_spec(spec), units, version)


@task(name="stage-step", task_run_name="{stage}-{step:04d}", retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=_retry_on_network, cache_policy=NO_CACHE)
def stage_step(plan_uri: str, stage: str, step: int, round_no: int = 0):
    return dataset.run_stage_step(plan_uri, stage, step, round_no)


@task(name="write-manifest", cache_policy=NO_CACHE)
def write_manifest(spec_path: str, units: list[dataset.UnitResult], langs: list[dataset.LanguageResult],
                   counters: dict) -> dict:
    spec = load_spec(spec_path)
    return dataset.finalize(spec, dataset.BuildLayout.from_spec(spec), units, langs, counters)


def _download_config(spec):
    from xlm_core.acquire.download import DownloadConfig

    d = spec.section("download")
    kwargs = {k: d[k] for k in ("retries", "max_concurrency") if k in d}
    if "timeout_s" in d:
        kwargs["timeout"] = d["timeout_s"]
    return DownloadConfig(**kwargs)


def _unit_results(groups: list[list[dataset.InputFile]], futures) -> list[dataset.UnitResult]:
    """The units' results in input order, once every group has finished. If any input failed:
    publish which (`dataset-failed-units`) and stop before the stages and the manifest, so a
    dataset never silently lacks an input."""
    units, failed = [], []
    for inputs, f in zip(groups, futures):
        try:
            units.extend(f.result())
        except GroupFailed as exc:
            failed.extend(exc.failures)
        except Exception as exc:  # noqa: BLE001 - the whole group failed: name each of its inputs
            failed.extend((inp, exc) for inp in inputs)
    if not failed:
        return units
    n = sum(len(g) for g in groups)
    failed.sort(key=lambda x: x[0].index)
    create_table_artifact(
        key="dataset-failed-units",
        table=[{"unit": inp.index, "input": inp.source_file, "error": type(exc).__name__, "message": str(exc)}
               for inp, exc in failed],
        description=f"{len(failed)} of {n} input files failed; no manifest was written",
    )
    lines = [f"  unit {inp.index:04d} {inp.source_file}: {type(exc).__name__}: {exc}" for inp, exc in failed]
    raise UnitsFailed(
        f"{len(failed)} of {n} input files failed; no dataset version was written:\n"
        + "\n".join(lines)
        + f"\nFix or remove them and rerun: the {n - len(failed)} finished units are reused."
    )


def _run_stage(runner, step_task, stage: dataset.Stage, plan_uri: str, bar, progress) -> list:
    """All steps of one stage (a `rounds` stage: repeated until no step reports a change)."""
    round_no = 0
    while True:
        futures = [runner.submit(step_task, {"plan_uri": plan_uri, "stage": stage.name, "step": i,
                                              "round_no": round_no}) for i in range(stage.steps)]
        results = [f.result() for f in futures]
        bar.update(1)
        update_progress_artifact(progress, progress=100.0 * bar.n / max(bar.total, 1))
        if stage.kind != "rounds":
            return results
        if sum(results) == 0:
            dataset.finish_clusters(plan_uri)
            return results
        round_no += 1
        bar.total += 1


@flow(name="build_dataset", log_prints=True)
def build_dataset(spec_path: str, show_progress: bool = False, runner: str | None = None,
                  workers: int | None = None, dask_address: str | None = None) -> dict:
    """Build (or resume) the dataset described by the spec at `spec_path`. Its tasks run on
    `runner` (threads | processes | dask; default: the spec's `execution.runner`, else threads)
    with `workers` threads/processes/LocalCluster workers, or on the Dask cluster at
    `dask_address`: the flow sizes its own task runner, so a deployment honours the spec too."""
    logger = get_run_logger()
    spec = load_spec(spec_path)
    from xlm_core.io import check_writable

    check_writable(spec.output)
    inputs = discover_inputs(spec_path)
    bounds = group_bounds(len(inputs), dataset.stages.tasks_of(spec))
    groups = [inputs[bounds[g]:bounds[g + 1]] for g in range(len(bounds) - 1)]
    logger.info("%d input files in %d groups", len(inputs), len(groups))
    units_task, step_task, plan_task, manifest_task = with_cross_run_cache(
        spec, build_units, stage_step, plan_stages, write_manifest)

    with task_runner(spec, runner=runner, workers=workers, dask_address=dask_address) as tr:
        progress = create_progress_artifact(progress=0.0, description=f"{spec.name}: input files processed")
        futures = [tr.submit(units_task, {"group": g, "inputs": grp, "spec_path": spec_path})
                   for g, grp in enumerate(groups)]
        sizes = {id(f): len(grp) for f, grp in zip(futures, groups)}
        bar = tqdm(total=len(inputs), desc="inputs", unit="file", disable=not show_progress)
        for fut in as_completed(futures):
            bar.update(sizes[id(fut)])
            update_progress_artifact(progress, progress=100.0 * bar.n / max(len(inputs), 1))
        bar.close()
        units = _unit_results(groups, futures)

        version = dataset.manifest.version_of(spec, units)
        plan_uri = plan_task(spec_path, units, version)
        stages = dataset.stages_of(plan_uri)
        progress = create_progress_artifact(progress=0.0, description=f"{spec.name} {version}: dedup and shard stages")
        bar = tqdm(total=len(stages), desc="stages", unit="stage", disable=not show_progress)
        results = {}
        for stage in stages:
            bar.set_postfix_str(stage.name)
            logger.info("stage %s: %d steps", stage.name, stage.steps)
            results[stage.name] = _run_stage(tr, step_task, stage, plan_uri, bar, progress)
        bar.close()
    langs = dataset.languages_of(plan_uri, results["shards"])
    manifest = manifest_task(spec_path, units, langs, dataset.stage_counters(results))

    layout = dataset.BuildLayout.from_spec(spec)
    create_table_artifact(key="dataset-languages", table=language_rows(manifest),
                          description=f"{spec.name} {version}: documents per language")
    create_table_artifact(key="dataset-counters", table=drop_rows(manifest),
                          description=f"{spec.name} {version}: read / kept / dropped by reason per stage")
    for w in manifest.get("warnings", []):
        logger.warning(w)
    return {
        "version": version,
        "version_dir": layout.version_dir(version),
        "manifest_sha256": manifest_digest(manifest),
        # a group served from Prefect's cache carries reused=False from the run that computed it
        "reused_units": sum(len(f.result()) if was_cached(f) else sum(u.reused for u in f.result())
                            for f in futures),
        "warnings": manifest.get("warnings", []),
    }


def task_runner(spec, *, runner: str | None = None, workers: int | None = None, dask_address: str | None = None):
    """The build's task runner. Threads by default (downloads overlap), sized by
    `execution.workers` or `download.max_concurrency`; N local processes; or Dask: an existing
    cluster (`dask_address`) or a LocalCluster of `workers` single-threaded processes. Arguments
    win over the spec's `execution` section."""
    ex = spec.section("execution")
    if dask_address:
        runner = "dask"
    runner = runner or ex.get("runner", "threads")
    dask_address = dask_address or ex.get("dask_address")
    workers = workers or ex.get("workers") or spec.section("download").get("max_concurrency", 4)
    if runner not in ("threads", "processes", "dask"):
        raise ValueError(f"runner {runner!r}: expected threads, processes or dask")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if runner == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    if runner == "processes":
        return ProcessPoolTaskRunner(max_workers=workers)
    return ThreadPoolTaskRunner(max_workers=workers)


def run_build(spec_path: str, *, processes: int | None = None, dask: str | None = None,
              dask_workers: int | None = None, show_progress: bool = True) -> dict:
    spec = load_spec(spec_path)  # invalid spec: fail before Prefect starts anything
    runner = None
    if processes is not None:
        if processes < 1:
            raise ValueError(f"--processes must be >= 1, got {processes}")
        runner, workers = "processes", processes
    elif dask or dask_workers:
        runner, workers = "dask", dask_workers
    else:
        workers = None
    task_runner(spec, runner=runner, workers=workers, dask_address=dask)  # bad settings: fail here
    return build_dataset(spec_path, show_progress=show_progress, runner=runner, workers=workers,
                         dask_address=dask)


def _cli(args: argparse.Namespace) -> int:
    try:
        result = run_build(args.spec, processes=args.processes, dask=args.dask, dask_workers=args.dask_workers)
    except UnitsFailed as exc:  # which inputs failed and that a rerun resumes: no traceback
        print(f"xlm build: error: {exc}", file=sys.stderr)
        return 1
    print(f"dataset: {result['version_dir']}")
    print(f"manifest sha256: {result['manifest_sha256']}")
    for w in result["warnings"]:
        print(f"warning: {w}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from xlm_core.shards.manifest import verify

    problems = verify(args.dir)
    for p in problems:
        print(f"MISMATCH {p}")
    if problems:
        print(f"{args.dir}: {len(problems)} difference(s) from the manifest")
        return 1
    print(f"{args.dir}: every shard matches the manifest")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from xlm_core.shards.inspect import format_table
    from xlm_core.shards.manifest import load_manifest

    manifest = load_manifest(args.dir)
    print(f"{manifest['name']} version {manifest['version']} (code {manifest['code_version']})")
    print(format_table(language_rows(manifest)))
    if args.counters:
        print()
        print(format_table(drop_rows(manifest)))
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="build a dataset from a spec (resumes an interrupted build)",
                       description="Download, extract, identify languages, filter, deduplicate and "
                                   "write per-language Parquet shards + manifest.json for SPEC. "
                                   "Rerunning resumes: finished input files and languages are skipped.")
    p.add_argument("spec", help="dataset spec (YAML), e.g. data_specs/demo.yaml")
    p.add_argument("--processes", type=int, default=None, metavar="N",
                   help="run input files in N worker processes (default: threads)")
    p.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run the tasks on an existing Dask cluster (scheduler address, e.g. tcp://host:8786)")
    p.add_argument("--dask-workers", type=int, metavar="N", default=None,
                   help="start a local Dask cluster of N worker processes for this build")
    p.set_defaults(func=_cli)

    p = sub.add_parser("verify", help="re-hash a dataset version against its manifest",
                       description="Re-hash every shard of DIR and compare with DIR/manifest.json; "
                                   "exit 1 and name each difference if any.")
    p.add_argument("dir", help="dataset version directory (holds manifest.json), local or s3://")
    p.set_defaults(func=_verify)

    p = sub.add_parser("inspect", help="print the per-language table of a dataset version",
                       description="Documents, characters, shards and bytes per language of DIR.")
    p.add_argument("dir", help="dataset version directory (holds manifest.json)")
    p.add_argument("--counters", action="store_true", help="also print per-stage counters and drop reasons")
    p.set_defaults(func=_inspect)
