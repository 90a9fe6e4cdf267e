"""Many concurrent flow runs against one Prefect server on SQLite (the test/laptop setup): every
run completes, every artifact arrives, and the server never logs "database is locked"."""

from __future__ import annotations

import pytest

from tests.ops.conftest import artifacts_of, run_builds, tiny_spec

pytestmark = pytest.mark.slow

RUNS = 20


def test_twenty_concurrent_builds_on_one_sqlite_server(tmp_path, ops_server):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    specs = []
    for i in range(RUNS):
        (tmp_path / f"s{i}").mkdir()
        specs.append(tiny_spec(tmp_path / f"s{i}", str(tmp_path / "out" / f"r{i}"), name=f"load{i}", languages=("nl",)))
    log_start = (ops_server.home / "server.log").stat().st_size
    runs = run_builds(ops_server, *specs, concurrent=True, timeout=400)

    assert [r["state"] for r in runs] == ["COMPLETED"] * RUNS
    with temporary_settings({PREFECT_API_URL: ops_server.api_url}), get_client(sync_client=True) as client:
        for r in runs:
            assert client.read_flow_run(r["flow_run_id"]).state.is_completed()
            assert {"dataset-languages", "dataset-counters"} <= set(artifacts_of(client, r["flow_run_id"]))
    with open(ops_server.home / "server.log", "rb") as f:
        f.seek(log_start)
        server_log = f.read().decode(errors="replace")
    assert "database is locked" not in server_log
