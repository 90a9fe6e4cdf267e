"""Steps of the vocabulary stage, each resumable through a `xlm_core.steps` marker keyed by its
inputs, and `build_vocab` running them all in one process (tests, scripts). The Prefect flow runs
the same steps as tasks: count and sample per language, train, export, report. The steps of one
`out_dir` share one `StepMarkers(out_dir)` (pass it as `markers=`), so "done?" is one listing.

Output layout under `out_dir`:
  _done/count-{lang}.json, sample-{lang}.json, train.json   step markers (keyed by the inputs)
  sample/{lang}.txt                               α-sampled sentences, one per line
  vocab/spm.model, spm.vocab                      the SentencePiece model
  vocab/sampling.json                             formula vs realised proportions
  vocab/report.json, report.md                    per-language fertility etc.
  vocab/hf/                                       Hugging Face tokenizer folder"""

from __future__ import annotations

import dataclasses

from xlm_core.io import exists, fs_and_path, join, write_json
from xlm_core.shards.manifest import load_manifest
from xlm_core.steps import StepMarkers, run_step
from xlm_core.vocab import sampling
from xlm_core.vocab.config import VocabConfig
from xlm_core.vocab.hf_export import export_hf_tokenizer
from xlm_core.vocab.model import Vocabulary
from xlm_core.vocab.report import build_report, write_report
from xlm_core.vocab.train import train_sentencepiece

REPORT_SENTENCES = 2000  # per language: enough for stable rates, cheap to encode


def language_shards(manifest: dict, languages: tuple[str, ...] | None) -> dict[str, list[dict]]:
    """language -> its shard entries (manifest order) for the chosen languages (default: all)."""
    wanted = list(languages) if languages is not None else sorted(manifest["languages"])
    missing = sorted(set(wanted) - set(manifest["languages"]))
    if missing:
        raise ValueError(
            f"vocab.languages: {missing} not in dataset {manifest.get('name')!r} "
            f"(it has {sorted(manifest['languages'])})"
        )
    out: dict[str, list[dict]] = {lang: [] for lang in wanted}
    for shard in manifest["shards"]:
        if shard["language"] in out:
            out[shard["language"]].append(shard)
    return out


def count_step(
    dataset_dir: str, language: str, shards: list[dict], out_dir: str, *, markers: StepMarkers | None = None
) -> int:
    """Sentences of one language (pass 1), remembered per shard checksums."""
    key = {"shards": [s["sha256"] for s in shards]}
    paths = [join(dataset_dir, s["path"]) for s in shards]
    n, _ = run_step(markers or StepMarkers(out_dir), f"count-{language}", sampling.count_sentences, paths, key=key)
    return n


def sample_step(
    dataset_dir: str,
    language: str,
    shards: list[dict],
    out_dir: str,
    *,
    available: int,
    target: int,
    config: VocabConfig,
    markers: StepMarkers | None = None,
) -> dict:
    """Write `sample/{language}.txt` (pass 2); skipped when its marker matches the inputs."""
    out_uri = join(out_dir, "sample", f"{language}.txt")
    key = {
        "shards": [s["sha256"] for s in shards],
        "available": available,
        "target": target,
        "seed": config.seed,
        "max_sentence_bytes": config.max_sentence_bytes,
    }
    result, _ = run_step(
        markers or StepMarkers(out_dir),
        f"sample-{language}",
        sampling.sample_language,
        language,
        [join(dataset_dir, s["path"]) for s in shards],
        available=available,
        target=target,
        seed=config.seed,
        out_uri=out_uri,
        max_sentence_bytes=config.max_sentence_bytes,
        key=key,
        intact=lambda _: exists(out_uri),
    )
    return result


def train_step(
    samples: dict[str, dict], out_dir: str, config: VocabConfig, *, markers: StepMarkers | None = None
) -> dict:
    """Train (or reuse) `vocab/spm.model` on the sample files."""
    key = {
        "config": {
            **dataclasses.asdict(config),
            "languages": list(config.languages or []),
            "num_threads": config.threads,
        },
        "samples": {lang: s["sha256"] for lang, s in sorted(samples.items())},
    }
    files = [samples[lang]["path"] for lang in sorted(samples)]
    result, _ = run_step(
        markers or StepMarkers(out_dir),
        "train",
        train_sentencepiece,
        files,
        join(out_dir, "vocab"),
        config,
        key=key,
        intact=lambda done: exists(done["model"]),
    )
    return result


def export_step(model: str, out_dir: str) -> str:
    return export_hf_tokenizer(model, join(out_dir, "vocab", "hf"))


def _head_lines(uri: str, n: int) -> list[str]:
    fs, path = fs_and_path(uri)
    out = []
    with fs.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            out.append(line.rstrip("\n"))
            if len(out) == n:
                break
    return out


def report_step(model: str, samples: dict[str, dict], realised: dict, out_dir: str) -> dict:
    """Report on the head of each language's sample; writes report.json/.md, returns the report."""
    vocab = Vocabulary(model)
    texts = {lang: _head_lines(s["path"], REPORT_SENTENCES) for lang, s in samples.items()}
    report = build_report(vocab, texts, sampling=realised)
    write_report(report, join(out_dir, "vocab"))
    return report


def write_sampling(out_dir: str, config: VocabConfig, realised: dict) -> str:
    uri = join(out_dir, "vocab", "sampling.json")
    write_json(uri, {"alpha": config.alpha, "budget": config.sentences, "seed": config.seed, "languages": realised})
    return uri


def build_vocab(dataset_dir: str, out_dir: str, config: VocabConfig) -> dict:
    """Sample, train, export and report in one process. Returns the train record plus `hf`,
    `sampling` (formula vs realised) and `report`."""
    manifest = load_manifest(dataset_dir)
    shards = language_shards(manifest, config.languages)
    markers = StepMarkers(out_dir)
    counts = {lang: count_step(dataset_dir, lang, s, out_dir, markers=markers) for lang, s in shards.items()}
    plan = sampling.plan(counts, alpha=config.alpha, budget=config.sentences)
    samples = {
        lang: sample_step(dataset_dir, lang, s, out_dir, available=counts[lang], target=plan[lang]["target"],
                          config=config, markers=markers)
        for lang, s in shards.items()
    }
    realised = sampling.realised(plan, samples)
    write_sampling(out_dir, config, realised)
    trained = train_step(samples, out_dir, config, markers=markers)
    hf = export_step(trained["model"], out_dir)
    report = report_step(trained["model"], samples, realised, out_dir)
    return {**trained, "hf": hf, "sampling": realised, "report": report}


def configs_from_spec(spec=None, *, vocab_overrides: dict | None = None, seq_len: int | None = None,
                      threads: int | None = None, parallel_files: list[dict] | None = None):
    """(VocabConfig, TokenizeConfig, parallel inputs, ParallelConfig) from a loaded spec's `vocab`,
    `tokenize` and `parallel` sections (none: defaults), with command-line values on top.
    Parallel input paths are resolved against the spec file like every `files:` entry."""
    from xlm_core.parallel.config import ParallelConfig
    from xlm_core.tokenize.config import TokenizeConfig

    vocab_section = spec.section("vocab") if spec else {}
    tok_section = spec.section("tokenize") if spec else {}
    par_section = spec.section("parallel") if spec else {}
    resolve = spec.resolve if spec else (lambda p: p)
    vocab = VocabConfig.from_spec(vocab_section, num_threads=threads, **(vocab_overrides or {}))
    if seq_len:
        tok_section["seq_len"] = seq_len
    if threads is not None:
        tok_section["num_threads"] = threads
    inputs = [
        {"tsv": resolve(i["tsv"])} if "tsv" in i else {"moses": [resolve(p) for p in i["moses"]]}
        for i in par_section.pop("inputs", [])
    ]
    inputs += parallel_files or []
    return vocab, TokenizeConfig.from_spec(tok_section), inputs, ParallelConfig.from_spec(par_section)
