"""Where a build puts things, derived from the spec's `output` and `name`."""

from __future__ import annotations

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
        return cls(output=spec.output, name=spec.name, cache_dir=cache)

    @property
    def dataset_dir(self) -> str:
        return join(self.output, self.name)

    def unit_dir(self, unit_id: str) -> str:
        return join(self.dataset_dir, "_work", "units", unit_id)

    def version_dir(self, version: str) -> str:
        return join(self.dataset_dir, version)

    def language_marker(self, version: str, language: str) -> str:
        return join(self.dataset_dir, "_work", "versions", version, f"{language}.done.json")
