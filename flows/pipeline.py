"""The whole chain as one Prefect flow: build_dataset -> train_vocab (+ tokenize, parallel data)
-> pretrain -> evaluate_xnli, each a subflow. A stage whose output exists for the same inputs
is skipped (see xlm_core.pipeline for the keys); `pipeline.variants` trains and evaluates several
arms (e.g. MLM vs MLM+TLM) over the same dataset and vocabulary and reports them side by side."""

from __future__ import annotations

import argparse
import os

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.build_dataset import build_dataset
from flows.evaluate_xnli import evaluate_xnli
from flows.pretrain import pretrain
from flows.train_vocab import train_vocab
from xlm_core import pipeline as chain
from xlm_core.io import exists, join, read_json, write_json
from xlm_core.spec import load_spec
from xlm_core.vocab.stage import configs_from_spec
from xlm_core.xnli.config import resolve_spec_section
from xlm_core.xnli.report import markdown_table, side_by_side

DONE = "pipeline-stage.json"


def _vocab_stage(spec, dataset: dict) -> dict:
    out = join(chain.runs_root(spec), f"vocab-{chain.vocab_key(dataset['version'], spec)}")
    marker = join(out, DONE)
    if exists(marker):
        get_run_logger().info("vocabulary is current: %s", out)
        return {**read_json(marker), "reused": True}
    vocab, tok, inputs, par = configs_from_spec(spec)
    result = train_vocab(dataset["version_dir"], out, vocab, tokenize=True, tokenize_config=tok,
                         parallel_inputs=inputs, parallel_config=par)
    write_json(marker, result)
    return {**result, "reused": False}


def _pretrain_stage(spec, variant: chain.Variant, vocab: dict) -> tuple[str, bool]:
    nproc = int(spec.section("pipeline").get("nproc", 1))
    out = join(chain.runs_root(spec), f"pretrain-{variant.name}-{chain.pretrain_key(vocab['sha256'], variant)}")
    export_dir = join(out, "hf")
    marker = join(out, DONE)
    if exists(marker):
        get_run_logger().info("pretraining %s is current: %s", variant.name, out)
        return export_dir, True
    config_path = join(out, "run.json")
    write_json(config_path, chain.run_config(variant, vocab, join(out, "train"), nproc))
    pretrain(config_path, nproc_per_node=nproc, export_dir=export_dir, tokenizer_dir=vocab["hf"])
    write_json(marker, {"export": export_dir})
    return export_dir, False


def _report(spec, results: dict[str, dict]) -> str:
    if len(results) == 1:
        (res,) = results.values()
        text = markdown_table(res)
    else:
        text = side_by_side(results)
    notes = {r["protocol_note"] for r in results.values() if r.get("protocol_note")}
    flags = [f"{name}: flagged, not a result ({r['flag']})" for name, r in results.items() if r["status"] != "ok"]
    text = "\n\n".join([f"# {spec.name}: XNLI zero-shot test accuracy (%)", text, *sorted(notes), *flags])
    create_markdown_artifact(key="pipeline-xnli", markdown=text, description=f"{spec.name}: XNLI per variant")
    return text


@flow(name="pipeline", log_prints=True)
def pipeline(spec_path: str) -> dict:
    """Dataset -> vocabulary -> pretraining -> XNLI for the spec at `spec_path`."""
    spec = load_spec(spec_path)
    problems = chain.check_chain(spec)
    if problems:
        raise ValueError(f"spec {spec_path} cannot run as a pipeline:\n  " + "\n  ".join(problems))
    dataset = build_dataset(spec_path)
    vocab = _vocab_stage(spec, dataset)
    results, reused = {}, {"dataset": dataset["reused_units"], "vocab": vocab["reused"]}
    for variant in chain.variants(spec):
        model, reused[f"pretrain:{variant.name}"] = _pretrain_stage(spec, variant, vocab)
        xnli_dir = join(os.path.dirname(model), "xnli")
        paths = evaluate_xnli(model, xnli_dir, resolve_spec_section(spec))
        results[variant.name] = read_json(paths["json"])
    return {"dataset": dataset["version_dir"], "vocab": vocab["model"], "report": _report(spec, results),
            "reused": reused,
            "xnli": {k: {"average": v.get("average"), "status": v.get("status")} for k, v in results.items()}}


def _cli(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)  # invalid spec: one message, before Prefect starts
    problems = chain.check_chain(spec)
    if problems:
        raise ValueError(f"spec {args.spec} cannot run as a pipeline:\n  " + "\n  ".join(problems))
    result = pipeline(args.spec)
    print(f"dataset:    {result['dataset']}")
    print(f"vocabulary: {result['vocab']}")
    print()
    print(result["report"])
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="the whole chain: dataset -> vocabulary -> pretraining -> XNLI",
                       description="Build the dataset, train the vocabulary and tokenize, pretrain each "
                                   "variant, fine-tune and test on XNLI, and print the XNLI table. Stages "
                                   "whose outputs exist for the same inputs are reused.")
    p.add_argument("spec", help="spec with dataset, vocab, model, train, xnli and pipeline sections")
    p.set_defaults(func=_cli)
