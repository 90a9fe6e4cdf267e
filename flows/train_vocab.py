"""Prefect flow: dataset shards -> α-sampled sentences -> shared SentencePiece vocabulary
(+ Hugging Face tokenizer folder and per-language report) -> token streams, and parallel
corpora -> cleaned pairs -> TLM pair streams.

Thin on purpose: every task is one call into `xlm_core.vocab` / `.tokenize` / `.parallel`;
tasks pass paths and small records. Each step is resumable on its own (`xlm_core.steps` markers
keyed by its inputs; one `StepMarkers` per stage, shared by its tasks, lists `_done/` once), so
Prefect's result cache is not used."""

from __future__ import annotations

import argparse

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from xlm_core.io import join
from xlm_core.parallel.config import ParallelConfig
from xlm_core.shards.manifest import load_manifest
from xlm_core.steps import StepMarkers
from xlm_core.tokenize.config import TokenizeConfig
from xlm_core.vocab import sampling, stage
from xlm_core.vocab.config import VocabConfig
from xlm_core.vocab.report import to_markdown


@task(name="count-sentences", task_run_name="count-{language}", cache_policy=NO_CACHE)
def count_language(dataset_dir: str, language: str, shards: list[dict], out_dir: str, markers: StepMarkers) -> int:
    return stage.count_step(dataset_dir, language, shards, out_dir, markers=markers)


@task(name="sample-sentences", task_run_name="sample-{language}", cache_policy=NO_CACHE)
def sample_language(
    dataset_dir: str,
    language: str,
    shards: list[dict],
    out_dir: str,
    available: int,
    target: int,
    config: VocabConfig,
    markers: StepMarkers,
) -> dict:
    return stage.sample_step(
        dataset_dir, language, shards, out_dir, available=available, target=target, config=config, markers=markers
    )


@task(name="train-sentencepiece", cache_policy=NO_CACHE)
def train(samples: dict[str, dict], out_dir: str, config: VocabConfig, markers: StepMarkers) -> dict:
    return stage.train_step(samples, out_dir, config, markers=markers)


@task(name="export-hf-tokenizer", cache_policy=NO_CACHE)
def export(model: str, out_dir: str) -> str:
    return stage.export_step(model, out_dir)


@task(name="vocab-report", cache_policy=NO_CACHE)
def report(model: str, samples: dict[str, dict], realised: dict, out_dir: str) -> dict:
    return stage.report_step(model, samples, realised, out_dir)


@task(name="tokenize-shard", task_run_name="tokenize-{shard[path]}", retries=1, cache_policy=NO_CACHE)
def tokenize_shard(
    dataset_dir: str, shard: dict, out_root: str, model: str, config: TokenizeConfig, markers: StepMarkers
) -> dict:
    from xlm_core.tokenize.shard import tokenize_shard as run
    from xlm_core.vocab.model import Vocabulary

    return run(dataset_dir, shard, out_root, Vocabulary(model), config, markers=markers)


@task(name="tokenize-manifest", cache_policy=NO_CACHE)
def tokenize_manifest(dataset_dir: str, model: str, records: list[dict], out_root: str, seq_len: int) -> dict:
    from xlm_core.tokenize.manifest import build_token_manifest, write_token_manifest
    from xlm_core.vocab.model import Vocabulary

    manifest = build_token_manifest(load_manifest(dataset_dir), Vocabulary(model), records, seq_len=seq_len)
    write_token_manifest(out_root, manifest)
    return manifest


@task(name="ingest-parallel", cache_policy=NO_CACHE)
def ingest_parallel(inputs: list[dict], out_dir: str, config: ParallelConfig) -> dict:
    from xlm_core.parallel.stage import ingest_parallel as run

    return run(inputs, out_dir, config)


@task(name="tokenize-pairs", cache_policy=NO_CACHE)
def tokenize_pairs(parallel_dir: str, out_root: str, model: str) -> dict:
    from xlm_core.parallel.tokenize import tokenize_pairs as run

    return run(parallel_dir, out_root, model)


def _artifacts(rep: dict, realised: dict, tokens: dict | None, pairs: dict | None) -> None:
    rows = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in rep["languages"]]
    create_table_artifact(key="vocab-fertility", table=rows, description="tokens per word, unk/byte rates, vocab share")
    create_table_artifact(
        key="vocab-alpha-sampling",
        table=[
            {
                "language": lang,
                "available": s["available"],
                "formula_share": round(s["formula_share"], 4),
                "sampled": s["sampled"],
                "realised_share": round(s["realised_share"], 4),
            }
            for lang, s in sorted(realised.items())
        ],
        description="α-sampling: formula vs realised proportions",
    )
    create_markdown_artifact(key="vocab-report", markdown=to_markdown(rep), description="vocabulary report")
    if tokens:
        create_table_artifact(
            key="tokens-per-language",
            table=[{"language": lang, **v} for lang, v in tokens["languages"].items()],
            description="documents and tokens per language in the token streams",
        )
    if pairs:
        create_table_artifact(
            key="parallel-pairs",
            table=[{"pair": p, **c} for p, c in pairs["counters"].items()],
            description="parallel pairs read / kept / dropped by reason",
        )


@flow(name="train_vocab", log_prints=True)
def train_vocab(
    dataset_dir: str,
    out_dir: str,
    config: VocabConfig,
    tokenize: bool = True,
    tokenize_config: TokenizeConfig = TokenizeConfig(),
    parallel_inputs: list[dict] | None = None,
    parallel_config: ParallelConfig = ParallelConfig(),
) -> dict:
    """Vocabulary for the dataset version at `dataset_dir`, written under `out_dir`."""
    logger = get_run_logger()
    manifest = load_manifest(dataset_dir)
    shards = stage.language_shards(manifest, config.languages)
    markers = StepMarkers(out_dir)  # one listing of `_done/` for every count, sample and train step
    count_f = {lang: count_language.submit(dataset_dir, lang, s, out_dir, markers) for lang, s in shards.items()}
    counts = {lang: f.result() for lang, f in count_f.items()}
    plan = sampling.plan(counts, alpha=config.alpha, budget=config.sentences)
    sample_f = {
        lang: sample_language.submit(dataset_dir, lang, s, out_dir, counts[lang], plan[lang]["target"], config, markers)
        for lang, s in shards.items()
    }
    samples = {lang: f.result() for lang, f in sample_f.items()}
    realised = sampling.realised(plan, samples)
    stage.write_sampling(out_dir, config, realised)
    trained = train(samples, out_dir, config, markers)
    hf = export(trained["model"], out_dir)
    rep = report(trained["model"], samples, realised, out_dir)
    logger.info("vocabulary %s: %d ids, sha256 %s", trained["model"], trained["vocab_size"], trained["sha256"][:12])

    tokens = pairs = None
    result = {**trained, "hf": hf, "report": join(out_dir, "vocab", "report.md")}
    if tokenize:
        out_root = join(out_dir, "tokens")
        token_markers = StepMarkers(out_root)  # one listing for all shards
        futures = [
            tokenize_shard.submit(dataset_dir, s, out_root, trained["model"], tokenize_config, token_markers)
            for lang_shards in shards.values()
            for s in lang_shards
        ]
        tokens = tokenize_manifest(
            dataset_dir, trained["model"], [f.result() for f in futures], out_root, tokenize_config.seq_len
        )
        result["tokens"] = out_root
        result["token_totals"] = tokens["totals"]
    if parallel_inputs:
        pairs = ingest_parallel(parallel_inputs, join(out_dir, "parallel"), parallel_config)
        tokenize_pairs(join(out_dir, "parallel"), join(out_dir, "tokens-parallel"), trained["model"])
        result["parallel"] = join(out_dir, "parallel")
        result["pair_tokens"] = join(out_dir, "tokens-parallel")
    _artifacts(rep, realised, tokens, pairs)
    return result


def configs_from_args(args: argparse.Namespace) -> tuple[VocabConfig, TokenizeConfig, list[dict], ParallelConfig]:
    """Spec sections (if --spec) with the command-line values on top."""
    spec = None
    if args.spec:
        from xlm_core.spec import load_spec

        spec = load_spec(args.spec)
    overrides = {"vocab_size": args.vocab_size, "alpha": args.alpha, "model_type": args.model_type,
                 "sentences": args.sentences, "seed": args.seed}
    files = [{"tsv": p} for p in args.parallel or []] + [{"moses": list(pair)} for pair in args.parallel_moses or []]
    return stage.configs_from_spec(spec, vocab_overrides=overrides, seq_len=args.seq_len, threads=args.threads,
                                   parallel_files=files)


def _cli(args: argparse.Namespace) -> int:
    vocab, tok, inputs, par = configs_from_args(args)
    load_manifest(args.dataset)  # not a dataset version: fail before Prefect starts anything
    runner = ThreadPoolTaskRunner(max_workers=args.workers)
    result = train_vocab.with_options(task_runner=runner)(
        args.dataset,
        args.out,
        vocab,
        tokenize=not args.no_tokenize,
        tokenize_config=tok,
        parallel_inputs=inputs,
        parallel_config=par,
    )
    print(f"vocabulary: {result['model']} ({result['vocab_size']} ids, sha256 {result['sha256']})")
    print(f"tokenizer:  {result['hf']}")
    print(f"report:     {result['report']}")
    if "tokens" in result:
        print(f"tokens:     {result['tokens']} ({result['token_totals']['tokens']} tokens)")
    if "pair_tokens" in result:
        print(f"pairs:      {result['pair_tokens']}")
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    d = VocabConfig()
    p = sub.add_parser(
        "vocab",
        help="train the shared vocabulary and tokenize the dataset into training streams",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Sample sentences of every language of DATASET with p ∝ n^alpha, train a SentencePiece\n"
            "vocabulary with XLM-R's ids (<s>=0 <pad>=1 </s>=2 <unk>=3 ... <mask>=last), export it as a\n"
            "Hugging Face tokenizer folder, write a per-language report, and - unless --no-tokenize -\n"
            "tokenize every shard into token streams that PackedDataset reads. Tokenizing is part of the\n"
            "command because training needs the streams and they are tied to this exact vocabulary.\n"
            "With --parallel/--parallel-moses (or parallel.inputs in --spec), sentence pairs are also\n"
            "cleaned and tokenized for TLM (PairDataset). Every step resumes: rerunning skips finished work.\n\n"
            "Output under OUT: sample/, vocab/ (spm.model, report.md, sampling.json, hf/),\n"
            "tokens/ (manifest.json + {lang}/part-NNNNN.bin|.idx), parallel/, tokens-parallel/."
        ),
    )
    p.add_argument("--dataset", required=True, metavar="DIR", help="dataset version directory (holds manifest.json)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (local)")
    p.add_argument(
        "--spec", metavar="FILE", help="spec whose vocab/tokenize/parallel sections are used; flags override"
    )
    p.add_argument(
        "--vocab-size",
        type=int,
        metavar="N",
        help=f"SentencePiece pieces; encoder ids = N + 2 (default {d.vocab_size})",
    )
    p.add_argument("--alpha", type=float, help=f"language sampling exponent (default {d.alpha})")
    p.add_argument("--model-type", choices=("bpe", "unigram"), help=f"SentencePiece algorithm (default {d.model_type})")
    p.add_argument(
        "--sentences", type=int, metavar="N", help=f"sentence budget over all languages (default {d.sentences})"
    )
    p.add_argument("--seed", type=int, help=f"sampling and training seed (default {d.seed})")
    p.add_argument(
        "--threads", type=int, metavar="N", help="SentencePiece threads for training and encoding (default: all cores)"
    )
    p.add_argument(
        "--seq-len",
        type=int,
        metavar="N",
        help="default PackedDataset sample length, recorded in tokens/manifest.json (default 512)",
    )
    p.add_argument("--no-tokenize", action="store_true", help="only build the vocabulary; skip the token streams")
    p.add_argument("--parallel", action="append", metavar="TSV", help="parallel TSV (lang, text, english), repeatable")
    p.add_argument(
        "--parallel-moses",
        action="append",
        nargs=2,
        metavar=("CORPUS.L1", "CORPUS.L2"),
        help="line-aligned Moses files, repeatable",
    )
    p.add_argument("--workers", type=int, default=2, metavar="N", help="concurrent tasks (default 2)")
    p.set_defaults(func=_cli)
