"""Shared fixtures: a real Prefect server on 127.0.0.1 for the whole session (SQLite, temp home),
used by in-process flow tests and by `xlm` subprocesses alike."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data_specs" / "samples"
XLM = str(Path(sys.executable).parent / "xlm")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(proc: subprocess.Popen, url: str, log: Path, seconds: float) -> None:
    """Wait until the Prefect API at `url` answers /health; fail with the server log's tail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"prefect server did not become healthy in {seconds:.0f} s")


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the process group (server + its children), SIGKILL after 20 s."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """URL of a Prefect API served by `prefect server start` for this test session."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_UI_ENABLED": "false", "PREFECT_API_URL": ""}
    log = home / "server.log"
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        wait_healthy(proc, url, log, 120)
        yield url
    finally:
        try:  # send the in-process flows' buffered logs before the server goes away
            from prefect.logging.handlers import APILogHandler

            APILogHandler.flush()
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass
        stop_group(proc)


@pytest.fixture()
def prefect_api(prefect_server):
    """In-process flows talk to the session server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: prefect_server}):
        yield prefect_server


def xlm_env(prefect_server: str) -> dict:
    return {**os.environ, "PREFECT_API_URL": prefect_server, "PYTHONUNBUFFERED": "1"}
