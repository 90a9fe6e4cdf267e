"""The per-rank training loop under DeepSpeed (`python -m xlm_core.train.run --config run.json`,
started by torchrun / the deepspeed launcher, see launch.py).

Resume is exact: the data order and masks are functions of (seed, micro-step, rank) and per-stream
cursors; the cursors and every rank's RNG states (torch, numpy, python) go into the checkpoint's
client_state (all-gathered to rank 0, which is the rank DeepSpeed writes it from)."""

from __future__ import annotations

import json
import logging
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.distributed as dist

from xlm_core.io import write_json
from xlm_core.model.encoder import XLMREncoder
from xlm_core.train import checkpoint as ckpt
from xlm_core.train.config import RunConfig
from xlm_core.train.data import RankBatches, open_mlm_streams, open_pairs
from xlm_core.train.deepspeed_config import build_ds_config
from xlm_core.train.metrics import flops_per_token, peak_tflops, truncate_metrics

log = logging.getLogger("xlm_core.train")


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf; the run stopped without saving, so the last checkpoint is the last good one."""


def _rng_state() -> dict:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        # numpy/python states as plain lists/ints so the checkpoint loads with weights_only=True
        "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)],
        "python": [random.getstate()[0], list(random.getstate()[1]), random.getstate()[2]],
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"].cpu())
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"].cpu())


def _param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """No decay on biases and LayerNorm weights (1-D tensors), as RoBERTa/XLM-R."""
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def _setup_logging(rank: int) -> None:
    # Only rank 0 logs; the others keep warnings and errors.
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("DeepSpeed", "deepspeed"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _resume_tag(run: RunConfig, ckpt_dir: str, world: int) -> str | None:
    """Rank 0 picks and verifies the newest complete checkpoint; every rank gets its tag or its error."""
    result: list = [None]
    if dist.get_rank() == 0:
        try:
            tag = ckpt.latest_complete_tag(ckpt_dir)
            if tag is not None:
                meta = ckpt.verify(ckpt_dir, tag)
                ckpt.check_compatible(
                    meta, model=run.model.to_dict(), zero_stage=run.train.zero_stage, world_size=world, where=os.path.join(ckpt_dir, tag)
                )
            result = [("ok", tag)]
        except ckpt.CheckpointError as exc:
            result = [("error", str(exc))]
    dist.broadcast_object_list(result, src=0)
    status, value = result[0]
    if status == "error":
        raise ckpt.CheckpointError(value)
    return value


def _init_deepspeed(on_cuda: bool):
    """Import DeepSpeed for this device and start the process group (nccl on CUDA, gloo on CPU)."""
    if not on_cuda:
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
    import deepspeed  # after DS_ACCELERATOR: DeepSpeed picks its accelerator at import

    if not on_cuda and os.environ.get("XLM_DS_SHM_COMM") != "1":
        # DeepSpeed's CPU backend JIT-compiles a shared-memory all-reduce op at init (minutes on a
        # fresh machine); it speeds up inference all-reduces only, so training on gloo skips it.
        import deepspeed.comm.torch  # noqa: F401  (the attribute path resolves to `torch` itself)

        sys.modules["deepspeed.comm.torch"].build_shm_op = lambda: None
    deepspeed.init_distributed(dist_backend="nccl" if on_cuda else "gloo")
    return deepspeed


def train(run: RunConfig) -> dict:
    """Run (or resume) the training described by `run` on this rank; returns rank 0's summary."""
    on_cuda = torch.cuda.is_available()
    deepspeed = _init_deepspeed(on_cuda)
    rank, world = dist.get_rank(), dist.get_world_size()
    _setup_logging(rank)
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if on_cuda else torch.device("cpu")
    if on_cuda:
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = True
    tcfg, mcfg = run.train, run.model
    ds_config = build_ds_config(tcfg, world_size=world, on_cuda=on_cuda)  # checks batch layout first
    gas = ds_config["gradient_accumulation_steps"]
    ckpt_dir = os.path.join(run.output_dir, "checkpoints")
    metrics_path = os.path.join(run.output_dir, "metrics.jsonl")
    if rank == 0:
        os.makedirs(ckpt_dir, exist_ok=True)

    batches = RankBatches(
        mcfg, tcfg, open_mlm_streams(run.data, tcfg.seq_len, mcfg.vocab_size), open_pairs(run.data, mcfg.vocab_size), rank=rank, world_size=world
    )
    tag = _resume_tag(run, ckpt_dir, world)

    torch.manual_seed(tcfg.seed)  # same initial weights on every rank
    model = XLMREncoder(mcfg)
    model.loss_impl = tcfg.loss_impl
    n_params = sum(p.numel() for p in model.parameters())
    if tcfg.zero_stage == 3:
        # the tied decoder weight is used inside lm_head's forward, outside tok_emb's
        deepspeed.zero.register_external_parameter(model.lm_head, model.tok_emb.weight)
    torch.manual_seed(tcfg.seed * 1000 + rank + 1)  # dropout differs across ranks
    np.random.seed(tcfg.seed + rank)
    random.seed(tcfg.seed + rank)
    optimizer = torch.optim.AdamW(
        _param_groups(model, tcfg.weight_decay), lr=tcfg.lr, betas=tcfg.betas, eps=tcfg.eps, fused=on_cuda
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, tcfg.lr_factor)
    engine, _, _, _ = deepspeed.initialize(model=model, optimizer=optimizer, lr_scheduler=scheduler, config=ds_config)

    start = 0
    if tag is not None:
        _, client = engine.load_checkpoint(ckpt_dir, tag=tag)
        start = client["step"]
        batches.load_state(client["data"][rank])
        _set_rng_state(client["rng"][rank])
        log.info("resumed from %s at step %d", os.path.join(ckpt_dir, tag), start)
    if rank == 0:
        truncate_metrics(metrics_path, start)

    peak = tcfg.peak_tflops or (peak_tflops(torch.cuda.get_device_name(device)) if on_cuda else None)
    fpt = flops_per_token(mcfg, tcfg.seq_len, tcfg.mask_prob)
    tokens_per_step = tcfg.global_batch_size * tcfg.seq_len
    last_tag, loss = tag, None  # None: resumed a run that was already complete
    if start >= tcfg.max_steps:
        log.info("run already complete at step %d (train.max_steps=%d)", start, tcfg.max_steps)
    else:
        log.info(
            "training %s params, zero_stage=%d, %d ranks, micro %d x accumulation %d, steps %d..%d",
            f"{n_params:,}", tcfg.zero_stage, world, tcfg.micro_batch_size, gas, start + 1, tcfg.max_steps,
        )
    for step in range(start + 1, tcfg.max_steps + 1):
        t0 = time.perf_counter()
        # loss * masked, masked, correct, counted  (summed over micro-batches, then ranks)
        sums = torch.zeros(4, dtype=torch.float64, device=device)
        for micro in range(gas):
            b = {k: (v.to(device, non_blocking=True) if v is not None else None) for k, v in batches.batch((step - 1) * gas + micro).items()}
            out_loss, n_correct, n_counted, n_masked = engine(**b)
            engine.backward(out_loss)
            engine.step()
            sums += torch.stack([out_loss.detach().double() * n_masked, n_masked.double(), n_correct.double(), n_counted.double()])
        dist.all_reduce(sums)
        loss = (sums[0] / sums[1].clamp(min=1)).item()
        if not math.isfinite(loss):
            where = os.path.join(ckpt_dir, last_tag) if last_tag else "none (no checkpoint was saved yet)"
            raise TrainingDiverged(f"loss is {loss} at step {step}; stopping without saving. Last good checkpoint: {where}")
        dt = time.perf_counter() - t0
        if rank == 0 and (step % tcfg.log_every == 0 or step == tcfg.max_steps):
            gn = engine.get_global_grad_norm()
            row = {
                "step": step,
                "loss": loss,
                "mlm_acc": (sums[2] / sums[3].clamp(min=1)).item(),
                "lr": tcfg.lr * tcfg.lr_factor(step - 1),
                "grad_norm": float(gn) if gn is not None else None,
                "tokens_per_s": tokens_per_step / dt,
                "step_s": dt,
            }
            if peak:
                row["mfu"] = tokens_per_step / dt * fpt / (peak * 1e12 * world)
            with open(metrics_path, "a") as f:
                f.write(json.dumps(row) + "\n")
            log.info(
                "step %d loss %.4f acc %.3f lr %.3g grad_norm %s tok/s %.0f%s", step, loss, row["mlm_acc"], row["lr"],
                f"{row['grad_norm']:.3f}" if row["grad_norm"] is not None else "-", row["tokens_per_s"],
                f" mfu {row['mfu']:.3f}" if peak else "",
            )
        if step % tcfg.checkpoint_every == 0 or step == tcfg.max_steps:
            last_tag = _save(engine, run, ckpt_dir, step, batches, world)

    summary = {"steps": tcfg.max_steps, "final_loss": loss, "checkpoint": os.path.join(ckpt_dir, last_tag) if last_tag else None}
    if rank == 0:
        write_json(os.path.join(run.output_dir, "result.json"), {**summary, "extra": run.extra})
    dist.barrier()
    return summary


def _save(engine, run: RunConfig, ckpt_dir: str, step: int, batches: RankBatches, world: int) -> str:
    tag = ckpt.tag_for(step)
    data_states: list = [None] * world
    rng_states: list = [None] * world
    dist.all_gather_object(data_states, batches.state())
    dist.all_gather_object(rng_states, _rng_state())
    engine.save_checkpoint(ckpt_dir, tag=tag, client_state={"step": step, "data": data_states, "rng": rng_states})
    dist.barrier()  # every rank's shard is on disk
    if dist.get_rank() == 0:
        meta = {"step": step, "model": run.model.to_dict(), "zero_stage": run.train.zero_stage, "world_size": world}
        ckpt.write_manifest(ckpt_dir, tag, meta)
        deleted = ckpt.prune(ckpt_dir, run.train.keep_last)
        log.info("saved checkpoint %s%s", tag, f" (deleted {', '.join(deleted)})" if deleted else "")
    dist.barrier()
    return tag
