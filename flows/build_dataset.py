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
from xlm_core.shards.inspect import drop_rows, language_rows
from xlm_core.shards.manifest import manifest_digest
from xlm_core.spec import load_spec

NETWORK_ERRORS = (ConnectionError, TimeoutError, OSError)


def _retry_on_network(task, task_run, state) -> bool:
    """Retry a unit only for transient I/O trouble; bad input fails at once with its message."""
    try:
        state.result()
    except (FileNotFoundError, PermissionError, ValueError):
        return False
    except NETWORK_ERRORS:
        return True
    except Exception:
        return False
    return False


@task(name="discover-inputs", retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=_retry_on_network, cache_policy=NO_CACHE)
def discover_inputs(spec_path: str) -> list[dataset.InputFile]:
    return dataset.plan_inputs(load_spec(spec_path))


@task(name="build-unit", task_run_name="unit-{inp.index:04d}", retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=_retry_on_network, cache_policy=NO_CACHE)
def build_unit(inp: dataset.InputFile, spec_path: str) -> dataset.UnitResult:
    spec = load_spec(spec_path)
    return dataset.build_unit(inp, spec, dataset.BuildLayout.from_spec(spec), _download_config(spec))


@task(name="write-language", task_run_name="shards-{language}", cache_policy=NO_CACHE)
def write_language(language: str, units: list[dataset.UnitResult], spec_path: str, version: str) -> dataset.LanguageResult:
    spec = load_spec(spec_path)
    return dataset.write_language(language, units, spec, dataset.BuildLayout.from_spec(spec), version)


@task(name="write-manifest", cache_policy=NO_CACHE)
def write_manifest(spec_path: str, units: list[dataset.UnitResult], langs: list[dataset.LanguageResult]) -> dict:
    spec = load_spec(spec_path)
    return dataset.finalize(spec, dataset.BuildLayout.from_spec(spec), units, langs)


def _download_config(spec):
    from xlm_core.acquire.download import DownloadConfig

    d = spec.section("download")
    kwargs = {k: d[k] for k in ("retries", "max_concurrency") if k in d}
    if "timeout_s" in d:
        kwargs["timeout"] = d["timeout_s"]
    return DownloadConfig(**kwargs)


class UnitsFailed(RuntimeError):
    """Some input files could not be built; the others are done and a rerun reuses them."""


def _unit_results(inputs: list[dataset.InputFile], futures) -> list[dataset.UnitResult]:
    """The units' results in input order, once every unit has finished. If any failed: publish which
    (`dataset-failed-units`) and stop before the languages and the manifest, so a dataset never
    silently lacks an input."""
    units, failed = [], []
    for inp, f in zip(inputs, futures):
        try:
            units.append(f.result())
        except Exception as exc:  # noqa: BLE001 - every failure is reported below, then the flow fails
            failed.append((inp, exc))
    if not failed:
        return units
    create_table_artifact(
        key="dataset-failed-units",
        table=[{"unit": inp.index, "input": inp.source_file, "error": type(exc).__name__, "message": str(exc)}
               for inp, exc in failed],
        description=f"{len(failed)} of {len(inputs)} input files failed; no manifest was written",
    )
    lines = [f"  unit {inp.index:04d} {inp.source_file}: {type(exc).__name__}: {exc}" for inp, exc in failed]
    raise UnitsFailed(
        f"{len(failed)} of {len(inputs)} input files failed; no dataset version was written:\n"
        + "\n".join(lines)
        + f"\nFix or remove them and rerun: the {len(inputs) - len(failed)} finished units are reused."
    )


@flow(name="build_dataset", log_prints=True)
def build_dataset(spec_path: str, show_progress: bool = False) -> dict:
    """Build (or resume) the dataset described by the spec at `spec_path`."""
    logger = get_run_logger()
    spec = load_spec(spec_path)
    from xlm_core.io import check_writable

    check_writable(spec.output)
    inputs = discover_inputs(spec_path)
    logger.info("%d input files", len(inputs))
    unit_task, language_task, manifest_task = with_cross_run_cache(spec, build_unit, write_language, write_manifest)

    progress = create_progress_artifact(progress=0.0, description=f"{spec.name}: input files processed")
    futures = [unit_task.submit(inp, spec_path) for inp in inputs]
    bar = tqdm(total=len(futures), desc="inputs", unit="file", disable=not show_progress)
    for done, _ in enumerate(as_completed(futures), start=1):
        bar.update(1)
        update_progress_artifact(progress, progress=100.0 * done / len(futures))
    bar.close()
    units = _unit_results(inputs, futures)

    version = dataset.manifest.version_of(spec, units)
    lang_futures = [language_task.submit(lang, units, spec_path, version) for lang in sorted(spec.languages)]
    langs = [f.result() for f in tqdm(lang_futures, desc="languages", disable=not show_progress)]
    manifest = manifest_task(spec_path, units, langs)

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
        # a unit served from Prefect's cache carries reused=False from the run that computed it
        "reused_units": sum(u.reused or was_cached(f) for u, f in zip(units, futures)),
        "warnings": manifest.get("warnings", []),
    }


def task_runner(spec, *, processes: int | None = None, dask: str | None = None, dask_workers: int | None = None):
    """Threads by default (downloads overlap); N local processes; or Dask: an existing cluster
    (`dask` = scheduler address) or a LocalCluster of `dask_workers` single-threaded processes."""
    if dask or dask_workers:
        from prefect_dask import DaskTaskRunner

        if dask:
            return DaskTaskRunner(address=dask)
        return DaskTaskRunner(cluster_kwargs={"n_workers": dask_workers, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    if processes:
        return ProcessPoolTaskRunner(max_workers=processes)
    return ThreadPoolTaskRunner(max_workers=spec.section("download").get("max_concurrency", 4))


def run_build(spec_path: str, *, processes: int | None = None, dask: str | None = None,
              dask_workers: int | None = None, show_progress: bool = True) -> dict:
    spec = load_spec(spec_path)  # invalid spec: fail before Prefect starts anything
    runner = task_runner(spec, processes=processes, dask=dask, dask_workers=dask_workers)
    return build_dataset.with_options(task_runner=runner)(spec_path, show_progress=show_progress)


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
