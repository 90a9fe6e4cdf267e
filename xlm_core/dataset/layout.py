"""Where a build puts things, derived from the spec's `output` and `name`."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from xlm_core.io import is_local, join


@dataclass(frozen=True, slots=True)
class BuildLayout:
    """`{output}/{name}/{version}/{lang}/part-NNNNN.parquet` + `manifest.json` is the dataset;
    `{output}/{name}/_work/` holds resumable intermediate units; downloads go to `cache_dir`."""

    output: str
    name: str
    cache_dir: str
    keep_cache: bool = False
    """`download.keep_cache`: keep a remote input in `cache_dir` after its unit is done (default:
    delete it then, keeping only its receipt, so the cache holds the inputs in flight)."""

    @classmethod
    def from_spec(cls, spec) -> "BuildLayout":
        cache = spec.section("download").get("cache_dir")
        if cache:
            cache = spec.resolve(cache) if "://" not in cache else cache
        elif is_local(spec.output):
            cache = join(spec.output, "_downloads")
        else:
            # Downloads are read back many times: keep them on local disk, not in the bucket.
            cache = os.path.join(os.path.expanduser("~"), ".cache", "xlm-pipeline", "downloads")
        keep = bool(spec.section("download").get("keep_cache", False))
        return cls(output=spec.output, name=spec.name, cache_dir=cache, keep_cache=keep)

    @property
    def dataset_dir(self) -> str:
        return join(self.output, self.name)

    @property
    def units_dir(self) -> str:
        """Stage dir of the units: `<unit_id>/` outputs and `_done/<unit_id>.json` markers."""
        return join(self.dataset_dir, "_work", "units")

    def unit_dir(self, unit_id: str) -> str:
        return join(self.units_dir, unit_id)

    def cache_path(self, uri: str) -> str:
        """Where the remote input `uri` is downloaded to (its receipt sits beside it)."""
        return join(self.cache_dir, hashlib.sha256(uri.encode()).hexdigest()[:16], os.path.basename(uri))

    def version_dir(self, version: str) -> str:
        return join(self.dataset_dir, version)

    def language_marker(self, version: str, language: str) -> str:
        return join(self.dataset_dir, "_work", "versions", version, f"{language}.done.json")
