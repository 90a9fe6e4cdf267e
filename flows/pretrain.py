"""Pretraining flow: launch the DeepSpeed ranks as a subprocess group, stream rank 0's lines into
the Prefect log, show the loss curve and a metrics table, optionally export to Hugging Face.
Cancelling (or Ctrl-C, or SIGTERM) kills the whole group; rerunning resumes from the last checkpoint."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE

from xlm_core.io import read_json
from xlm_core.train.config import load_run_config
from xlm_core.train.export import export_checkpoint, tokenizer_files
from xlm_core.train.launch import LaunchConfig, LaunchError, kill_all, run_training
from xlm_core.train.metrics import loss_curve_markdown, metrics_table, read_metrics

PROGRESS_EVERY_S = 5.0
STEP_LINE = re.compile(r"\bstep (\d+) loss ")  # the trainer's per-step log line (xlm_core.train.trainer)


@task(name="train", cache_policy=NO_CACHE)
def train_task(config: str, launch: LaunchConfig) -> dict:
    """The ranks' run, rank 0's lines into the task log, and a progress artifact (steps done of
    train.max_steps, at most one update every PROGRESS_EVERY_S seconds) for the UI."""
    logger = get_run_logger()
    run = load_run_config(config)
    max_steps = run.train.max_steps
    progress = create_progress_artifact(progress=0.0, description=f"training steps done of {max_steps} ({run.output_dir})")
    last_update = 0.0

    def on_line(line: str) -> None:
        nonlocal last_update
        logger.info(line)
        m = STEP_LINE.search(line)
        if m and (int(m[1]) >= max_steps or time.monotonic() - last_update >= PROGRESS_EVERY_S):
            last_update = time.monotonic()
            try:
                update_progress_artifact(progress, progress=100.0 * int(m[1]) / max_steps)
            except Exception as exc:  # noqa: BLE001 - the UI's progress bar must never stop the training
                logger.warning("progress artifact not updated: %s", exc)

    run_training(config, launch, on_line=on_line)
    return read_json(os.path.join(run.output_dir, "result.json"))


@task(name="export-hf", cache_policy=NO_CACHE)
def export_task(checkpoint_dir: str, out_dir: str, tokenizer_dir: str | None) -> dict:
    return export_checkpoint(checkpoint_dir, out_dir, tokenizer_dir=tokenizer_dir)


def _checked(config: str, nproc_per_node: int, hostfile: str | None, tokenizer_dir: str | None):
    """Fail on bad input before any rank starts: the run config, the batch layout, the tokenizer."""
    run = load_run_config(config)
    if hostfile is None:
        run.train.grad_accumulation(nproc_per_node)
    if tokenizer_dir is not None:
        tokenizer_files(tokenizer_dir)
    return run


def _stop_ranks(flow, flow_run, state) -> None:
    kill_all()


@flow(name="pretrain", on_cancellation=[_stop_ranks], on_crashed=[_stop_ranks])
def pretrain(
    config: str, nproc_per_node: int = 1, hostfile: str | None = None, export_dir: str | None = None, tokenizer_dir: str | None = None
) -> dict:
    run = _checked(config, nproc_per_node, hostfile, tokenizer_dir)
    result = train_task(config, LaunchConfig(nproc_per_node=nproc_per_node, hostfile=hostfile))
    rows = read_metrics(os.path.join(run.output_dir, "metrics.jsonl"))
    create_markdown_artifact(key="pretrain-loss", markdown=loss_curve_markdown(rows), description="training loss")
    create_table_artifact(key="pretrain-metrics", table=metrics_table(rows), description="metrics at evenly spaced steps")
    if export_dir:
        result["export"] = export_task(os.path.join(run.output_dir, "checkpoints"), export_dir, tokenizer_dir)
    return result


@flow(name="export")
def export(checkpoint_dir: str, out_dir: str, tokenizer_dir: str | None = None) -> dict:
    return export_task(checkpoint_dir, out_dir, tokenizer_dir)


def _run_pretrain(args: argparse.Namespace) -> int:
    _checked(args.config, args.nproc, args.hostfile, args.tokenizer)  # bad input: one line, before Prefect starts
    try:
        result = pretrain(args.config, args.nproc, args.hostfile, args.export, args.tokenizer)
    except LaunchError as exc:  # the ranks failed: their last error line, not a traceback
        print(f"xlm pretrain: {exc}", file=sys.stderr)
        return 1
    loss = "already complete" if result["final_loss"] is None else f"final loss {result['final_loss']:.4f}"
    print(f"trained to step {result['steps']}, {loss}; checkpoint {result['checkpoint']}")
    if "export" in result:
        print(f"exported to {result['export']['out_dir']}")
    return 0


def _run_export(args: argparse.Namespace) -> int:
    result = export(args.checkpoint, args.out, args.tokenizer)
    print(f"exported {result['tag']} to {result['out_dir']} (max |logit diff| {result['max_logit_diff']:.1e})")
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "pretrain", help="pretrain the encoder (MLM/TLM, DeepSpeed ZeRO), resumable",
        description="Run python -m xlm_core.train.run --config RUN.json on N ranks (torchrun; a DeepSpeed "
        "hostfile for several machines). Rerunning resumes from the newest complete checkpoint in "
        "OUTPUT_DIR/checkpoints. CPU runs use gloo and fp32; CUDA runs nccl and bf16.",
    )  # fmt: skip
    p.add_argument("--config", required=True, metavar="RUN.json", help="model, train, data sections and output_dir")
    p.add_argument("--nproc", type=int, default=1, metavar="N", help="ranks per machine (default 1)")
    p.add_argument("--hostfile", metavar="FILE", help="DeepSpeed hostfile for multi-node runs")
    p.add_argument("--export", metavar="DIR", help="after training, write a Hugging Face folder here")
    p.add_argument("--tokenizer", metavar="DIR", help="tokenizer folder to copy into the export (xlm vocab's vocab/hf)")
    p.set_defaults(func=_run_pretrain)

    e = sub.add_parser("export", help="export a training checkpoint as a Hugging Face XLMRobertaForMaskedLM folder")
    e.add_argument("--checkpoint", required=True, metavar="DIR", help="OUTPUT_DIR/checkpoints of a run (newest complete tag)")
    e.add_argument("--out", required=True, metavar="DIR", help="output folder")
    e.add_argument("--tokenizer", metavar="DIR", help="tokenizer folder to copy in")
    e.set_defaults(func=_run_export)
