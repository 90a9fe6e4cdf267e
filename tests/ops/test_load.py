"""Many concurrent flow runs against one Prefect server on SQLite (the test/laptop setup): every
run completes, every artifact arrives, and the server never logs "database is locked"."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.ops.conftest import artifacts_of, tiny_spec

pytestmark = pytest.mark.slow

RUNS = 20


def test_twenty_concurrent_builds_on_one_sqlite_server(tmp_path, ops_server):
    import flows.build_dataset as bd
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.task_runners import ThreadPoolTaskRunner

    specs = []
    for i in range(RUNS):
        (tmp_path / f"s{i}").mkdir()
        specs.append(tiny_spec(tmp_path / f"s{i}", str(tmp_path / "out" / f"r{i}"), name=f"load{i}", languages=("nl",)))
    flow = bd.build_dataset.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))

    def one(spec: str):
        with temporary_settings({PREFECT_API_URL: ops_server.api_url}):  # settings do not cross threads
            return flow(spec, return_state=True)

    log_start = (ops_server.home / "server.log").stat().st_size
    with ThreadPoolExecutor(max_workers=RUNS) as pool:
        states = list(pool.map(one, specs))

    assert [s.type.value for s in states] == ["COMPLETED"] * RUNS
    with temporary_settings({PREFECT_API_URL: ops_server.api_url}), get_client(sync_client=True) as client:
        for s in states:
            run = client.read_flow_run(s.state_details.flow_run_id)
            assert run.state.is_completed()
            assert {"dataset-languages", "dataset-counters"} <= set(artifacts_of(client, run.id))
    with open(ops_server.home / "server.log", "rb") as f:
        f.seek(log_start)
        server_log = f.read().decode(errors="replace")
    assert "database is locked" not in server_log
