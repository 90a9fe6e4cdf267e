"""Fixtures for the operations tests: one real Prefect server with the UI on 127.0.0.1 (SQLite,
temp home) shared by the ops tests, `prefect` CLI calls against it, and a process worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, SAMPLES, free_port
from tests.conftest import stop_group as _stop
from tests.conftest import wait_healthy as _wait_healthy
from tests.servers import moto_server, s3_bucket, s3_server  # noqa: F401

BIN = Path(sys.executable).parent
WIKI = SAMPLES / "wiki"


@dataclass(frozen=True)
class Server:
    api_url: str  # http://127.0.0.1:PORT/api
    ui_url: str  # http://127.0.0.1:PORT
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a `prefect` subprocess talking to this server (its own temp home)."""
        return {**os.environ, "PREFECT_API_URL": self.api_url, "PREFECT_HOME": str(self.home / "client"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PYTHONUNBUFFERED": "1", **extra}

    def cli(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(BIN / "prefect"), "--no-prompt", *args], cwd=REPO, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, f"prefect {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc


def _drain_prefect_clients() -> None:
    """Send this process's queued run logs and events while the server is still up (else the
    exit-time flush retries against a dead port for a minute)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=10)
        except Exception:  # nothing was started in this process
            pass


def start_server(home: Path, port: int) -> tuple[Server, subprocess.Popen]:
    """`prefect server start` with the UI on 127.0.0.1:`port`, SQLite in `home` (started again on the
    same home and port, it serves the same database), once /health answers."""
    server = Server(api_url=f"http://127.0.0.1:{port}/api", ui_url=f"http://127.0.0.1:{port}", home=home)
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_UI_ENABLED": "true", "PREFECT_API_URL": "", "PREFECT_UI_API_URL": server.api_url}
    log = home / "server.log"
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_healthy(proc, server.api_url, log, 150)
    except BaseException:
        _stop(proc)
        raise
    return server, proc


@pytest.fixture(scope="session")
def ops_server(tmp_path_factory) -> Iterator[Server]:
    """`prefect server start` with the UI, as an operator runs it (SQLite in a temp PREFECT_HOME)."""
    server, proc = start_server(tmp_path_factory.mktemp("ops-prefect"), free_port())
    try:
        yield server
    finally:
        _drain_prefect_clients()
        _stop(proc)


@pytest.fixture(scope="session")
def cpu_pool(ops_server: Server) -> str:
    ops_server.cli("work-pool", "create", "cpu", "--type", "process", "--overwrite")
    return "cpu"


def deploy(server: Server, *names: str) -> Server:
    """Work pools cpu and gpu, then prefect.yaml's deployments (`names`, default all) on `server`."""
    for pool in ("cpu", "gpu"):
        server.cli("work-pool", "create", pool, "--type", "process", "--overwrite")
    server.cli("deploy", *([a for n in names for a in ("--name", n)] or ["--all"]), timeout=240)
    return server


@pytest.fixture(scope="session")
def deployed(ops_server: Server, cpu_pool: str) -> Server:
    """The session server with every deployment of prefect.yaml (`prefect deploy --all`)."""
    return deploy(ops_server)


@contextmanager
def process_worker(server: Server, pool: str, log: Path, **env: str) -> Iterator[subprocess.Popen]:
    """`prefect worker start --pool POOL` in its own process group, stopped (with its runs) on exit."""
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "worker", "start", "--pool", pool, "--type", "process", "--limit", "4"],
        cwd=REPO, env=server.env(PREFECT_WORKER_QUERY_SECONDS="1", **env),
        stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        _stop(proc)


def kill_worker(proc: subprocess.Popen) -> list[int]:
    """SIGKILL a `process_worker` with the flow runs it started, as when its machine dies: its process
    group, and the groups of its descendants (Prefect starts each flow run in a session of its own).
    Returns the pids killed."""
    import psutil

    descendants = psutil.Process(proc.pid).children(recursive=True)
    groups = {proc.pid} | {os.getpgid(p.pid) for p in descendants if p.is_running()}
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=30)
    psutil.wait_procs(descendants, timeout=30)
    return [proc.pid] + [p.pid for p in descendants]


def run_builds(server: Server, *specs: str, cache: bool = False, concurrent: bool = False,
               timeout: float = 300, **env: str) -> list[dict]:
    """Build each spec in one fresh process (tests/ops/driver.py) on `server`: [{flow_run_id, state, result}]."""
    cmd = [sys.executable, "-m", "tests.ops.driver", *specs] + ["--cache"] * cache + ["--concurrent"] * concurrent
    proc = subprocess.run(cmd, cwd=REPO, env=server.env(**env), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return [json.loads(line[len("RESULT "):]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]


def tiny_spec(tmp: Path, output: str, name: str = "ops", languages=("en", "nl"), **extra) -> str:
    """Real Wikipedia excerpts (default en, nl) from data_specs/samples, absolute paths: builds in seconds."""
    sources = [{"type": "wikipedia", "language": lang, "dump": "20230501",
                "files": [str(WIKI / f"{lang}wiki-sample-pages-articles.xml.bz2")]} for lang in languages]
    spec = {"name": name, "languages": list(languages), "sources": sources, "output": output,
            "shards": {"max_bytes": 200_000}, **extra}
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return str(path)


@contextmanager
def api(server: Server):
    """A sync Prefect client on `server`; in the block, Prefect calls (run_deployment...) go there too."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as client:
        yield client


def wait_final(client, flow_run_id, seconds: float):
    """The flow run once it reached a final state (bounded wait)."""
    deadline = time.monotonic() + seconds
    while True:
        run = client.read_flow_run(flow_run_id)
        if run.state and run.state.is_final():
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"flow run {flow_run_id} still {run.state_name} after {seconds:.0f} s")
        time.sleep(1)


def artifacts_of(client, flow_run_id) -> dict[str, object]:
    """Keyed artifacts of one flow run, read back through the API: key -> data."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    arts = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key: json.loads(a.data) if a.type == "table" and isinstance(a.data, str) else a.data
            for a in arts if a.key}


def wait_logged(client, flow_run_id, text: str, seconds: float = 60) -> list[str]:
    """The run's log messages once one contains `text`: a run's last records reach the server
    after its final state, so a finished run's logs may still be arriving (bounded wait)."""
    deadline = time.monotonic() + seconds
    while True:
        messages = logs_of(client, flow_run_id)
        if any(text in m for m in messages):
            return messages
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not in the logs of flow run {flow_run_id}:\n" + "\n".join(messages)[-3000:])
        time.sleep(1)


def logs_of(client, flow_run_id) -> list[str]:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    out, offset = [], 0
    while True:
        page = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])),
                                limit=200, offset=offset)
        out += [log.message for log in page]
        if len(page) < 200:
            return out
        offset += 200
