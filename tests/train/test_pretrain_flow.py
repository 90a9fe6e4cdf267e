"""flows/pretrain.py: `xlm pretrain` (ZeRO-1, bf16, 2 gloo ranks) with --export on the session Prefect
server, artifacts included; bad batch layout refused before anything starts."""

from __future__ import annotations

import json

import pytest

from flows.cli import main

from .conftest import make_run


def test_batch_sizes_that_do_not_divide_are_one_clear_line(tmp_path, capsys):
    config = make_run(tmp_path, stage=1, steps=2, micro_batch_size=8, global_batch_size=24)
    assert main(["pretrain", "--config", config, "--nproc", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xlm pretrain: error: train.global_batch_size=24 is not divisible by train.micro_batch_size=8 × 2 ranks")


@pytest.mark.slow
def test_xlm_pretrain_zero1_bf16_with_export(prefect_api, tmp_path, capsys):
    """bf16 as on a GPU (DeepSpeed's BF16_Optimizer, fp32 master weights; the CPU accelerator does
    bf16), exported from the consolidated fp32 weights."""
    config = make_run(tmp_path, stage=1, steps=6, checkpoint_every=3, precision="bf16")
    out = tmp_path / "hf"
    assert main(["pretrain", "--config", config, "--nproc", "2", "--export", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "trained to step 6" in printed and f"exported to {out}" in printed
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["checkpoint"].endswith("step00000006")
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["loss"] < rows[0]["loss"] - 0.5
    assert json.loads((out / "config.json").read_text())["architectures"] == ["XLMRobertaForMaskedLM"]

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        artifacts = {a.key: a for a in client.read_artifacts() if a.key}
        progress = [a for a in client.read_artifacts() if a.type == "progress" and str(tmp_path) in (a.description or "")]
    assert {"pretrain-loss", "pretrain-metrics"} <= set(artifacts)
    assert [a.data for a in progress] == [100.0]  # the last step's line always updates it
    assert "Training loss" in artifacts["pretrain-loss"].data


def test_missing_tokenizer_is_refused_before_training(tmp_path, capsys):
    config = make_run(tmp_path, stage=1, steps=2)
    argv = ["pretrain", "--config", config, "--nproc", "2", "--export", str(tmp_path / "hf"), "--tokenizer", str(tmp_path / "no-tok")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("xlm pretrain: error: tokenizer directory") and "does not exist" in err
    assert not (tmp_path / "run").exists()  # nothing was launched
