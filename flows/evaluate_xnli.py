"""Flow `evaluate-xnli` and `xlm xnli`: fine-tune an exported model on English NLI, test it
zero-shot on the XNLI languages, publish the accuracy table and chart as artifacts.

All logic is in `xlm_core.xnli`; tasks pass paths between them."""

from __future__ import annotations

import argparse
import base64
import sys

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from xlm_core import io as xio
from xlm_core.xnli.config import XnliConfig, config_from_spec, resolve_spec_section
from xlm_core.xnli.evaluate import check_inputs, run_finetune, run_test
from xlm_core.xnli.report import build_report, markdown_table, table_rows


@task(name="xnli-check")
def check(model: str, out: str, config: XnliConfig) -> dict:
    return check_inputs(model, out, config)


@task(name="xnli-finetune")
def finetune(model: str, out: str, config: XnliConfig) -> dict:
    return run_finetune(model, out, config)


@task(name="xnli-test")
def zero_shot(best_model: str, out: str, config: XnliConfig) -> str:
    return run_test(best_model, out, config)


@task(name="xnli-report")
def report(out: str, config: XnliConfig) -> dict:
    paths = build_report(out, config.languages)
    results = xio.read_json(paths["json"])
    create_table_artifact(table=table_rows(results), key="xnli-accuracy", description=_caption(results))
    markdown = _read(paths["markdown"]).decode()
    if paths["chart"]:
        # The UI cannot read the run folder, so the chart travels inside the artifact.
        png = base64.b64encode(_read(paths["chart"]))
        markdown = markdown.replace("](xnli_accuracy.png)", f"](data:image/png;base64,{png.decode()})")
    create_markdown_artifact(markdown=markdown, key="xnli-report", description=_caption(results))
    return paths


def _read(uri: str) -> bytes:
    fs, path = xio.fs_and_path(uri)
    return fs.cat_file(path)


def _caption(results: dict) -> str:
    if results["status"] != "ok":
        return f"XNLI run flagged, not a result: {results['flag']}"
    return f"XNLI test accuracy, average {100 * results['average']:.1f}%"


@flow(name="evaluate-xnli")
def evaluate_xnli(model: str, out: str, xnli: dict | None = None) -> dict:
    """`xnli` is the spec's `xnli` section (see xlm_core.xnli.config.SPEC_SCHEMA)."""
    config = config_from_spec(xnli)
    check(model, out, config)
    tuned = finetune(model, out, config)
    zero_shot(tuned["best_model"], out, config)
    return report(out, config)


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "xnli",
        help="fine-tune a model folder on English NLI and test it zero-shot on the XNLI languages",
        description="Fine-tune --model (a Hugging Face XLM-R folder) on English NLI, select the best "
        "epoch on dev, test on the XNLI languages; writes predictions, xnli_report.md, "
        "xnli_results.json and xnli_accuracy.png into --out.",
    )
    p.add_argument("--model", required=True, metavar="PATH", help="exported XLM-R folder (config, weights, tokenizer)")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder for the model, predictions and report")
    p.add_argument("--spec", metavar="FILE", help="spec YAML; its `xnli` section sets the defaults")
    p.add_argument("--train-data", nargs="+", metavar="URI", help="MultiNLI / XNLI-MT / SICK files (xnli.train)")
    p.add_argument("--dev", metavar="URI", help="XNLI dev file (xnli.dev)")
    p.add_argument("--test", metavar="URI", help="XNLI test file (xnli.test)")
    p.add_argument("--languages", nargs="+", metavar="LANG", help="XNLI languages to test (xnli.languages)")
    p.add_argument("--epochs", type=int, metavar="N", help="xnli.epochs")
    p.add_argument("--max-train", type=int, metavar="N", help="use at most N training pairs (xnli.max_train)")
    p.add_argument("--max-eval", type=int, metavar="N", help="first N dev/test pairs per language (xnli.max_eval)")
    p.add_argument("--dev-for-training", type=int, metavar="N", help="English dev pairs moved into training")
    p.add_argument("--selection", choices=("en", "avg"), help="model selection set (xnli.selection)")
    p.add_argument("--threads", type=int, metavar="N", help="torch CPU threads (xnli.threads)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    section = _spec_section(args.spec) if args.spec else {}
    overrides = {
        "train": args.train_data,
        "dev": args.dev,
        "test": args.test,
        "languages": args.languages,
        "epochs": args.epochs,
        "max_train": args.max_train,
        "max_eval": args.max_eval,
        "dev_for_training": args.dev_for_training,
        "selection": args.selection,
        "threads": args.threads,
    }
    section = {**section, **{k: v for k, v in overrides.items() if v is not None}}
    # Bad spec, arguments, model folder or data: one clear error before Prefect starts.
    check_inputs(args.model, args.out, config_from_spec(section))
    paths = evaluate_xnli(model=args.model, out=args.out, xnli=section)
    results = xio.read_json(paths["json"])
    if results["status"] != "ok":
        print(f"RUN FLAGGED, NOT A RESULT: {results['flag']}")
    if results["protocol_note"]:
        print(results["protocol_note"])
    print(markdown_table(results))
    print(f"report: {paths['markdown']}", file=sys.stderr)
    return 0


def _spec_section(path: str) -> dict:
    from xlm_core.spec import load_spec

    return resolve_spec_section(load_spec(path))
