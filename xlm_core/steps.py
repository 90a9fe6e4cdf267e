"""The one resumable-step mechanism of every stage, data and training alike.

A *step* is one idempotent unit of work of a stage (one group of input files, one hash partition,
one language's sample, one trained vocabulary, ...). It writes its outputs first (each atomically),
then a marker `<stage dir>/_done/<step>.json` holding its small result. The marker's presence is
the only meaning of "done": a killed step leaves no marker and is simply run again.

"Done?" is answered from one listing of `_done/` per stage (`StepMarkers.done()`), never by one
`exists` per step: with 90k steps on S3 that is one LIST call, not 90k HEADs. So a stage makes one
`StepMarkers` and shares it across its steps (threads included).

A marker may carry a `key` (what decided the step's output: spec content, input checksums, code
version). `result(name, key)` returns the stored result only when the key matches, so a changed
setting reruns the step instead of reusing a stale output. A step about to run again drops its
old marker first: its outputs are rewritten in place, and a marker for other settings must not
vouch for half-rewritten files if the run is killed."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from xlm_core.io import fs_and_path, join, write_json

DONE_DIR = "_done"
_MISSING = object()


def _safe(name: str) -> str:
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"step name {name!r}: expected a non-empty name without '/'")
    return name


class StepMarkers:
    """Done markers of the steps of one stage, under `stage_dir/_done/`."""

    def __init__(self, stage_dir: str):
        self.stage_dir = stage_dir
        self.dir = join(stage_dir, DONE_DIR)
        self._listed: set[str] | None = None
        self._lock = threading.Lock()  # concurrent first calls list once

    def __getstate__(self) -> dict:  # picklable for process-based task runners (no lock)
        return {"stage_dir": self.stage_dir, "dir": self.dir, "_listed": self._listed}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def path(self, name: str) -> str:
        return join(self.dir, f"{_safe(name)}.json")

    def _names(self, refresh: bool = False) -> set[str]:
        with self._lock:
            if self._listed is None or refresh:
                fs, path = fs_and_path(self.dir)
                fs.invalidate_cache(path)  # s3fs caches listings: another process may have marked steps
                try:
                    entries = fs.ls(path, detail=False)
                except FileNotFoundError:
                    entries = []
                names = (e.rstrip("/").rsplit("/", 1)[-1] for e in entries)
                # an atomic write leaves `x.json.tmp-…` only while it runs: never a marker
                self._listed = {n[: -len(".json")] for n in names if n.endswith(".json")}
            return self._listed

    def done(self, *, refresh: bool = False) -> frozenset[str]:
        """Names of the finished steps: one listing of the marker folder (cached until `refresh`;
        `mark` and `forget` keep the cache current)."""
        return frozenset(self._names(refresh))

    def is_done(self, name: str) -> bool:
        return name in self._names()

    def read(self, name: str) -> dict:
        fs, path = fs_and_path(self.path(name))
        return json.loads(fs.cat_file(path))  # one GET: open() would HEAD the object first

    def result(self, name: str, key: Any = None, default: Any = None) -> Any:
        """The stored result of step `name`, or `default` when it is not done or was done with
        another `key` (then it must run again)."""
        if not self.is_done(name):
            return default
        marker = self.read(name)
        if key is not None and marker.get("key") != key:
            return default
        return marker.get("result")

    def mark(self, name: str, result: Any = None, key: Any = None) -> None:
        """Record step `name` as done. Call it last, after every output of the step is written."""
        payload = {"step": name, "result": result}
        if key is not None:
            payload["key"] = key
        write_json(self.path(name), payload)
        with self._lock:
            if self._listed is not None:
                self._listed.add(name)

    def forget(self, name: str) -> None:
        """Drop the marker of step `name` (no-op when it is not done): call it before rewriting the
        step's outputs, so that no marker vouches for them until the step is marked again."""
        if not self.is_done(name):
            return
        fs, path = fs_and_path(self.path(name))
        try:
            fs.rm(path)
        except FileNotFoundError:  # another worker forgot it first
            pass
        with self._lock:
            self._listed.discard(name)

    def clear(self) -> None:
        """Forget every marker of this stage (its outputs will be recomputed)."""
        fs, path = fs_and_path(self.dir)
        if fs.exists(path):
            fs.rm(path, recursive=True)
        with self._lock:
            self._listed = set()


def run_step(
    markers: StepMarkers,
    name: str,
    fn: Callable[..., Any],
    *args,
    key: Any = None,
    intact: Callable[[Any], bool] | None = None,
    **kwargs,
) -> tuple[Any, bool]:
    """(result, reused): the stored result of a finished step, or `fn(*args, **kwargs)`'s result
    once it returned, marked done. Results must be JSON-able.

    `intact(result)`, when given, must also hold for a stored result to be reused: a cheap check
    that the outputs it names are still there (a person may have deleted or truncated them)."""
    stored = markers.result(name, key, default=_MISSING)
    if stored is not _MISSING and (intact is None or intact(stored)):
        return stored, True
    markers.forget(name)
    result = fn(*args, **kwargs)
    markers.mark(name, result, key)
    return result, False


__all__ = ["DONE_DIR", "StepMarkers", "run_step"]
