"""Dedup inside the per-language step: exact (CCNet lines/paragraphs + whole documents), then
MinHash near-duplicates, each over the ordered unit files of the language (first occurrence, in
input order, is kept). The stages are resumable on their own (see xlm_core.dedup)."""

from __future__ import annotations

from collections import Counter

from xlm_core.dataset.layout import BuildLayout
from xlm_core.dedup import DedupConfig, run_exact_dedup, run_minhash_dedup
from xlm_core.io import join


def deduplicate(paths: list[str], language: str, section: dict, layout: BuildLayout,
                version: str) -> tuple[list[str], dict[str, dict[str, int]]]:
    """Deduplicated copies of `paths` (same order) and counters per dedup stage."""
    config = DedupConfig.from_spec(section)
    work = join(layout.dataset_dir, "_work", "versions", version, "dedup")
    counters: dict[str, dict[str, int]] = {}
    if config.exact.enabled:
        paths, c = run_exact_dedup(paths, language, work, config.exact)
        counters["dedup_exact"] = _plain(c)
    if config.minhash.enabled:
        paths, c = run_minhash_dedup(paths, language, work, config.minhash)
        counters["dedup_minhash"] = _plain(c)
    return paths, counters


def _plain(c: Counter) -> dict[str, int]:
    return {k: int(v) for k, v in sorted(c.items())}
