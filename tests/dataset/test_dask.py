"""The build on a 2-worker Dask LocalCluster gives the same dataset as the default runner, and one
language's dedup is spread over several tasks (input groups and hash-partition slices)."""

import json
import os
from pathlib import Path

import pytest

from flows.build_dataset import run_build
from tests.dataset.helpers import WIKI, small_spec


def _task_run_names(flow_name: str = "build_dataset") -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        (run,) = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
        names, page = [], None
        while page is None or len(page) == 200:
            page = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])),
                                         limit=200, offset=len(names))
            names += [t.name for t in page]
        return names


@pytest.mark.slow
def test_dask_local_cluster_build_is_identical_to_threads(tmp_path, prefect_api):
    spec = small_spec(tmp_path, "out", wiki={"en": WIKI["en"], "nl": WIKI["nl"]},
                      dedup={"exact": {"partitions": 8}, "minhash": {"partitions": 8}},
                      execution={"tasks": 4})
    cwd = os.getcwd()
    try:
        (tmp_path / "threads").mkdir()
        os.chdir(tmp_path / "threads")
        plain = run_build(spec, show_progress=False)
        (tmp_path / "dask").mkdir()
        os.chdir(tmp_path / "dask")
        dask = run_build(spec, dask_workers=2, show_progress=False)
        names = _task_run_names()
    finally:
        os.chdir(cwd)
    assert dask["version"] == plain["version"]
    assert dask["manifest_sha256"] == plain["manifest_sha256"]

    # English is in the en Wikipedia unit and the WET unit: its exact dedup signatures were made
    # by two tasks, and every hash-partition stage ran as 4 tasks (execution.tasks)
    done = Path(dask["version_dir"]).parent / "_work" / "versions" / dask["version"] / "exact" / "signatures" / "_done"
    en_groups = [m for m in done.glob("group-*.json") if json.loads(m.read_text())["result"]["languages"].get("en")]
    assert len(en_groups) >= 2
    for stage in ("exact-signatures", "exact-duplicates", "minhash-buckets", "minhash-remove", "shards"):
        steps = {n for n in names if n.startswith(stage + "-")}
        assert len(steps) >= 2, (stage, sorted(names))
    assert len({n for n in names if n.startswith("exact-duplicates-")}) == 4
