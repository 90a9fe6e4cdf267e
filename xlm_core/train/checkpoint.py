"""Checkpoint bookkeeping around DeepSpeed's save/load: tags, a manifest per tag, integrity, pruning.

A tag directory (`step00000040/`) is complete only once rank 0 has written `xlm_manifest.json`
into it after every rank finished saving; a run killed mid-save leaves a tag without a manifest,
which resume skips. The manifest records the model shape, ZeRO stage, world size and a hash of
every file, so a checkpoint of another shape or a corrupt file is refused with a clear message
before DeepSpeed reads it."""

from __future__ import annotations

import os
import re
import shutil

import xxhash

from xlm_core.io import read_json, write_json

MANIFEST = "xlm_manifest.json"
_TAG = re.compile(r"^step(\d{8})$")


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed from (corrupt, incomplete, another shape)."""


def tag_for(step: int) -> str:
    return f"step{step:08d}"


def step_of(tag: str) -> int:
    m = _TAG.match(tag)
    if not m:
        raise CheckpointError(f"{tag!r} is not a checkpoint tag (stepNNNNNNNN)")
    return int(m.group(1))


def all_tags(checkpoint_dir: str) -> list[str]:
    """Tags oldest first, complete or not."""
    if not os.path.isdir(checkpoint_dir):
        return []
    return sorted(t for t in os.listdir(checkpoint_dir) if _TAG.match(t) and os.path.isdir(os.path.join(checkpoint_dir, t)))


def is_complete(checkpoint_dir: str, tag: str) -> bool:
    return os.path.isfile(os.path.join(checkpoint_dir, tag, MANIFEST))


def complete_tags(checkpoint_dir: str) -> list[str]:
    return [t for t in all_tags(checkpoint_dir) if is_complete(checkpoint_dir, t)]


def latest_complete_tag(checkpoint_dir: str) -> str | None:
    tags = complete_tags(checkpoint_dir)
    return tags[-1] if tags else None


def _hash_file(path: str) -> str:
    h = xxhash.xxh3_64()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def _files(tag_dir: str) -> list[str]:
    out = []
    for root, _, names in os.walk(tag_dir):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), tag_dir)
            if rel != MANIFEST:
                out.append(rel)
    return sorted(out)


def write_manifest(checkpoint_dir: str, tag: str, meta: dict) -> None:
    """Rank 0, after a barrier that follows every rank's save: hash the files, mark the tag complete."""
    tag_dir = os.path.join(checkpoint_dir, tag)
    files = {rel: {"size": os.path.getsize(os.path.join(tag_dir, rel)), "xxh3": _hash_file(os.path.join(tag_dir, rel))} for rel in _files(tag_dir)}
    write_json(os.path.join(tag_dir, MANIFEST), {**meta, "tag": tag, "files": files})


def verify(checkpoint_dir: str, tag: str) -> dict:
    """The tag's manifest, after checking every file against it; CheckpointError otherwise."""
    tag_dir = os.path.join(checkpoint_dir, tag)
    if not is_complete(checkpoint_dir, tag):
        raise CheckpointError(f"checkpoint {tag_dir!r} is incomplete (no {MANIFEST}; the run stopped while saving)")
    try:
        meta = read_json(os.path.join(tag_dir, MANIFEST))
    except ValueError as exc:
        raise CheckpointError(f"checkpoint {tag_dir!r}: unreadable {MANIFEST}: {exc}") from exc
    for rel, want in meta["files"].items():
        path = os.path.join(tag_dir, rel)
        if not os.path.isfile(path):
            raise CheckpointError(f"checkpoint {tag_dir!r} is corrupt: {rel} is missing")
        if os.path.getsize(path) != want["size"] or _hash_file(path) != want["xxh3"]:
            raise CheckpointError(f"checkpoint {tag_dir!r} is corrupt: {rel} does not match its recorded hash")
    return meta


def check_compatible(meta: dict, *, model: dict, zero_stage: int, world_size: int, where: str) -> None:
    """Refuse to resume a checkpoint of another model shape, ZeRO stage or world size, naming what differs."""
    diff = {k: (meta["model"].get(k), v) for k, v in model.items() if meta["model"].get(k) != v}
    if diff:
        shown = ", ".join(f"model.{k}: checkpoint {a!r} vs run {b!r}" for k, (a, b) in sorted(diff.items()))
        raise CheckpointError(f"checkpoint {where!r} is from another model shape ({shown})")
    if meta["zero_stage"] != zero_stage or meta["world_size"] != world_size:
        raise CheckpointError(
            f"checkpoint {where!r} was written with zero_stage={meta['zero_stage']} on {meta['world_size']} ranks; "
            f"this run has zero_stage={zero_stage} on {world_size} ranks (ZeRO shards only reload on the same layout; "
            "export it and start a new run instead)"
        )


def prune(checkpoint_dir: str, keep_last: int) -> list[str]:
    """Delete all but the newest `keep_last` complete tags, and incomplete tags older than the newest
    complete one. Returns the deleted tags."""
    complete = complete_tags(checkpoint_dir)
    if not complete:
        return []
    newest = complete[-1]
    doomed = complete[:-keep_last] if keep_last > 0 else []
    doomed += [t for t in all_tags(checkpoint_dir) if t < newest and t not in complete]
    for t in doomed:
        shutil.rmtree(os.path.join(checkpoint_dir, t), ignore_errors=True)
    return sorted(doomed)
