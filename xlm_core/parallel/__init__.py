"""Parallel sentences for TLM: read Tatoeba-style TSV and Moses file pairs (ingest.py), language-check,
deduplicate and length-filter them (clean.py), write Parquet per language pair (stage.py),
tokenize into aligned streams (tokenize.py) read by `PairDataset` (dataset.py)."""

from xlm_core.parallel.config import SPEC_SCHEMA, ParallelConfig

__all__ = ["SPEC_SCHEMA", "ParallelConfig"]
