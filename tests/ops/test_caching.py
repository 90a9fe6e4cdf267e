"""Cross-run caching of the build (flows/caching.py) on the real flow and a real server: which
tasks Prefect recomputes and which it serves `Cached`, counted from the task runs in the API."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.ops.conftest import WIKI, run_builds, tiny_spec

pytestmark = pytest.mark.slow

# task run name prefix -> kind: the input groups, the plan, the dedup/shard stage steps, the manifest
KINDS = {"units-": "unit", "plan-stages": "plan", "exact-": "dedup", "minhash-": "dedup", "shards-": "shards",
         "write-manifest": "manifest"}


def _task_states(server, flow_run_id: str, expected: int = 2 + 1 + 1, seconds: float = 60) -> Counter:
    """Counter of (task kind, state name) of one flow run's cacheable tasks. Task run states reach
    the server as events, recorded asynchronously: wait until all are final."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    deadline = time.monotonic() + seconds
    previous = None
    with temporary_settings({PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            ours = [(KINDS[k], r) for r in runs for k in KINDS if r.name.startswith(k)]
            final = len(ours) >= expected and all(r.state and r.state.is_final() for _, r in ours)
            if final and any(kind == "manifest" for kind, _ in ours):
                counts = Counter((kind, r.state_name) for kind, r in ours)
                if counts == previous:  # unchanged over one poll: every event has arrived
                    return counts
                previous = counts
            if time.monotonic() > deadline:
                raise AssertionError(f"task runs of {flow_run_id} not all recorded: {[(k, r.state_name) for k, r in ours]}")
            time.sleep(0.5)


def _edit(spec_path: str, tmp_path: Path, name: str, **changes) -> str:
    data = yaml.safe_load(Path(spec_path).read_text())
    data.update(changes)
    out = tmp_path / name
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(out)


def test_unchanged_spec_is_served_from_cache_and_changes_recompute_only_downstream(tmp_path, ops_server):
    spec = tiny_spec(tmp_path, str(tmp_path / "out"), dedup={"exact": {"segment": "line"}})
    # same content at another path: the key is the spec's content, not where it lives
    moved = str(shutil.copy(spec, tmp_path / "moved.yaml"))
    dedup = _edit(spec, tmp_path, "dedup.yaml", dedup={"exact": {"segment": "paragraph"}})
    filters = _edit(spec, tmp_path, "filters.yaml", filters={"defaults": {"min_words": 40}})
    first, again, dedup_changed, _ = runs = run_builds(ops_server, spec, moved, dedup, filters, cache=True)
    assert [r["state"] for r in runs] == ["COMPLETED"] * 4
    n1, n2, n3, n4 = (_task_states(ops_server, r["flow_run_id"]) for r in runs)

    kinds = {k for k, _ in n1}
    assert kinds == {"unit", "plan", "dedup", "shards", "manifest"} and n1[("unit", "Completed")] == 2
    assert set(n1.values()) and all(state == "Completed" for _, state in n1)
    assert n2 == Counter({(k, "Cached"): n for (k, _), n in n1.items()})
    assert again["result"]["manifest_sha256"] == first["result"]["manifest_sha256"]
    # a dedup setting: the units are reused, the stages and the manifest (new version) recomputed
    assert n3[("unit", "Cached")] == 2 and {s for (k, s) in n3 if k != "unit"} == {"Completed"}
    assert dedup_changed["result"]["version"] != first["result"]["version"]
    # a filter setting: everything from the units down
    assert {s for (_, s) in n4} == {"Completed"} and n4[("unit", "Completed")] == 2
    # results persisted beside the units, not in ~/.prefect: one per computed task run
    results = tmp_path / "out" / "ops" / "_work" / "prefect-results"
    computed = sum(n for c in (n1, n2, n3, n4) for (_, state), n in c.items() if state == "Completed")
    assert len(list(results.iterdir())) == computed


def test_cached_unit_is_recomputed_after_its_input_file_changes(tmp_path, ops_server):
    local = tmp_path / "enwiki.xml.bz2"
    shutil.copy(WIKI / "enwiki-sample-pages-articles.xml.bz2", local)
    spec = tiny_spec(tmp_path, str(tmp_path / "out"))
    data = yaml.safe_load(Path(spec).read_text())
    data["sources"][0]["files"] = [str(local)]
    Path(spec).write_text(yaml.safe_dump(data))
    (first,) = run_builds(ops_server, spec, cache=True)
    local.touch()  # same bytes, new mtime: Prefect recomputes, our done marker still reuses the unit
    (second,) = run_builds(ops_server, spec, cache=True)
    n1, n2 = (_task_states(ops_server, r["flow_run_id"]) for r in (first, second))
    assert n1[("unit", "Completed")] == 2
    assert n2[("unit", "Completed")] == 1 and n2[("unit", "Cached")] == 1
    # ... and the recomputed unit found its done marker: same unit id, nothing rewritten
    assert second["result"]["version"] == first["result"]["version"]
    assert len(list((tmp_path / "out" / "ops" / "_work" / "units" / "_done").iterdir())) == 2
