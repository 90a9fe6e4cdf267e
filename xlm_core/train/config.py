"""Training run configuration: TrainConfig (optimisation, batches, checkpoints), DataConfig (which
streams), RunConfig (model + train + data + output dir), read from a run.json. Checked up front so
a bad batch layout fails before any process group starts."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from xlm_core.model.config import ModelConfig, spec_schema

DECAYS = ("linear", "polynomial", "constant")
PRECISIONS = ("auto", "bf16", "fp32")
LOSS_IMPLS = ("auto", "cce", "chunked", "full")


@dataclass(frozen=True, kw_only=True, slots=True)
class TrainConfig:
    max_steps: int
    """Optimizer steps of the whole run (a resumed run continues up to it)."""
    zero_stage: int = 1
    """DeepSpeed ZeRO stage: 0 (plain data parallel), 1 (optimizer states), 2 (+gradients), 3 (+parameters)."""
    micro_batch_size: int = 8
    """Sequences per rank per forward/backward."""
    global_batch_size: int = 8
    """Sequences per optimizer step over all ranks: micro_batch_size × world size × grad accumulation."""
    seq_len: int = 512
    """Tokens per sequence (MLM samples are padded to it; TLM pairs are cut to it)."""
    lr: float = 5e-4
    """Peak learning rate (AdamW)."""
    betas: tuple[float, float] = (0.9, 0.98)
    """AdamW betas (RoBERTa/XLM-R: 0.9, 0.98)."""
    eps: float = 1e-6
    """AdamW epsilon."""
    weight_decay: float = 0.01
    """Decoupled weight decay on matrices and embeddings (not on biases and LayerNorms)."""
    warmup_steps: int = 0
    """Linear warmup steps from 0 to lr."""
    decay: str = "linear"
    """After warmup: "linear" or "polynomial" decay to min_lr_ratio·lr at max_steps, or "constant"."""
    decay_power: float = 1.0
    """Exponent of the polynomial decay (1.0 = linear)."""
    min_lr_ratio: float = 0.0
    """Final lr as a fraction of the peak."""
    grad_clip: float = 1.0
    """Clip the global gradient norm to this (0 = off)."""
    checkpoint_every: int = 1000
    """Save a checkpoint every N optimizer steps (and at the end)."""
    keep_last: int = 2
    """Complete checkpoints kept; older ones are deleted after each save."""
    tlm_ratio: float = 0.0
    """Share of micro-batches that are TLM (needs data.tlm); the rest are MLM."""
    alpha: float = 0.3
    """Language sampling exponent: p_l ∝ n_l^alpha (XLM-R 0.3, XLM 0.5)."""
    mask_prob: float = 0.15
    """Share of tokens that are MLM targets."""
    seed: int = 0
    """Seeds model init, data order, language draws and masks."""
    precision: str = "auto"
    """"auto" (bf16 on CUDA, fp32 on CPU), "bf16" or "fp32"."""
    loss_impl: str = "auto"
    """Masked-rows linear+CE: "auto" (cut-cross-entropy on CUDA if installed, else chunked), "cce", "chunked", "full"."""
    offload_optimizer: bool = False
    """ZeRO-Offload of optimizer states to CPU memory (CUDA only; needs DeepSpeed's CPU Adam op)."""
    offload_param: bool = False
    """ZeRO-3 parameter offload to CPU memory (CUDA only, zero_stage 3 only)."""
    peak_tflops: float | None = None
    """Per-device peak (bf16 dense) for MFU; None: looked up from the GPU name, no MFU on CPU."""
    log_every: int = 1
    """Write a metrics line every N steps."""

    def __post_init__(self) -> None:
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise ValueError(msg)

        need(self.max_steps > 0, f"train.max_steps={self.max_steps} must be > 0")
        need(self.zero_stage in (0, 1, 2, 3), f"train.zero_stage={self.zero_stage} is not one of 0, 1, 2, 3")
        need(self.micro_batch_size > 0, f"train.micro_batch_size={self.micro_batch_size} must be > 0")
        need(
            self.global_batch_size > 0 and self.global_batch_size % self.micro_batch_size == 0,
            f"train.global_batch_size={self.global_batch_size} is not a positive multiple of "
            f"train.micro_batch_size={self.micro_batch_size}",
        )
        need(self.seq_len >= 8, f"train.seq_len={self.seq_len} must be >= 8")
        need(self.decay in DECAYS, f"train.decay={self.decay!r} is not one of {DECAYS}")
        need(self.precision in PRECISIONS, f"train.precision={self.precision!r} is not one of {PRECISIONS}")
        need(self.loss_impl in LOSS_IMPLS, f"train.loss_impl={self.loss_impl!r} is not one of {LOSS_IMPLS}")
        need(0 <= self.warmup_steps <= self.max_steps, f"train.warmup_steps={self.warmup_steps} must be within [0, max_steps]")
        need(self.checkpoint_every > 0, f"train.checkpoint_every={self.checkpoint_every} must be > 0")
        need(self.keep_last > 0, f"train.keep_last={self.keep_last} must be > 0")
        need(0 <= self.tlm_ratio <= 1, f"train.tlm_ratio={self.tlm_ratio} must be within [0, 1]")
        need(self.lr > 0, f"train.lr={self.lr} must be > 0")

    def grad_accumulation(self, world_size: int) -> int:
        """global = micro × world × accumulation, or a ValueError that says what would divide."""
        per_step = self.micro_batch_size * world_size
        if self.global_batch_size % per_step:
            ok = sorted({self.micro_batch_size * world_size * k for k in range(1, 5)})
            raise ValueError(
                f"train.global_batch_size={self.global_batch_size} is not divisible by "
                f"train.micro_batch_size={self.micro_batch_size} × {world_size} ranks = {per_step}; "
                f"use a multiple of {per_step} (e.g. {ok}) or change micro_batch_size / the number of processes"
            )
        return self.global_batch_size // per_step

    def lr_factor(self, i: int) -> float:
        """lr multiplier of optimizer step i (0-based): warmup (i+1)/warmup, then decay to min_lr_ratio."""
        if i < self.warmup_steps:
            return (i + 1) / self.warmup_steps
        if self.decay == "constant":
            return 1.0
        span = max(1, self.max_steps - self.warmup_steps)
        left = max(0.0, 1.0 - (i - self.warmup_steps) / span)
        power = 1.0 if self.decay == "linear" else self.decay_power
        return self.min_lr_ratio + (1.0 - self.min_lr_ratio) * left**power


SPEC_SCHEMA: dict = spec_schema(
    TrainConfig,
    description="Pretraining: DeepSpeed ZeRO stage, batches, optimiser, schedule, checkpoints, MLM/TLM mix.",
    extra={
        "max_steps": {"minimum": 1},
        "zero_stage": {"enum": [0, 1, 2, 3]},
        "decay": {"enum": list(DECAYS)},
        "precision": {"enum": list(PRECISIONS)},
        "loss_impl": {"enum": list(LOSS_IMPLS)},
        "tlm_ratio": {"minimum": 0, "maximum": 1},
        "alpha": {"minimum": 0, "maximum": 1},
    },
)


@dataclass(frozen=True, kw_only=True, slots=True)
class DataConfig:
    mlm: str | dict[str, str]
    """Monolingual streams: a token-stream root (`xlm vocab --tokenize` output, read with
    PackedDataset), or {language: .npy file of shape (n_samples, <= seq_len)}."""
    tlm: str | None = None
    """Parallel pairs: a parallel token-stream root (PairDataset), or a .jsonl of
    {"ids1": [...], "ids2": [...], "lang1": "en", "lang2": "fr"} lines."""
    languages: tuple[str, ...] | None = None
    """Languages to train on (default: every language of data.mlm)."""
    vocab: str | None = None
    """Vocabulary (sha256, .model or tokenizer dir) the streams must have been tokenized with."""


@dataclass(frozen=True, kw_only=True, slots=True)
class RunConfig:
    model: ModelConfig
    """Model shape."""
    train: TrainConfig
    """Optimisation, batches, checkpoints."""
    data: DataConfig
    """Where the token streams are."""
    output_dir: str
    """Holds metrics.jsonl, checkpoints/, result.json."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form notes carried into result.json (spec name, hashes)."""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunConfig":
        unknown = sorted(set(d) - {"model", "train", "data", "output_dir", "extra"})
        if unknown:
            raise ValueError(f"run config: unknown section(s) {unknown}")
        for key in ("model", "train", "data", "output_dir"):
            if key not in d:
                raise ValueError(f"run config: missing {key!r}")
        return cls(
            model=ModelConfig.from_dict(d["model"]),
            train=_build(TrainConfig, d["train"], "train"),
            data=_build(DataConfig, d["data"], "data"),
            output_dir=d["output_dir"],
            extra=dict(d.get("extra", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _build(cls, d: dict[str, Any], section: str):
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise ValueError(f"{section}: unknown field(s) {unknown}; allowed: {sorted(names)}")
    d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
    return cls(**d)


def load_run_config(path: str) -> RunConfig:
    with open(path) as f:
        return RunConfig.from_dict(json.load(f))


def save_run_config(run: RunConfig, path: str) -> None:
    from xlm_core.io import write_json

    write_json(path, run.to_dict())
