"""The whole chain as data: where each stage of a spec writes, the keys that decide whether a
stage's output is current, and the checks that must pass before hours of compute are spent.

A stage's output directory is named by a hash of everything it depends on (upstream output
digest + its own spec section), so an unchanged spec finds every stage done, and a change
upstream makes every stage below it stale (it gets a new directory) without touching the rest.
A stage is done when its step marker `<runs>/<spec name>/_done/<output dir name>.json` exists
(`xlm_core.steps`; one listing answers for every stage of a pipeline run), written last."""

from __future__ import annotations

import copy
import hashlib
import os
from dataclasses import dataclass

from xlm_core.io import canonical_json, join
from xlm_core.steps import StepMarkers

DEFAULT_RUNS = "out/runs"

# prefect.yaml's names for the stages a pipeline can hand to the gpu work pool.
GPU_DEPLOYMENTS = {"pretrain": "pretrain/pretrain", "evaluate_xnli": "evaluate-xnli/evaluate-xnli"}

SPEC_SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "description": "How `xlm run` / the pipeline flow chains the stages (see xlm_core/pipeline.py).",
    "properties": {
        "runs": {"type": "string", "minLength": 1, "default": DEFAULT_RUNS,
                 "description": "Root of the stage outputs (vocabulary, checkpoints, exports, XNLI), local or s3://."},
        "nproc": {"type": "integer", "minimum": 1, "default": 1, "description": "Training ranks per machine."},
        "variants": {
            "type": "array", "minItems": 1,
            "description": "Pretraining arms over the same dataset and vocabulary, reported side by side.",
            "items": {"type": "object", "additionalProperties": False, "required": ["name"],
                      "properties": {"name": {"type": "string", "pattern": "^[A-Za-z0-9_.+-]+$"},
                                     "train": {"type": "object"}, "model": {"type": "object"}}},
        },
        "gpu_deployments": {
            "description": "Run pretraining and XNLI as these Prefect deployments (on the gpu work pool) "
                           "instead of inside the pipeline's process: true for prefect.yaml's names, or "
                           "{pretrain, evaluate_xnli} to name others. Default false.",
            "oneOf": [
                {"type": "boolean"},
                {"type": "object", "additionalProperties": False,
                 "properties": {k: {"type": "string", "pattern": "^[^/]+/[^/]+$"} for k in GPU_DEPLOYMENTS}},
            ],
        },
    },
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Variant:
    """One pretraining + evaluation arm of a pipeline (e.g. MLM vs MLM+TLM)."""

    name: str
    """Label used in directories and in the report."""
    train: dict
    """Spec `train` section with the variant's overrides applied."""
    model: dict
    """Spec `model` section with the variant's overrides applied."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Stage:
    """Where one stage of the chain writes, and the step that records it done."""

    step: str
    """Step name under `<runs>/_done/`: the output directory's name, so every key keeps its own
    marker (going back to an earlier setting finds its outputs done)."""
    out: str
    """Output directory, `<runs>/<step>`."""
    key: str
    """Hash of what decides the output (upstream digest + the stage's spec sections)."""


def key(*parts) -> str:
    return hashlib.sha256(canonical_json(list(parts))).hexdigest()[:12]


def runs_root(spec) -> str:
    root = spec.section("pipeline").get("runs", DEFAULT_RUNS)
    if "://" in root or os.path.isabs(root):
        return join(root, spec.name)
    return join(os.path.abspath(root), spec.name)


def gpu_deployments(spec, override: bool | None = None) -> dict[str, str] | None:
    """Deployment names for the GPU stages, or None to run them in-process. `override` (the flow's
    parameter) wins over the spec's `pipeline.gpu_deployments`."""
    value = spec.section("pipeline").get("gpu_deployments", False)
    if override is False or (override is None and value is False):
        return None
    return {**GPU_DEPLOYMENTS, **(value if isinstance(value, dict) else {})}


def variants(spec) -> list[Variant]:
    """`pipeline.variants: [{name, train: {...}, model: {...}}]`, or one variant named `main`."""
    base_train, base_model = spec.section("train"), spec.section("model")
    listed = spec.section("pipeline").get("variants") or [{"name": "main"}]
    out = []
    for v in listed:
        train = {**copy.deepcopy(base_train), **v.get("train", {})}
        model = {**copy.deepcopy(base_model), **v.get("model", {})}
        out.append(Variant(name=v["name"], train=train, model=model))
    return out


def vocab_key(dataset_version: str, spec) -> str:
    return key("vocab", dataset_version, spec.section("vocab"), spec.section("tokenize"), spec.section("parallel"))


def pretrain_key(vocab_sha256: str, variant: Variant) -> str:
    return key("pretrain", vocab_sha256, variant.model, variant.train)


def stage_markers(spec) -> StepMarkers:
    """The done markers of the chain's stages, `<runs>/<spec name>/_done/` (one per pipeline run)."""
    return StepMarkers(runs_root(spec))


def _stage(spec, step: str, stage_key: str) -> Stage:
    return Stage(step=step, out=join(runs_root(spec), step), key=stage_key)


def vocab_stage(spec, dataset_version: str) -> Stage:
    """Vocabulary + token streams (+ parallel pairs) of a dataset version: `vocab-<key>`."""
    k = vocab_key(dataset_version, spec)
    return _stage(spec, f"vocab-{k}", k)


def pretrain_stage(spec, variant: Variant, vocab_sha256: str) -> Stage:
    """Pretraining of one variant on one vocabulary: `pretrain-<variant>-<key>` (run.json, train/, hf/)."""
    k = pretrain_key(vocab_sha256, variant)
    return _stage(spec, f"pretrain-{variant.name}-{k}", k)


def wants_tlm(variant: Variant) -> bool:
    return float(variant.train.get("tlm_ratio", 0.0)) > 0


def run_config(variant: Variant, vocab: dict, out_dir: str, nproc: int) -> dict:
    """The run.json of `xlm pretrain` for this variant over the vocabulary stage's outputs.

    model.vocab_size comes from the vocabulary; a spec that sets another value cannot chain."""
    model = dict(variant.model)
    ids = int(vocab["vocab_size"])
    if "vocab_size" in model and int(model["vocab_size"]) != ids:
        raise ValueError(
            f"model.vocab_size={model['vocab_size']} differs from the vocabulary's {ids} ids "
            f"({vocab['model']}): drop model.vocab_size or set vocab.vocab_size to match"
        )
    model["vocab_size"] = ids
    model.setdefault("size", "tiny")
    train = dict(variant.train)
    train.setdefault("max_steps", 100)
    data = {"mlm": vocab["tokens"], "vocab": vocab["model"]}
    if wants_tlm(variant):
        if not vocab.get("pair_tokens"):
            raise ValueError(
                f"pipeline variant {variant.name!r}: train.tlm_ratio > 0 needs parallel data "
                "(spec parallel.inputs)"
            )
        data["tlm"] = vocab["pair_tokens"]
    from xlm_core.train.config import RunConfig

    config = {"model": model, "train": train, "data": data, "output_dir": out_dir,
              "extra": {"variant": variant.name}}
    RunConfig.from_dict(config)  # raises with the field name if the sections do not fit
    _check_ranks(train, nproc)
    return config


def _check_ranks(train: dict, nproc: int) -> None:
    from xlm_core.train.config import TrainConfig

    TrainConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in train.items()}).grad_accumulation(nproc)


def check_chain(spec) -> list[str]:
    """Problems that would only surface hours later, found from the spec alone."""
    problems = []
    vocab = spec.section("vocab")
    for v in variants(spec):
        model = v.model
        if "vocab_size" in model and "vocab_size" in vocab and int(model["vocab_size"]) != int(vocab["vocab_size"]) + 2:
            problems.append(
                f"model.vocab_size={model['vocab_size']} cannot chain with vocab.vocab_size={vocab['vocab_size']} "
                f"(the encoder has vocab.vocab_size + 2 ids: <pad> and <mask>)"
            )
        if wants_tlm(v) and not spec.section("parallel").get("inputs"):
            problems.append(f"pipeline.variants[{v.name}]: train.tlm_ratio > 0 needs parallel.inputs")
        try:
            probe = {**model, "vocab_size": int(model.get("vocab_size", 1000))}
            probe.setdefault("size", "tiny")
            from xlm_core.model.config import ModelConfig

            mc = ModelConfig.from_dict(probe)
            seq = int(v.train.get("seq_len", 512))
            if seq > mc.max_seq_len:
                problems.append(f"train.seq_len={seq} exceeds what model.max_positions={mc.max_positions} allows ({mc.max_seq_len})")
            _check_ranks({"max_steps": 1, **v.train}, int(spec.section("pipeline").get("nproc", 1)))
        except (ValueError, TypeError) as exc:
            problems.append(f"pipeline variant {v.name!r}: {exc}")
    xnli = spec.section("xnli")
    if xnli:
        from xlm_core.xnli.config import config_from_spec, resolve_spec_section

        try:
            config_from_spec(resolve_spec_section(spec))
        except (ValueError, FileNotFoundError) as exc:
            problems.append(str(exc))
    return problems
