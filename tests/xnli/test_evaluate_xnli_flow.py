"""flows/evaluate_xnli.py: `xlm xnli` end to end on the session Prefect server, artifacts included,
and bad input refused before Prefect starts."""

from __future__ import annotations

import json
import shutil

import pytest

from flows.cli import main
from tests.xnli.tiny import SICK


def test_bad_model_folder_is_one_clear_line(tiny_model, tmp_path, capsys):
    folder = tmp_path / "no-tokenizer"
    shutil.copytree(tiny_model, folder, ignore=shutil.ignore_patterns("tokenizer*"))
    assert main(["xnli", "--model", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xlm xnli: error: model folder") and "has no tokenizer" in err


def test_bad_spec_value_names_the_field(tiny_model, tmp_path, capsys):
    spec = tmp_path / "s.yaml"
    spec.write_text("name: t\nlanguages: [en]\nsources: []\noutput: out\nxnli:\n  selection: best\n")
    assert main(["xnli", "--model", tiny_model, "--out", str(tmp_path / "o"), "--spec", str(spec)]) == 2
    assert "xnli.selection" in capsys.readouterr().err


@pytest.mark.slow
def test_xlm_xnli_runs_the_flow(prefect_api, tiny_model, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["xnli", "--model", tiny_model, "--out", str(out), "--train-data", SICK, "--languages", "en", "de", "sw",
            "--epochs", "1", "--max-train", "64", "--max-eval", "30", "--threads", "1"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "xnli_results.json").read_text())
    assert results["languages"] == ["en", "de", "sw"]
    assert f"| sw | {100 * results['accuracy']['sw']:.1f} |" in printed
    assert "not on MultiNLI" in printed

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        keys = {a.key for a in client.read_artifacts() if a.key}
    assert {"xnli-accuracy", "xnli-report"} <= keys
