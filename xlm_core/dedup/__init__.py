"""Exact (CCNet) and near-duplicate (MinHash LSH) dedup, staged over source groups and hash
partitions.

See exact.py and minhash.py for the stages; `run_exact_dedup` / `run_minhash_dedup` chain them
in-process."""

from .config import SPEC_SCHEMA, DedupConfig, ExactDedupConfig, MinHashConfig
from .exact import exact_find_duplicates, exact_remove, exact_signatures, run_exact_dedup
from .minhash import minhash_buckets, minhash_remove, minhash_signatures, run_minhash_dedup

__all__ = [
    "SPEC_SCHEMA", "DedupConfig", "ExactDedupConfig", "MinHashConfig",
    "exact_signatures", "exact_find_duplicates", "exact_remove", "run_exact_dedup",
    "minhash_signatures", "minhash_buckets", "minhash_remove", "run_minhash_dedup",
]
