"""Token streams for pretraining: one `.bin`/`.idx` stream per dataset shard (stream.py, shard.py),
a manifest tying them to the vocabulary (manifest.py), and fixed-length packed samples read in
O(1) (pack.py, dataset.py: `PackedDataset`)."""

from xlm_core.tokenize.config import SPEC_SCHEMA, TokenizeConfig

__all__ = ["SPEC_SCHEMA", "TokenizeConfig"]
