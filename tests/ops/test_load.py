"""Many concurrent flow runs against one Prefect server on SQLite (the test/laptop setup): every
run completes, every artifact arrives, and the server never logs "database is locked"."""

from __future__ import annotations

import pytest

from tests.conftest import free_port, stop_group
from tests.ops.conftest import artifacts_of, run_builds, start_server, tiny_spec

pytestmark = pytest.mark.slow

RUNS = 20


@pytest.fixture
def fresh_server(tmp_path):
    """A server of its own: the session server carries the other tests' work pools and stopped
    workers, whose bookkeeping would add writes that this test does not measure."""
    (tmp_path / "home").mkdir()
    server, proc = start_server(tmp_path / "home", free_port())
    try:
        yield server
    finally:
        stop_group(proc)


def test_twenty_concurrent_builds_on_one_sqlite_server(tmp_path, fresh_server):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    ops_server = fresh_server
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
