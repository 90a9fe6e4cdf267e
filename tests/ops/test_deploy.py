"""prefect.yaml on a real server, as an operator uses it: create the pool, `prefect deploy --all`,
start a process worker, trigger the dataset build through the API, read its artifacts back."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from tests.ops.conftest import artifacts_of, process_worker, tiny_spec, wait_final

pytestmark = pytest.mark.slow

DEPLOYMENTS = {
    "build_dataset/build-dataset": "cpu",
    "train_vocab/train-vocab": "cpu",
    "pretrain/pretrain": "gpu",
    "evaluate-xnli/evaluate-xnli": "gpu",
    "pipeline/pipeline": "cpu",
}


def test_deploy_all_registers_every_flow_on_its_pool(deployed):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: deployed.api_url}), get_client(sync_client=True) as client:
        got = {name: client.read_deployment_by_name(name) for name in DEPLOYMENTS}
    assert {name: d.work_pool_name for name, d in got.items()} == DEPLOYMENTS
    build = got["build_dataset/build-dataset"]
    assert build.parameters == {"spec_path": "data_specs/demo.yaml", "runner": None, "workers": None, "dask_address": None}
    assert "data" in build.tags
    (schedule,) = build.schedules
    assert schedule.schedule.cron == "0 4 12 * *" and schedule.active
    assert schedule.parameters == {"spec_path": "data_specs/xnli15.yaml"}
    # runs start in the repository, wherever the worker was launched from
    (step,) = build.pull_steps
    assert step["prefect.deployments.steps.set_working_directory"]["directory"] == str(REPO)


def test_worker_runs_the_build_and_its_artifacts_are_on_the_server(deployed, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    spec = tiny_spec(tmp_path, str(tmp_path / "out"))
    with process_worker(deployed, "cpu", tmp_path / "worker.log"), \
            temporary_settings({PREFECT_API_URL: deployed.api_url}):
        run = run_deployment("build_dataset/build-dataset", parameters={"spec_path": spec}, timeout=0)
        with get_client(sync_client=True) as client:
            run = wait_final(client, run.id, 240)
            assert run.state.is_completed(), (run.state, (tmp_path / "worker.log").read_text()[-3000:])
            arts = artifacts_of(client, run.id)
    assert run.work_pool_name == "cpu" and run.deployment_id is not None
    languages = {row["language"]: row for row in arts["dataset-languages"]}
    assert {"en", "nl"} <= set(languages)
    assert all(int(languages[lang]["documents"]) > 0 for lang in ("en", "nl"))
    stages = {row["stage"] for row in arts["dataset-counters"]}
    assert {"extract", "langid", "filters"} <= stages
    assert list((tmp_path / "out" / "ops").glob("*/manifest.json"))
