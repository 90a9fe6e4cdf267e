"""The whole tokenize stage in one process (tests, benchmarks, scripts); the Prefect flow maps
`tokenize_shard` over shards as separate tasks and then writes the same manifest. The shards
share one `StepMarkers(out_root)`: one listing of `{out_root}/_done/` answers "done?" for all."""

from __future__ import annotations

from xlm_core.shards.manifest import load_manifest
from xlm_core.steps import StepMarkers
from xlm_core.tokenize.config import TokenizeConfig
from xlm_core.tokenize.manifest import build_token_manifest, write_token_manifest
from xlm_core.tokenize.shard import tokenize_shard
from xlm_core.vocab.model import Vocabulary


def select_shards(dataset_manifest: dict, languages: list[str] | tuple[str, ...] | None) -> list[dict]:
    shards = dataset_manifest["shards"]
    if languages is None:
        return list(shards)
    missing = sorted(set(languages) - set(dataset_manifest["languages"]))
    if missing:
        raise ValueError(
            f"languages {missing} are not in dataset {dataset_manifest.get('name')!r} "
            f"(it has {sorted(dataset_manifest['languages'])})"
        )
    return [s for s in shards if s["language"] in set(languages)]


def tokenize_dataset(
    dataset_dir: str,
    out_root: str,
    vocab: Vocabulary | str,
    config: TokenizeConfig = TokenizeConfig(),
    *,
    languages: list[str] | None = None,
) -> dict:
    """Tokenize every shard of the dataset version at `dataset_dir` into `out_root`; returns the manifest."""
    vocab = vocab if isinstance(vocab, Vocabulary) else Vocabulary(vocab)
    manifest = load_manifest(dataset_dir)
    markers = StepMarkers(out_root)
    records = [
        tokenize_shard(dataset_dir, s, out_root, vocab, config, markers=markers)
        for s in select_shards(manifest, languages)
    ]
    token_manifest = build_token_manifest(manifest, vocab, records, seq_len=config.seq_len)
    write_token_manifest(out_root, token_manifest)
    return token_manifest
