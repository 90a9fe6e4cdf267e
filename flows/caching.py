"""Cross-run caching for the build's tasks, visible in Prefect: a task whose key is unchanged ends in
the `Cached` state and returns the result persisted by an earlier run, even from another flow run.

A key is made of what decides the task's output, never of the run:
- the task's source (TASK_SOURCE) and the data-stage code (`code_version()`: TASK_SOURCE alone
  would not see a change in `xlm_core`);
- the task's inputs, with the spec *path* replaced by the content of the spec sections the task
  reads (same path, edited file: new key; same content elsewhere: same key);
- for a local input file, its size and mtime (a remote input is named by its URI and the checksums
  the dump publishes, which are among the inputs).

So an unchanged spec reuses every task; changing `dedup:` keeps every unit (Cached) and recomputes
the stages and the manifest (the version id, a hash of the whole spec, is one of their inputs);
changing `filters:` or `langid:` recomputes the units too. Results are pickled under
`<output>/<name>/_work/prefect-results/` (local or s3://, credentials from the environment), so
deleting `_work/` drops the cache together with the units it points at.

Our own done markers stay: a unit whose Prefect cache is gone (other result store, `refresh_cache`)
still finds its marker and is reused without recomputation."""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

from prefect.cache_policies import TASK_SOURCE, CachePolicy
from prefect.filesystems import RemoteFileSystem, WritableFileSystem
from prefect.utilities.hashing import hash_objects

from xlm_core.dataset.layout import BuildLayout
from xlm_core.io import is_local, join
from xlm_core.spec import load_spec

RESULTS_DIR = ("_work", "prefect-results")

# What each field of a task's result says about *how* it was obtained, not what it is: left out of keys.
_NOT_CONTENT = {"reused", "index"}


def _content(value: Any) -> Any:
    """JSON-able form of a task input: dataclasses as dicts without bookkeeping fields."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _content(v) for k, v in asdict(value).items() if k not in _NOT_CONTENT}
    if isinstance(value, (list, tuple)):
        return [_content(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _content(v) for k, v in value.items()}
    return value


@dataclass
class BuildInputs(CachePolicy):
    """Key on a build task's inputs by content: `spec_path` becomes the content of `spec_sections`
    (every section when empty), `inp` (an InputFile) its fields minus its plan position, plus
    size/mtime when it is a local file, and the data-stage code version."""

    spec_sections: tuple[str, ...] = ()
    stat_local_inputs: bool = False
    exclude: tuple[str, ...] = field(default=())

    def compute_key(self, task_ctx, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs) -> str | None:
        from xlm_core.shards.manifest import code_version

        key: dict[str, Any] = {"code": code_version()}
        for name, value in sorted(inputs.items()):
            if name in self.exclude:
                continue
            if name == "spec_path":
                data = load_spec(value).dataset_data  # the later stages' sections do not change a build
                key["spec"] = {s: data.get(s) for s in self.spec_sections} if self.spec_sections else data
            else:
                key[name] = _content(value)
        if self.stat_local_inputs:
            key["input_stat"] = [_stat(inp) for inp in inputs.get("inputs") or [] if not inp.is_remote]
        return hash_objects(key, raise_on_failure=True)


def _stat(inp) -> list[int] | None:
    try:
        st = os.stat(inp.uri.removeprefix("file://"))
    except FileNotFoundError:  # the unit itself fails with the message naming the file
        return None
    return [st.st_size, st.st_mtime_ns]


# build-units reads its input files and the languages / langid / filters sections.
UNIT_POLICY = TASK_SOURCE + BuildInputs(spec_sections=("languages", "langid", "filters"), stat_local_inputs=True)
# plan-stages / write-manifest: their `version` (or the units' ids and the languages' shards)
# already hash the whole spec, the inputs and the code; the spec content is added for the manifest,
# which copies the spec into manifest.json. A stage step is named by its plan (under the version's
# directory), stage, step and round.
STAGE_POLICY = TASK_SOURCE + BuildInputs()
STEP_POLICY = TASK_SOURCE + BuildInputs(exclude=("spec_path",))

POLICIES = {"build-units": UNIT_POLICY, "plan-stages": STAGE_POLICY, "stage-step": STEP_POLICY,
            "write-manifest": STAGE_POLICY}


def result_storage(spec) -> Path | WritableFileSystem:
    """Where cached results of `spec`'s build are persisted: beside its resumable units.

    Prefect takes a local directory as a path; any other location must be a block saved on the
    server: a `remote-file-system` block holding only the base path (fsspec / s3fs read keys and
    endpoint from the environment, so nothing secret is stored in it)."""
    root = join(BuildLayout.from_spec(spec).dataset_dir, *RESULTS_DIR)
    if is_local(root):
        return Path(root.removeprefix("file://"))
    block = RemoteFileSystem(basepath=root)
    block.save(f"xlm-results-{hashlib.sha256(root.encode()).hexdigest()[:16]}", overwrite=True)
    return block


def with_cross_run_cache(spec, *tasks):
    """`tasks` (build-units, stage-step, plan-stages, write-manifest) with their cache policy and results
    persisted for `spec`; one task in, one task out, several in, a tuple out."""
    storage = result_storage(spec)
    out = tuple(t.with_options(cache_policy=POLICIES[t.name], persist_result=True, result_storage=storage)
                for t in tasks)
    return out[0] if len(out) == 1 else out


def was_cached(future) -> bool:
    """True when a task run was served from the cross-run cache (Prefect's `Cached` state)."""
    return future.state.name == "Cached"
