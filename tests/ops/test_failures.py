"""Failure and load on a real server with a real worker (issue #8 §5): the worker or the server dies in
the middle of a build and the run is retried with no lost or duplicated shards; S3 throttling is
retried with backoff; a permanently failing input fails only its unit and the flow says which."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.dataset.helpers import small_spec
from tests.conftest import REPO, free_port, stop_group
from tests.ops.conftest import (BIN, api, artifacts_of, deploy, kill_worker, process_worker, run_builds,
                                start_server, wait_final)
from tests.servers import WET_SAMPLES, WIKI_SAMPLES, FaultProxy, FileServer
from xlm_core.shards.manifest import load_manifest, verify

pytestmark = pytest.mark.slow

BUILD = "build_dataset/build-dataset"
WIKI_LANGS = ("en", "nl", "uk")
SLOW = 45.0
"""Seconds the mirror holds the first request of every input but English: the build is surely
still running when the English unit is done."""


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """The build's inputs (real Wikipedia excerpts and a WET file) on an HTTP mirror."""
    root = tmp_path_factory.mktemp("mirror")
    for lang in WIKI_LANGS:
        shutil.copy(WIKI_SAMPLES[lang], root / WIKI_SAMPLES[lang].name)
    shutil.copy(WET_SAMPLES[0], root / WET_SAMPLES[0].name)
    with FileServer(root) as server:
        yield server


def mirror_spec(tmp: Path, mirror: FileServer, output: str) -> str:
    wiki = {lang: mirror.url_for(WIKI_SAMPLES[lang].name) for lang in WIKI_LANGS}
    return small_spec(tmp, output, wiki=wiki, wet=mirror.url_for(WET_SAMPLES[0].name), name="failures")


@pytest.fixture(scope="module")
def reference(ops_server, mirror, tmp_path_factory) -> dict:
    """Manifest of an uninterrupted build of the same inputs (another output directory)."""
    tmp = tmp_path_factory.mktemp("reference")
    (result,) = run_builds(ops_server, mirror_spec(tmp, mirror, str(tmp / "out")))
    assert result["state"] == "COMPLETED", result
    return load_manifest(result["result"]["version_dir"])


def _comparable(manifest: dict) -> dict:
    """The manifest less what names the output directory (the spec's `output:`, hence its digest and
    the version id); everything else, shard hashes included, must be equal."""
    out = {k: v for k, v in manifest.items() if k not in ("version", "spec_sha256")}
    out["spec"] = {k: v for k, v in manifest["spec"].items() if k != "output"}
    return out


def assert_same_dataset(out: Path, reference: dict) -> Path:
    """One version under `out`, verified, equal to the reference, and not a stray file beside it."""
    dataset = out / "failures"
    versions = [p for p in dataset.iterdir() if not p.name.startswith("_")]
    assert len(versions) == 1, versions
    version = versions[0]
    assert verify(str(version)) == []  # every listed shard present with its hash, none unlisted
    manifest = load_manifest(str(version))
    assert _comparable(manifest) == _comparable(reference)
    on_disk = sorted(p.relative_to(version).as_posix() for p in version.rglob("*") if p.is_file())
    assert on_disk == sorted([s["path"] for s in manifest["shards"]] + ["manifest.json"])
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name or p.name.endswith(".part")]
    return version


def trigger(server, spec: str):
    from prefect.deployments import run_deployment

    with api(server):
        return run_deployment(BUILD, parameters={"spec_path": spec}, timeout=0).id


def wait_units_done(out: Path, n: int, log: Path, seconds: float = 150) -> dict[Path, int]:
    """Done markers (path -> mtime_ns) once at least `n` units of the build under `out` are done."""
    deadline = time.monotonic() + seconds
    while True:
        done = {p: p.stat().st_mtime_ns for p in (out / "failures" / "_work" / "units").glob("_done/*.json")}
        if len(done) >= n:
            return done
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(done)} of {n} units done after {seconds:.0f} s; worker log:\n"
                                 f"{log.read_text()[-3000:]}")
        time.sleep(0.5)


def state_of(server, flow_run_id) -> str:
    with api(server) as client:
        return client.read_flow_run(flow_run_id).state.type.value


HEARTBEAT_S = 30  # the least Prefect allows
LOST_WITHIN_S = 45


def crash_lost_runs(server, flow_run_id) -> str:
    """infra/automations/crash-lost-runs.yaml on `server`, for this one flow run (the session server's
    other runs must not be crashed by it) and a shorter silence; returns the automation's id."""
    import json

    import yaml

    doc = yaml.safe_load((REPO / "infra" / "automations" / "crash-lost-runs.yaml").read_text())
    doc["name"] += f"-{flow_run_id}"
    doc["trigger"]["within"] = LOST_WITHIN_S
    doc["trigger"]["match"] = {"prefect.resource.id": f"prefect.flow-run.{flow_run_id}"}
    out = server.cli("automation", "create", "--from-json", json.dumps(doc)).stdout
    (automation_id,) = set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", out)) - {str(flow_run_id)}
    return automation_id


def test_worker_killed_mid_build_then_retried_gives_the_same_dataset(deployed, mirror, reference, tmp_path):
    out = tmp_path / "out"
    spec = mirror_spec(tmp_path, mirror, str(out))
    mirror.faults.clear()
    for name in (WIKI_SAMPLES["nl"].name, WIKI_SAMPLES["uk"].name, WET_SAMPLES[0].name):
        mirror.faults.delay(f"/{name}", SLOW, times=1)  # only the first request: the retry is not held
    log1, log2 = tmp_path / "worker1.log", tmp_path / "worker2.log"
    with process_worker(deployed, "cpu", log1, PREFECT_FLOWS_HEARTBEAT_FREQUENCY=str(HEARTBEAT_S)) as worker:
        run_id = trigger(deployed, spec)
        automation = crash_lost_runs(deployed, run_id)
        done = wait_units_done(out, 1, log1)
        assert state_of(deployed, run_id) == "RUNNING", log1.read_text()[-3000:]
        killed = kill_worker(worker)
    assert len(killed) >= 2, f"no flow-run process was killed with the worker: {killed}"
    assert not list(out.glob("failures/*/manifest.json")), "the build finished before the kill: nothing tested"

    # Prefect 3.8.8 itself does not notice: the run stays RUNNING (no process reports the crash), a new
    # worker does not take it over, and a RUNNING run cannot be retried. The heartbeats stop, though,
    # and infra/automations/crash-lost-runs.yaml marks the run Crashed; the operator retries it (UI:
    # Retry, or the CLI).
    with process_worker(deployed, "cpu", log2):
        time.sleep(5)
        assert state_of(deployed, run_id) == "RUNNING"
        refused = subprocess.run([str(BIN / "prefect"), "flow-run", "retry", str(run_id)], env=deployed.env(),
                                 capture_output=True, text=True, timeout=120)
        assert refused.returncode == 1 and "'RUNNING' and cannot be retried" in " ".join(refused.stdout.split())
        deadline = time.monotonic() + LOST_WITHIN_S + 90
        while state_of(deployed, run_id) != "CRASHED":
            assert time.monotonic() < deadline, "the automation did not mark the lost run Crashed"
            time.sleep(2)
        deployed.cli("automation", "delete", "--id", automation)
        deployed.cli("flow-run", "retry", str(run_id))
        with api(deployed) as client:
            run = wait_final(client, run_id, 240)
            assert run.state.is_completed(), (run.state, log2.read_text()[-3000:])
            assert run.run_count >= 2
    assert_same_dataset(out, reference)
    after = {p: p.stat().st_mtime_ns for p in (out / "failures" / "_work" / "units").glob("_done/*.json")}
    assert len(after) == 4
    assert all(after[p] == mtime for p, mtime in done.items()), "a unit finished before the kill was recomputed"


def test_server_restarted_mid_build_the_run_completes_by_itself(mirror, reference, tmp_path):
    """Observed with Prefect 3.8.8: the flow-run process's API client retries a refused connection
    (once it has connected before) PREFECT_CLIENT_MAX_RETRIES=5 times, 2-4-8-16-32 s apart, and the
    worker keeps polling; so a server that is back within about a minute (same database) costs
    nothing: the run goes on and completes by itself, no retry needed. A longer outage crashes the
    run: retry it as in the test above."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    port = free_port()  # fixed from here on: the restarted server must answer where clients look
    server, proc = start_server(home, port)
    out = tmp_path / "out"
    spec = mirror_spec(tmp_path, mirror, str(out))
    log = tmp_path / "worker.log"
    try:
        deploy(server, "build-dataset")
        mirror.faults.clear()
        mirror.faults.delay(f"/{WIKI_SAMPLES['nl'].name}", 12, times=1)  # done while the server is down
        for name in (WIKI_SAMPLES["uk"].name, WET_SAMPLES[0].name):
            mirror.faults.delay(f"/{name}", 25, times=1)
        with process_worker(server, "cpu", log) as worker:
            run_id = trigger(server, spec)
            before = wait_units_done(out, 1, log)
            assert state_of(server, run_id) == "RUNNING", log.read_text()[-3000:]
            os.killpg(proc.pid, signal.SIGKILL)  # server and its services, no goodbye
            proc.wait()
            # a unit finishes with the API gone (its progress update must wait for the server)
            wait_units_done(out, len(before) + 1, log, seconds=60)
            assert not list(out.glob("failures/*/manifest.json")), "the build finished during the outage"
            server, proc = start_server(home, port)
            with api(server) as client:
                run = wait_final(client, run_id, 180)
            assert run.state.is_completed(), (run.state, log.read_text()[-3000:])
            assert run.run_count == 1  # not retried: the same process finished it
            assert worker.poll() is None, "the worker died with the server"
        assert_same_dataset(out, reference)
    finally:
        stop_group(proc)


INPUTS = [WIKI_SAMPLES["en"], WIKI_SAMPLES["nl"], WIKI_SAMPLES["uk"], WET_SAMPLES[0]]


def s3_spec(tmp: Path, s3_server, bucket: str, name: str) -> str:
    """The inputs uploaded to `bucket` under inputs/, the dataset written to s3://bucket/datasets."""
    for path in INPUTS:
        s3_server.client().put_object(Bucket=bucket, Key=f"inputs/{path.name}", Body=path.read_bytes())
    wiki = {lang: f"s3://{bucket}/inputs/{WIKI_SAMPLES[lang].name}" for lang in WIKI_LANGS}
    return small_spec(tmp, f"s3://{bucket}/datasets", name=name, wiki=wiki,
                      wet=f"s3://{bucket}/inputs/{WET_SAMPLES[0].name}",
                      download={"cache_dir": str(tmp / "downloads"), "retries": 4})


def run_on_worker(server, spec: str, log: Path, **env: str):
    with process_worker(server, "cpu", log, **env):
        run_id = trigger(server, spec)
        with api(server) as client:
            return wait_final(client, run_id, 240)


def test_s3_slowdown_on_inputs_and_shards_is_retried(deployed, s3_server, s3_bucket, tmp_path):
    import s3fs

    spec = s3_spec(tmp_path, s3_server, s3_bucket, "throttled")
    with FaultProxy(s3_server.endpoint_url) as proxy:
        nl, wet = (f"/{s3_bucket}/inputs/{p.name}" for p in (WIKI_SAMPLES["nl"], WET_SAMPLES[0]))
        proxy.faults.s3_slowdown(nl, times=2)
        proxy.faults.s3_slowdown(wet, times=1)
        shards = f"/{s3_bucket}/datasets/throttled/*/*/part-*.parquet"
        proxy.faults.s3_slowdown(shards, times=2, method="PUT")
        log = tmp_path / "worker.log"
        run = run_on_worker(deployed, spec, log, **s3_server.env(endpoint_url=proxy.url))
        assert run.state.is_completed(), (run.state, log.read_text()[-3000:])
        assert [r.status for r in proxy.requests_for(nl)][:3] == [503, 503, 206]
        assert [r.status for r in proxy.requests_for(wet)][:2] == [503, 206]
        puts = [r.status for r in proxy.requests_for(shards, method="PUT")]
        assert puts.count(503) == 2 and puts.count(200) >= 1, puts
    # read back straight from the S3 server, not through the proxy
    (manifest,) = s3fs.S3FileSystem(skip_instance_cache=True).glob(f"{s3_bucket}/datasets/throttled/*/manifest.json")
    version = f"s3://{manifest.rsplit('/', 1)[0]}"
    assert verify(version) == []
    m = load_manifest(version)
    assert len(m["inputs"]) == 4 and len(m["shards"]) == len(set(s["path"] for s in m["shards"])) > 0
    assert m["languages"]["nl"]["documents"] > 0


def test_s3_input_denied_fails_only_its_unit_and_the_run_names_it(deployed, s3_server, s3_bucket, tmp_path):
    import s3fs

    spec = s3_spec(tmp_path, s3_server, s3_bucket, "denied")
    uk = f"s3://{s3_bucket}/inputs/{WIKI_SAMPLES['uk'].name}"
    with FaultProxy(s3_server.endpoint_url) as proxy:
        proxy.faults.status(f"/{s3_bucket}/inputs/{WIKI_SAMPLES['uk'].name}", 403, times=None)
        log = tmp_path / "worker.log"
        run = run_on_worker(deployed, spec, log, **s3_server.env(endpoint_url=proxy.url))
        assert run.state.is_failed(), (run.state, log.read_text()[-3000:])
    assert f"unit 0002 {uk}: DownloadError: {uk}: access denied (403; not retried)" in run.state.message
    assert "rerun: the 3 finished units are reused" in run.state.message
    # The run's state message and its artifact name the input: both are written through the API
    # before the run ends. (Its logs are not asserted: with Prefect 3.8.8 the last batch of log
    # records of a failing flow-run process is sometimes lost at exit, seen twice in CI.)
    with api(deployed) as client:
        rows = artifacts_of(client, run.id)["dataset-failed-units"]
    assert [(r["unit"], r["input"], r["error"]) for r in rows] == [(2, uk, "DownloadError")]
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    assert len(fs.glob(f"{s3_bucket}/datasets/denied/_work/units/_done/*.json")) == 3
    assert not fs.glob(f"{s3_bucket}/datasets/denied/*/manifest.json")
