"""The one resumable-step mechanism of every stage, data and training alike.

A *step* is one idempotent unit of work of a stage (one group of input files, one hash partition,
one language's sample, one trained vocabulary, ...). It writes its outputs first (each atomically),
then a marker `<stage dir>/_done/<step>.json` holding its small result. The marker's presence is
the only meaning of "done": a killed step leaves no marker and is simply run again.

"Done?" is answered from one listing of `_done/` per stage (`StepMarkers.done()`), never by one
`exists` per step: with 90k steps on S3 that is one LIST call, not 90k HEADs.

A marker may carry a `key` (what decided the step's output: spec content, input checksums, code
version). `result(name, key)` returns the stored result only when the key matches, so a changed
setting reruns the step instead of reusing a stale output."""

from __future__ import annotations

from typing import Any

from xlm_core.io import fs_and_path, join, read_json, write_json

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

    def path(self, name: str) -> str:
        return join(self.dir, f"{_safe(name)}.json")

    def done(self, *, refresh: bool = False) -> set[str]:
        """Names of the finished steps: one listing of the marker folder (cached until `refresh`
        or `mark`)."""
        if self._listed is None or refresh:
            fs, path = fs_and_path(self.dir)
            try:
                entries = fs.ls(path, detail=False)
            except FileNotFoundError:
                entries = []
            names = (e.rstrip("/").rsplit("/", 1)[-1] for e in entries)
            # a local atomic write leaves `x.json.tmp-…` only while it runs: never a marker
            self._listed = {n[: -len(".json")] for n in names if n.endswith(".json")}
        return self._listed

    def is_done(self, name: str) -> bool:
        return name in self.done()

    def read(self, name: str) -> dict:
        return read_json(self.path(name))

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
        if self._listed is not None:
            self._listed.add(name)

    def clear(self) -> None:
        """Forget every marker of this stage (its outputs will be recomputed)."""
        fs, path = fs_and_path(self.dir)
        if fs.exists(path):
            fs.rm(path, recursive=True)
        self._listed = set()


def run_step(markers: StepMarkers, name: str, fn, *args, key: Any = None, **kwargs) -> tuple[Any, bool]:
    """(result, reused): the stored result of a finished step, or `fn(*args, **kwargs)`'s result
    once it returned, marked done. Results must be JSON-able."""
    stored = markers.result(name, key, default=_MISSING)
    if stored is not _MISSING:
        return stored, True
    result = fn(*args, **kwargs)
    markers.mark(name, result, key)
    return result, False


__all__ = ["DONE_DIR", "StepMarkers", "run_step"]
