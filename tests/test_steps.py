"""xlm_core/steps.py: done markers under `<stage>/_done/`, reuse only for the same key, "done?"
answered from one listing, on a local folder and on a real S3 API (moto server on 127.0.0.1)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.servers import moto_server, s3_bucket, s3_server  # noqa: F401
from xlm_core import steps
from xlm_core.io import exists, fs_and_path, join, write_bytes
from xlm_core.steps import StepMarkers, run_step


@pytest.fixture(params=["local", "s3"])
def stage_dir(request, tmp_path) -> str:
    if request.param == "local":
        return str(tmp_path / "stage")
    return f"s3://{request.getfixturevalue('s3_bucket')}/runs/stage"


class Calls:
    """Counts the filesystem calls StepMarkers makes (it reaches storage only through fs_and_path)."""

    def __init__(self, monkeypatch):
        self.count: Counter = Counter()

        def counting(uri):
            fs, path = fs_and_path(uri)
            return _Counting(fs, self.count), path

        monkeypatch.setattr(steps, "fs_and_path", counting)


class _Counting:
    def __init__(self, fs, count: Counter):
        self._fs, self._count = fs, count

    def __getattr__(self, name):
        attr = getattr(self._fs, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            self._count[name] += 1
            return attr(*args, **kwargs)

        return call


def test_run_step_runs_once_then_reuses_the_stored_result(stage_dir):
    ran = []

    def work(x, *, y):
        ran.append(x)
        return {"sum": x + y}

    assert run_step(StepMarkers(stage_dir), "a", work, 1, y=2) == ({"sum": 3}, False)
    assert run_step(StepMarkers(stage_dir), "a", work, 1, y=2) == ({"sum": 3}, True)
    assert ran == [1]
    assert StepMarkers(stage_dir).done() == {"a"}
    assert exists(join(stage_dir, "_done", "a.json"))


def test_result_with_another_key_is_not_reused(stage_dir):
    markers = StepMarkers(stage_dir)
    markers.mark("train", {"model": "m1"}, key={"seed": 1})
    assert markers.result("train", {"seed": 1}) == {"model": "m1"}
    assert markers.result("train", {"seed": 2}) is None
    assert markers.result("train", {"seed": 2}, default="missing") == "missing"
    assert run_step(markers, "train", lambda: {"model": "m2"}, key={"seed": 2}) == ({"model": "m2"}, False)
    assert StepMarkers(stage_dir).result("train", {"seed": 2}) == {"model": "m2"}
    assert StepMarkers(stage_dir).result("train", {"seed": 1}) is None


def test_a_falsy_result_is_a_result(stage_dir):
    markers = StepMarkers(stage_dir)
    assert run_step(markers, "count", lambda: 0, key="k") == (0, False)
    assert run_step(StepMarkers(stage_dir), "count", lambda: 1 / 0, key="k") == (0, True)


def test_failed_step_leaves_no_marker_and_a_stale_one_is_dropped_before_rerunning(stage_dir):
    markers = StepMarkers(stage_dir)
    markers.mark("sample", "old", key="A")

    def killed():
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        run_step(markers, "sample", killed, key="B")
    # the outputs may be half rewritten for B: the marker for A must not vouch for them any more
    assert StepMarkers(stage_dir).done() == set()
    assert run_step(StepMarkers(stage_dir), "sample", lambda: "new", key="A") == ("new", False)


def test_intact_check_decides_whether_a_stored_result_is_reused(stage_dir):
    markers = StepMarkers(stage_dir)
    markers.mark("export", {"path": "gone"}, key="k")
    result, reused = run_step(markers, "export", lambda: {"path": "here"}, key="k", intact=lambda r: r["path"] == "here")
    assert (result, reused) == ({"path": "here"}, False)
    assert run_step(markers, "export", lambda: 1 / 0, key="k", intact=lambda r: r["path"] == "here")[1]


def test_done_is_one_listing_for_many_steps_and_no_per_step_exists(stage_dir, monkeypatch):
    names = [f"de.part-{i:05d}" for i in range(40)]
    for name in names[::2]:
        StepMarkers(stage_dir).mark(name, {"n": name}, key="v1")
    calls = Calls(monkeypatch)
    markers = StepMarkers(stage_dir)
    outcome = {name: run_step(markers, name, lambda n=name: {"n": n}, key="v1")[1] for name in names}
    assert outcome == {name: i % 2 == 0 for i, name in enumerate(names)}
    assert calls.count["ls"] == 1
    assert not calls.count.keys() & {"exists", "info", "isfile", "isdir", "glob", "find"}
    assert calls.count["cat_file"] == len(names) // 2  # one read per reused step, none per new one


def test_refresh_sees_steps_marked_by_another_worker(stage_dir):
    mine = StepMarkers(stage_dir)
    assert mine.done() == set()
    StepMarkers(stage_dir).mark("other", 1)
    assert mine.done() == set()  # cached: a stage lists once
    assert mine.done(refresh=True) == {"other"}


def test_temp_files_of_an_unfinished_write_are_not_markers(stage_dir):
    write_bytes(join(stage_dir, "_done", "half.json.tmp-1a2b3c4d"), b"{")
    write_bytes(join(stage_dir, "_done", "whole.json"), b'{"step": "whole", "result": null}')
    assert StepMarkers(stage_dir).done() == {"whole"}


def test_forget_and_clear(stage_dir):
    markers = StepMarkers(stage_dir)
    for name in ("a", "b"):
        markers.mark(name)
    markers.forget("a")
    markers.forget("never-done")
    assert markers.done() == StepMarkers(stage_dir).done() == {"b"}
    markers.clear()
    assert markers.done() == StepMarkers(stage_dir).done() == set()
    fs, path = fs_and_path(join(stage_dir, "_done"))
    assert not fs.exists(path)


@pytest.mark.parametrize("name", ["", "de/part-00000", ".hidden"])
def test_step_names_are_single_path_components(name, tmp_path):
    with pytest.raises(ValueError, match="step name"):
        StepMarkers(str(tmp_path)).mark(name)
