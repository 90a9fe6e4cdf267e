"""The whole vocabulary stage in one process (tests, scripts); the Prefect flow runs the same
steps as tasks (count and sample per language, train, export, report)."""

from __future__ import annotations

from xlm_core.io import join, write_json
from xlm_core.shards.manifest import load_manifest
from xlm_core.vocab import sampling
from xlm_core.vocab.config import VocabConfig
from xlm_core.vocab.hf_export import export_hf_tokenizer
from xlm_core.vocab.model import Vocabulary
from xlm_core.vocab.report import build_report, write_report
from xlm_core.vocab.train import train_sentencepiece

REPORT_SENTENCES = 2000  # per language: enough for stable rates, cheap to encode


def language_shards(dataset_dir: str, manifest: dict, languages: tuple[str, ...] | None) -> dict[str, list[str]]:
    """language -> shard URIs (manifest order) for the chosen languages (default: all)."""
    wanted = list(languages) if languages is not None else sorted(manifest["languages"])
    missing = sorted(set(wanted) - set(manifest["languages"]))
    if missing:
        raise ValueError(
            f"vocab.languages: {missing} not in dataset {manifest.get('name')!r} (it has {sorted(manifest['languages'])})"
        )
    out: dict[str, list[str]] = {lang: [] for lang in wanted}
    for shard in manifest["shards"]:
        if shard["language"] in out:
            out[shard["language"]].append(join(dataset_dir, shard["path"]))
    return out


def head_lines(uri: str, n: int) -> list[str]:
    from xlm_core.io import fs_and_path

    fs, path = fs_and_path(uri)
    out = []
    with fs.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            out.append(line.rstrip("\n"))
            if len(out) == n:
                break
    return out


def build_vocab(dataset_dir: str, out_dir: str, config: VocabConfig) -> dict:
    """Sample, train, export and report. Writes under `out_dir`: `sample/{lang}.txt`,
    `vocab/spm.model|.vocab`, `vocab/sampling.json`, `vocab/report.json|.md`, `vocab/hf/`."""
    manifest = load_manifest(dataset_dir)
    shards = language_shards(dataset_dir, manifest, config.languages)
    counts = {lang: sampling.count_sentences(uris) for lang, uris in shards.items()}
    the_plan = sampling.plan(counts, alpha=config.alpha, budget=config.sentences)
    samples = {
        lang: sampling.sample_language(
            lang, uris, available=counts[lang], target=the_plan[lang]["target"], seed=config.seed,
            out_uri=join(out_dir, "sample", f"{lang}.txt"), max_sentence_bytes=config.max_sentence_bytes,
        )
        for lang, uris in shards.items()
    }
    realised = sampling.realised(the_plan, samples)
    vocab_dir = join(out_dir, "vocab")
    write_json(join(vocab_dir, "sampling.json"), {"alpha": config.alpha, "budget": config.sentences,
                                                  "seed": config.seed, "languages": realised})
    trained = train_sentencepiece([s["path"] for s in samples.values()], vocab_dir, config)
    vocab = Vocabulary(trained["model"])
    export_hf_tokenizer(trained["model"], join(vocab_dir, "hf"))
    texts = {lang: head_lines(s["path"], REPORT_SENTENCES) for lang, s in samples.items()}
    report = build_report(vocab, texts, sampling=realised)
    paths = write_report(report, vocab_dir)
    return {**trained, "hf": join(vocab_dir, "hf"), "report": paths, "sampling": realised}
