"""2-process gloo DeepSpeed runs (CPU) through the real launcher: ZeRO 1/2/3 train on real text,
kill-and-resume equals an uninterrupted run, bad input stops with a clear message."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from xlm_core.train import checkpoint as ckpt
from xlm_core.train.export import consolidated_state_dict, export_checkpoint
from xlm_core.train.launch import LaunchConfig, LaunchError, run_training
from xlm_core.train.metrics import read_metrics

from .conftest import SEQ, make_run
from .textdata import byte_rows

pytestmark = pytest.mark.slow
LAUNCH = LaunchConfig(nproc_per_node=2, omp_threads=1)


def _train(config: str, launch: LaunchConfig = LAUNCH) -> list[str]:
    lines: list[str] = []
    run_training(config, launch, on_line=lines.append)
    return lines


ONE_RANK = LaunchConfig(nproc_per_node=1, omp_threads=1)  # failure tests: half the start-up CPU


def _losses(config: str) -> dict[int, float]:
    out = json.load(open(config))["output_dir"]
    return {r["step"]: r["loss"] for r in read_metrics(os.path.join(out, "metrics.jsonl"))}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """ZeRO-2, 10 steps, checkpoints at 5 and 10."""
    root = tmp_path_factory.mktemp("ref")
    config = make_run(root, stage=2, steps=10)
    _train(config)
    return root, config


def test_zero2_loss_falls_on_real_text(reference):
    root, config = reference
    losses = _losses(config)
    assert sorted(losses) == list(range(1, 11))
    assert losses[10] < losses[1] - 0.8  # ln(300) = 5.7 at start
    rows = read_metrics(os.path.join(root, "run", "metrics.jsonl"))
    assert all(r["grad_norm"] > 0 and r["tokens_per_s"] > 0 and r["lr"] > 0 for r in rows)
    assert rows[-1]["mlm_acc"] > 0.1
    assert ckpt.complete_tags(str(root / "run" / "checkpoints")) == ["step00000005", "step00000010"]


def _no_process_mentions(text: str, wait_s: float = 15.0) -> bool:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if subprocess.run(["pgrep", "-f", text], capture_output=True).stdout == b"":
            return True
        time.sleep(0.5)
    return False


def test_kill_and_resume_equals_uninterrupted(reference, tmp_path):
    """SIGTERM to the launching process (what cancelling a flow run sends) mid-run; then resume."""
    _, ref_config = reference
    config = make_run(tmp_path, stage=2, steps=10)
    code = (
        "import sys; from xlm_core.train.launch import LaunchConfig, run_training; "
        "run_training(sys.argv[1], LaunchConfig(nproc_per_node=2, omp_threads=1), on_line=lambda l: print(l, flush=True))"
    )
    parent = subprocess.Popen([sys.executable, "-c", code, config], stdout=subprocess.PIPE, text=True)
    for line in parent.stdout:
        if "step 7 loss" in line:
            parent.send_signal(signal.SIGTERM)
            break
    assert parent.wait(timeout=60) != 0
    assert _no_process_mentions(config)  # torchrun and both ranks went with it
    assert 7 <= max(_losses(config)) < 10  # killed mid-run (a step may finish while the signal travels)
    assert ckpt.latest_complete_tag(str(tmp_path / "run" / "checkpoints")) == "step00000005"
    lines = _train(config)
    assert any("resumed from" in line and "step00000005" in line for line in lines)
    assert _losses(config) == _losses(ref_config)  # exactly: same data, masks, dropout, optimizer state


def test_zero3_mlm_tlm_with_language_embeddings_trains_and_exports(tmp_path):
    """XLM mode (one embedding per language) and 30% TLM micro-batches, under ZeRO-3.
    (ZeRO-1 runs in test_pretrain_flow.py, through `xlm pretrain`.)"""
    config = make_run(tmp_path, stage=3, steps=6, checkpoint_every=6, tlm=True, tlm_ratio=0.3, model={"num_languages": 2})
    _train(config)
    losses = _losses(config)
    assert losses[6] < losses[1] - 0.5
    r = export_checkpoint(str(tmp_path / "run" / "checkpoints"), str(tmp_path / "hf"))
    assert r["tag"] == "step00000006" and r["max_logit_diff"] < 1e-5


def test_export_of_trained_checkpoint_matches_hf_on_real_text(reference, tmp_path):
    from transformers import XLMRobertaForMaskedLM

    from xlm_core.model.encoder import XLMREncoder

    root, _ = reference
    export_checkpoint(str(root / "run" / "checkpoints"), str(tmp_path / "hf"))
    state, cfg, tag = consolidated_state_dict(str(root / "run" / "checkpoints"))
    assert tag == "step00000010"
    ours = XLMREncoder(cfg).eval()
    ours.load_state_dict(state)
    hf = XLMRobertaForMaskedLM.from_pretrained(str(tmp_path / "hf")).eval()
    ids = torch.from_numpy(byte_rows("nl", 4, SEQ).astype(np.int64))
    with torch.no_grad():
        diff = (ours.logits(ours.encode(ids)) - hf(input_ids=ids).logits).abs().max().item()
    assert diff < 1e-5


def test_nan_loss_stops_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    config = make_run(tmp_path, stage=2, steps=4, lr=1e30, warmup_steps=0, checkpoint_every=1, keep_last=10)
    with pytest.raises(LaunchError, match=r"loss is nan at step (\d+)") as exc:
        _train(config, ONE_RANK)
    step = int(__import__("re").search(r"at step (\d+)", str(exc.value)).group(1))
    tags = ckpt.complete_tags(str(tmp_path / "run" / "checkpoints"))
    assert tags[-1] == ckpt.tag_for(step - 1) and f"Last good checkpoint: {tmp_path / 'run' / 'checkpoints' / tags[-1]}" in str(exc.value)


def test_resume_from_a_checkpoint_of_another_shape_is_refused(reference, tmp_path):
    root, _ = reference
    config = make_run(tmp_path, stage=2, steps=12, model={"hidden_size": 32, "num_heads": 2})
    shutil.copytree(root / "run" / "checkpoints", tmp_path / "run" / "checkpoints")
    with pytest.raises(LaunchError, match=r"another model shape \(model.hidden_size: checkpoint 64 vs run 32"):
        _train(config, ONE_RANK)  # the shape is checked before the world size
