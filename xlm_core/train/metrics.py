"""Training metrics: model FLOPs per token (for MFU), the metrics JSONL, and the summaries the
Prefect flow shows as artifacts (loss curve as text, table)."""

from __future__ import annotations

import json
import os

from xlm_core.model.config import ModelConfig

# bf16 dense peak per device, TFLOP/s (vendor datasheets), matched on the CUDA device name
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10G": 70.0, "L4": 121.0}


def peak_tflops(device_name: str) -> float | None:
    for key, value in PEAK_TFLOPS.items():
        if key in device_name:
            return value
    return None


def flops_per_token(cfg: ModelConfig, seq_len: int, mask_prob: float) -> float:
    """Training FLOPs per input token (forward + backward = 3 × forward, 2 FLOPs per MAC): the
    layers' matmuls, attention scores and values, and the LM head on the masked share only."""
    h, i, n = cfg.hidden_size, cfg.intermediate_size, cfg.num_layers
    layers = n * (4 * h * h + 2 * h * i)
    attention = n * 2 * seq_len * h  # QK^T and AV, per token
    head = mask_prob * (h * h + h * cfg.vocab_size)
    return 6.0 * (layers + attention + head)


def read_metrics(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def truncate_metrics(path: str, last_step: int) -> None:
    """Drop lines after `last_step` (a resumed run re-does those steps)."""
    from xlm_core.io import write_bytes

    rows = [r for r in read_metrics(path) if r["step"] <= last_step]
    write_bytes(path, "".join(json.dumps(r) + "\n" for r in rows).encode())


def loss_curve_markdown(rows: list[dict], width: int = 60, height: int = 12) -> str:
    """A text plot of loss against step (Prefect markdown artifacts render no images from disk)."""
    if not rows:
        return "_no metrics yet_"
    pts = [(r["step"], r["loss"]) for r in rows if r.get("loss") is not None]
    # one column per bucket of steps, the mean loss of the bucket
    buckets: list[list[float]] = [[] for _ in range(min(width, len(pts)))]
    for j, (_, loss) in enumerate(pts):
        buckets[j * len(buckets) // len(pts)].append(loss)
    ys = [sum(b) / len(b) for b in buckets]
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or 1.0
    grid = [[" "] * len(ys) for _ in range(height)]
    for x, y in enumerate(ys):
        grid[height - 1 - round((y - lo) / span * (height - 1))][x] = "*"
    lines = [f"{hi:8.3f} |" + "".join(grid[0])] + ["         |" + "".join(r) for r in grid[1:-1]]
    lines += [f"{lo:8.3f} |" + "".join(grid[-1]), "         +" + "-" * len(ys), f"          step {pts[0][0]} .. {pts[-1][0]}"]
    return "### Training loss\n\n```\n" + "\n".join(lines) + "\n```\n"


def metrics_table(rows: list[dict], max_rows: int = 20) -> list[dict]:
    """Evenly spaced rows (first and last included) for a Prefect table artifact."""
    if len(rows) <= max_rows:
        picked = rows
    else:
        idx = sorted({round(j * (len(rows) - 1) / (max_rows - 1)) for j in range(max_rows)})
        picked = [rows[j] for j in idx]
    keys = ("step", "loss", "mlm_acc", "lr", "grad_norm", "tokens_per_s", "mfu")
    return [{k: r.get(k) for k in keys if k in r} for r in picked]
