"""`manifest.json` of a dataset version: what went in, what came out, and the digests to prove it."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import asdict
from pathlib import Path

from xlm_core import __version__
from xlm_core.io import canonical_json, exists, join, read_json, sha256_file, write_json
from xlm_core.shards.writer import ShardRecord

MANIFEST = "manifest.json"
FORMAT = 1


# The code that decides a dataset's bytes. Training/evaluation code is left out so that
# changing a trainer does not invalidate every dataset.
DATA_CODE = ("document.py", "io.py", "spec.py", "acquire", "extract", "langid", "filters", "dedup",
             "shards", "build")


@functools.cache
def code_version() -> str:
    """Package version + a digest of the data-stage sources: a code change that could change the
    output changes the dataset version, so stale outputs are never mistaken for current ones."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for name in DATA_CODE:
        paths = [root / name] if name.endswith(".py") else sorted((root / name).rglob("*.py"))
        for path in paths:
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"


def dataset_version(spec_sha256: str, input_sha256s: list[str], code: str) -> str:
    """Content address of a build: same spec + same inputs + same code = same version id."""
    h = hashlib.sha256()
    h.update(canonical_json({"spec": spec_sha256, "inputs": sorted(input_sha256s), "code": code}))
    return h.hexdigest()[:16]


def build_manifest(
    *,
    spec: dict,
    spec_sha256: str,
    code: str,
    version: str,
    inputs: list[dict],
    shards: list[ShardRecord],
    counters: dict[str, dict[str, int]],
    languages: dict[str, dict[str, int]],
) -> dict:
    return {
        "format": FORMAT,
        "name": spec["name"],
        "version": version,
        "code_version": code,
        "spec": spec,
        "spec_sha256": spec_sha256,
        "inputs": inputs,
        "shards": [asdict(s) for s in shards],
        "counters": counters,
        "languages": languages,
    }


def manifest_digest(manifest: dict) -> str:
    return hashlib.sha256(canonical_json(manifest)).hexdigest()


def write_manifest(version_dir: str, manifest: dict) -> str:
    uri = join(version_dir, MANIFEST)
    write_json(uri, manifest)
    return uri


def load_manifest(version_dir: str) -> dict:
    uri = join(version_dir, MANIFEST)
    if not exists(uri):
        raise FileNotFoundError(f"no {MANIFEST} in {version_dir}: not a dataset version directory")
    manifest = read_json(uri)
    for key in ("version", "shards", "languages"):
        if key not in manifest:
            raise ValueError(f"{uri}: field {key!r} missing, not an xlm-pipeline manifest")
    return manifest


def verify(version_dir: str) -> list[str]:
    """Re-hash every shard against the manifest. Returns the differences (empty = verified)."""
    manifest = load_manifest(version_dir)
    problems = []
    for shard in manifest["shards"]:
        uri = join(version_dir, shard["path"])
        if not exists(uri):
            problems.append(f"{shard['path']}: missing")
            continue
        digest, size = sha256_file(uri)
        if size != shard["bytes"]:
            problems.append(f"{shard['path']}: size {size} != manifest {shard['bytes']}")
        if digest != shard["sha256"]:
            problems.append(f"{shard['path']}: sha256 {digest} != manifest {shard['sha256']}")
    listed = {s["path"] for s in manifest["shards"]}
    for extra in _parquet_files(version_dir):
        if extra not in listed:
            problems.append(f"{extra}: not in the manifest")
    return problems


def _parquet_files(version_dir: str) -> list[str]:
    from xlm_core.io import fs_and_path

    fs, root = fs_and_path(version_dir)
    found = fs.glob(f"{root.rstrip('/')}/*/part-*.parquet")
    return sorted(p[len(root.rstrip("/")) + 1 :] for p in found)
