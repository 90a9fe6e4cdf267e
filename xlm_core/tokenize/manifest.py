"""`manifest.json` of a token stream directory (what `PackedDataset` opens)."""

from __future__ import annotations

import hashlib

import numpy as np

from xlm_core import __version__
from xlm_core.io import canonical_json, join, write_json
from xlm_core.tokenize.dataset import MANIFEST, MANIFEST_KIND
from xlm_core.vocab.model import Vocabulary

FORMAT = 1


def vocab_entry(vocab: Vocabulary) -> dict:
    return {
        "sha256": vocab.sha256,
        "spm_size": vocab.spm_size,
        "vocab_size": vocab.size,
        "model_type": vocab.model_type,
        "byte_fallback": vocab.byte_fallback,
    }


def build_token_manifest(
    dataset_manifest: dict, vocab: Vocabulary, shard_records: list[dict], *, seq_len: int = 512
) -> dict:
    """Manifest over the shard markers of `tokenize_shard` (order-independent: sorted by stream)."""
    shards = sorted(
        ({k: v for k, v in r.items() if k != "skipped"} for r in shard_records), key=lambda r: r["stream"]["bin"]
    )
    languages: dict[str, dict[str, int]] = {}
    for r in shards:
        lang = languages.setdefault(r["language"], {"documents": 0, "tokens": 0, "shards": 0})
        lang["documents"] += r["stream"]["documents"]
        lang["tokens"] += r["stream"]["tokens"]
        lang["shards"] += 1
    return {
        "kind": MANIFEST_KIND,
        "format": FORMAT,
        "code_version": __version__,
        "dataset": {
            "name": dataset_manifest.get("name"),
            "version": dataset_manifest.get("version"),
            "manifest_sha256": hashlib.sha256(canonical_json(dataset_manifest)).hexdigest(),
        },
        "vocab": vocab_entry(vocab),
        "dtype": np.dtype(vocab.dtype).name,
        "seq_len": seq_len,  # PackedDataset's default sample length
        "layout": "each document is followed by </s>; samples prepend <s> (see xlm_core/tokenize/pack.py)",
        "shards": shards,
        "languages": dict(sorted(languages.items())),
        "totals": {
            "documents": sum(v["documents"] for v in languages.values()),
            "tokens": sum(v["tokens"] for v in languages.values()),
        },
    }


def write_token_manifest(out_root: str, manifest: dict) -> str:
    uri = join(out_root, MANIFEST)
    write_json(uri, manifest)
    return uri
