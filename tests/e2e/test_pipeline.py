"""The whole chain on real samples with the tiny model: dataset -> vocab -> DeepSpeed pretraining
(2 gloo ranks, MLM + TLM) -> XNLI on 15 languages; then a rerun reuses every stage."""

import csv
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.dataset.helpers import WET, WIKI
from tests.conftest import SAMPLES, XLM, xlm_env
from xlm_core.xnli.data import XNLI_LANGUAGES


def spec(tmp_path: Path, **train) -> Path:
    data = {
        "name": "chain",
        "languages": ["en", "nl", "uk", "ru", "zh", "de", "es", "fr"],
        "sources": [{"type": "wikipedia", "language": lang, "files": [path]} for lang, path in WIKI.items()]
        + [{"type": "commoncrawl", "files": [WET]}],
        "output": str(tmp_path / "datasets"),
        "vocab": {"vocab_size": 3000, "sentences": 20000, "byte_fallback": True, "num_threads": 1,
                  "character_coverage": 0.99},
        "tokenize": {"seq_len": 64},
        "parallel": {"inputs": [{"tsv": str(SAMPLES / "parallel" / "tatoeba_xnli14.tsv.gz")}], "skip_lid": ["sw"]},
        "model": {"size": "tiny"},
        "train": {"max_steps": 12, "micro_batch_size": 4, "global_batch_size": 8, "seq_len": 64,
                  "checkpoint_every": 6, "tlm_ratio": 0.25, **train},
        "xnli": {"epochs": 1, "max_train": 400, "max_eval": 30, "max_length": 48, "threads": 1},
        "pipeline": {"runs": str(tmp_path / "runs"), "nproc": 2},
    }
    path = tmp_path / "chain.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def xlm_run(path, env):
    return subprocess.run([XLM, "run", str(path)], env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_chain_end_to_end_then_rerun_reuses_stages(tmp_path, prefect_server):
    env = xlm_env(prefect_server)
    path = spec(tmp_path)
    first = xlm_run(path, env)
    assert first.returncode == 0, first.stderr[-4000:]
    table = first.stdout
    for lang in XNLI_LANGUAGES:
        assert f"| {lang} |" in table
    # predictions saved per language; accuracies recomputed from them match the report
    (xnli_dir,) = list((tmp_path / "runs" / "chain").glob("pretrain-main-*/xnli"))
    import json

    results = json.loads((xnli_dir / "xnli_results.json").read_text())
    for lang in XNLI_LANGUAGES:
        with open(xnli_dir / "predictions" / "test" / f"{lang}.tsv") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        acc = sum(r["gold_label"] == r["predicted_label"] for r in rows) / len(rows)
        assert abs(acc - results["accuracy"][lang]) < 1e-9
    metrics = (tmp_path / "runs" / "chain").glob("pretrain-main-*/train/metrics.jsonl")
    assert sum(1 for _ in open(next(metrics))) == 12

    again = xlm_run(path, env)
    assert again.returncode == 0, again.stderr[-4000:]
    assert again.stdout.split("dataset:")[1] == first.stdout.split("dataset:")[1]
    runs = sorted(p.name for p in (tmp_path / "runs" / "chain").iterdir())
    assert len([r for r in runs if r.startswith("pretrain-")]) == 1  # nothing retrained

    # a training setting changed: the same dataset version and vocabulary, a new pretraining arm
    data = yaml.safe_load(path.read_text())
    data["train"]["lr"] = 0.003
    path.write_text(yaml.safe_dump(data))
    changed = xlm_run(path, env)
    assert changed.returncode == 0, changed.stderr[-4000:]
    def where(out: str) -> list[str]:
        return [line for line in out.splitlines() if line.startswith(("dataset:", "vocabulary:"))]

    assert where(changed.stdout) == where(first.stdout) and len(where(first.stdout)) == 2
    runs = sorted(p.name for p in (tmp_path / "runs" / "chain").iterdir())
    assert len([r for r in runs if r.startswith("vocab-")]) == 1, runs
    assert len([r for r in runs if r.startswith("pretrain-")]) == 2, runs
    assert len(list((tmp_path / "datasets" / "chain").glob("*/manifest.json"))) == 1


def test_stages_that_cannot_chain_fail_before_compute(tmp_path, prefect_server):
    path = spec(tmp_path, global_batch_size=6)
    data = yaml.safe_load(path.read_text())
    data["model"]["vocab_size"] = 5000  # vocab.vocab_size 3000 -> 3002 ids
    path.write_text(yaml.safe_dump(data))
    r = xlm_run(path, xlm_env(prefect_server))
    assert r.returncode == 2
    assert "model.vocab_size=5000 cannot chain with vocab.vocab_size=3000" in r.stderr
    assert "global_batch_size=6" in r.stderr
    assert not (tmp_path / "datasets").exists()
