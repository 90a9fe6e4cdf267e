"""Cross-run caching of the build (flows/caching.py) on the real flow and a real server: which
tasks Prefect recomputes and which it serves `Cached`, counted from the task runs in the API."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

import flows.build_dataset as bd
from flows.caching import with_cross_run_cache
from tests.ops.conftest import tiny_spec
from xlm_core.spec import load_spec

pytestmark = pytest.mark.slow


def _build(spec_path: str, monkeypatch) -> tuple[dict, Counter]:
    """Run the build flow with the cached tasks; (result, Counter of (task kind, state name))."""
    from prefect.task_runners import ThreadPoolTaskRunner

    cached = with_cross_run_cache(load_spec(spec_path), bd.build_unit, bd.write_language, bd.write_manifest)
    for name, task in zip(("build_unit", "write_language", "write_manifest"), cached):
        monkeypatch.setattr(bd, name, task)
    state = bd.build_dataset.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))(
        spec_path, return_state=True)
    result = state.result()
    return result, _task_states(state.state_details.flow_run_id, expected=2 + 2 + 1)


def _task_states(flow_run_id, expected: int, seconds: float = 60) -> Counter:
    """Counter of (task kind, state name) of one flow run's units, languages and manifest. Task
    run states reach the server as events, recorded asynchronously: wait until all are final."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.events.worker import EventsWorker

    EventsWorker.drain_all(timeout=10)
    kinds = {"unit": "unit", "shards": "language", "write-manifest": "manifest"}
    deadline = time.monotonic() + seconds
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            ours = [(kinds[k], r) for r in runs for k in kinds if r.name.startswith(k)]
            if len(ours) >= expected and all(r.state and r.state.is_final() for _, r in ours):
                return Counter((kind, r.state_name) for kind, r in ours)
            if time.monotonic() > deadline:
                raise AssertionError(f"task runs of {flow_run_id} not all recorded: {[(k, r.state_name) for k, r in ours]}")
            time.sleep(0.5)


def _edit(spec_path: str, tmp_path, name: str, **changes) -> str:
    data = yaml.safe_load(Path(spec_path).read_text())
    data.update(changes)
    out = tmp_path / name
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(out)


def test_unchanged_spec_is_served_from_cache_and_changes_recompute_only_downstream(tmp_path, ops_server, monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    spec = tiny_spec(tmp_path, str(tmp_path / "out"), dedup={"exact": {"segment": "line"}})
    with temporary_settings({PREFECT_API_URL: ops_server.api_url}):
        first, n1 = _build(spec, monkeypatch)
        # same content, another path: the key is the spec's content, not where it lives
        moved = shutil.copy(spec, tmp_path / "moved.yaml")
        again, n2 = _build(str(moved), monkeypatch)
        dedup_changed, n3 = _build(_edit(spec, tmp_path, "dedup.yaml", dedup={"exact": {"segment": "paragraph"}}), monkeypatch)
        _, n4 = _build(_edit(spec, tmp_path, "filters.yaml", filters={"defaults": {"min_words": 40}}), monkeypatch)

    assert n1 == {("unit", "Completed"): 2, ("language", "Completed"): 2, ("manifest", "Completed"): 1}
    assert n2 == {("unit", "Cached"): 2, ("language", "Cached"): 2, ("manifest", "Cached"): 1}
    assert again["manifest_sha256"] == first["manifest_sha256"] and again["version"] == first["version"]
    # a dedup setting: the units are reused, the languages and the manifest (new version) recomputed
    assert n3 == {("unit", "Cached"): 2, ("language", "Completed"): 2, ("manifest", "Completed"): 1}
    assert dedup_changed["version"] != first["version"]
    # a filter setting: everything from the units down
    assert n4 == {("unit", "Completed"): 2, ("language", "Completed"): 2, ("manifest", "Completed"): 1}
    # results persisted beside the units, not in ~/.prefect
    results = tmp_path / "out" / "ops" / "_work" / "prefect-results"
    assert len(list(results.iterdir())) == 2 + 2 + 1 + 2 + 1 + 2 + 2 + 1


def test_cached_unit_is_recomputed_after_its_input_file_changes(tmp_path, ops_server, monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    local = tmp_path / "enwiki.xml.bz2"
    shutil.copy(tiny_spec.__globals__["WIKI"] / "enwiki-sample-pages-articles.xml.bz2", local)
    spec = tiny_spec(tmp_path, str(tmp_path / "out"))
    data = yaml.safe_load(Path(spec).read_text())
    data["sources"][0]["files"] = [str(local)]
    Path(spec).write_text(yaml.safe_dump(data))
    with temporary_settings({PREFECT_API_URL: ops_server.api_url}):
        first, n1 = _build(spec, monkeypatch)
        local.touch()  # same bytes, new mtime: Prefect recomputes, our done marker still reuses the unit
        result, n2 = _build(spec, monkeypatch)
    assert n1[("unit", "Completed")] == 2
    assert n2[("unit", "Completed")] == 1 and n2[("unit", "Cached")] == 1
    # ... and the recomputed unit found its done marker: same unit id, nothing rewritten
    assert result["version"] == first["version"]
    assert len(list((tmp_path / "out" / "ops" / "_work" / "units").iterdir())) == 2
