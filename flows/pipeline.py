"""The whole chain as one Prefect flow: build_dataset -> train_vocab (+ tokenize, parallel data)
-> pretrain -> evaluate_xnli, each a subflow. A stage whose output exists for the same inputs
is skipped (see xlm_core.pipeline for the keys and the markers); `pipeline.variants` trains and
evaluates several arms (e.g. MLM vs MLM+TLM) over the same dataset and vocabulary and reports
them side by side.

With `pipeline.gpu_deployments` (or the flow's `gpu_deployments` parameter) the GPU stages run as
the `pretrain` and `evaluate-xnli` deployments, i.e. on the gpu work pool's workers, as child runs
of the pipeline run; otherwise they run in the pipeline's own process. Stages pass paths, so the
runs root must be storage that both pools see (a shared filesystem, or s3:// where supported)."""

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
from xlm_core.io import join, read_json, write_json
from xlm_core.spec import load_spec
from xlm_core.steps import StepMarkers, run_step
from xlm_core.vocab.stage import configs_from_spec
from xlm_core.xnli.config import resolve_spec_section
from xlm_core.xnli.report import markdown_table, results_path, side_by_side


def _check_deployments(deployments: dict[str, str] | None) -> None:
    """Fail before the dataset build if a GPU stage's deployment is not on the server."""
    if not deployments:
        return
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    missing = []
    with get_client(sync_client=True) as client:
        for stage, name in deployments.items():
            try:
                client.read_deployment_by_name(name)
            except ObjectNotFound:
                missing.append(f"{name} (stage {stage})")
    if missing:
        raise ValueError(
            f"pipeline.gpu_deployments: no deployment {', '.join(missing)} on the Prefect server: "
            "run `prefect --no-prompt deploy --all` from the repository (prefect.yaml), or run the GPU "
            "stages in-process (pipeline.gpu_deployments: false)"
        )


def _run_stage(deployments: dict[str, str] | None, stage: str, flow_fn, **parameters):
    """The stage's flow in this process, or its deployment as a child run (the UI links the two),
    waiting for it to end. A handed-off stage returns nothing: its outputs are at known paths."""
    if not deployments:
        return flow_fn(**parameters)
    from prefect.deployments import run_deployment

    name = deployments[stage]
    logger = get_run_logger()
    logger.info("%s: handing over to deployment %s", stage, name)
    run = run_deployment(name, parameters=parameters, timeout=None, poll_interval=5)
    if not run.state.is_completed():
        raise RuntimeError(f"{stage}: flow run {run.name!r} ({run.id}) of deployment {name} ended "
                           f"{run.state.name}: {run.state.message or 'no message'}")
    logger.info("%s: flow run %r of %s completed", stage, run.name, name)
    return None


def _vocab_stage(spec, dataset: dict, markers: StepMarkers) -> dict:
    stage = chain.vocab_stage(spec, dataset["version"])
    vocab, tok, inputs, par = configs_from_spec(spec)
    result, reused = run_step(markers, stage.step, train_vocab, dataset["version_dir"], stage.out, vocab,
                              tokenize=True, tokenize_config=tok, parallel_inputs=inputs, parallel_config=par,
                              key=stage.key)
    if reused:
        get_run_logger().info("vocabulary is current: %s", stage.out)
    return {**result, "reused": reused}


def _pretrain_stage(spec, variant: chain.Variant, vocab: dict, deployments: dict[str, str] | None,
                    markers: StepMarkers) -> tuple[str, bool]:
    nproc = int(spec.section("pipeline").get("nproc", 1))
    stage = chain.pretrain_stage(spec, variant, vocab["sha256"])

    def train() -> dict:
        config_path, export_dir = join(stage.out, "run.json"), join(stage.out, "hf")
        write_json(config_path, chain.run_config(variant, vocab, join(stage.out, "train"), nproc))
        _run_stage(deployments, "pretrain", pretrain, config=config_path, nproc_per_node=nproc,
                   export_dir=export_dir, tokenizer_dir=vocab["hf"])
        return {"export": export_dir}

    done, reused = run_step(markers, stage.step, train, key=stage.key)
    if reused:
        get_run_logger().info("pretraining %s is current: %s", variant.name, stage.out)
    return done["export"], reused


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
def pipeline(spec_path: str, gpu_deployments: bool | None = None) -> dict:
    """Dataset -> vocabulary -> pretraining -> XNLI for the spec at `spec_path`. `gpu_deployments`:
    hand pretraining and XNLI to their deployments (True) or not (False); default: the spec's
    `pipeline.gpu_deployments`."""
    spec = load_spec(spec_path)
    problems = chain.check_chain(spec)
    if problems:
        raise ValueError(f"spec {spec_path} cannot run as a pipeline:\n  " + "\n  ".join(problems))
    deployments = chain.gpu_deployments(spec, gpu_deployments)
    _check_deployments(deployments)
    dataset = build_dataset(spec_path)
    markers = chain.stage_markers(spec)
    vocab = _vocab_stage(spec, dataset, markers)
    results, reused = {}, {"dataset": dataset["reused_units"], "vocab": vocab["reused"]}
    for variant in chain.variants(spec):
        model, reused[f"pretrain:{variant.name}"] = _pretrain_stage(spec, variant, vocab, deployments, markers)
        xnli_dir = join(os.path.dirname(model), "xnli")
        _run_stage(deployments, "evaluate_xnli", evaluate_xnli, model=model, out=xnli_dir,
                   xnli=resolve_spec_section(spec))
        results[variant.name] = read_json(results_path(xnli_dir))
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
