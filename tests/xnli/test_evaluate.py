"""xlm_core/xnli/evaluate.py: the whole protocol on a tiny model; accuracies recomputed from the
saved predictions agree with the report."""

from __future__ import annotations

import csv
import gzip
import json

import pytest

from tests.xnli.tiny import SICK, XNLI_DEV, XNLI_TEST
from xlm_core.xnli.config import XnliConfig
from xlm_core.xnli.data import XNLI_LANGUAGES
from xlm_core.xnli.evaluate import check_inputs, run_xnli

MAX_EVAL = 40


@pytest.fixture(scope="module")
def run(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("xnli-run")
    config = XnliConfig(
        train=(SICK,), dev=XNLI_DEV, test=XNLI_TEST, dev_for_training=100, max_train=160,
        max_eval=MAX_EVAL, epochs=2, batch_size=16, learning_rate=1e-3, max_length=64, threads=1,
    )  # fmt: skip
    paths = run_xnli(tiny_model, str(out), config)
    return out, paths


def _gold_test_labels(lang):
    with gzip.open(XNLI_TEST, "rt", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    return [r[1] for r in rows if r[0] == lang][:MAX_EVAL]


def test_recomputed_accuracies_equal_the_report(run):
    out, paths = run
    results = json.loads((out / "xnli_results.json").read_text())
    recomputed = {}
    for lang in XNLI_LANGUAGES:
        with open(out / "predictions" / "test" / f"{lang}.tsv", newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
        assert [r["gold_label"] for r in rows] == _gold_test_labels(lang)
        recomputed[lang] = sum(r["gold_label"] == r["predicted_label"] for r in rows) / len(rows)
    assert recomputed == pytest.approx(results["accuracy"], abs=1e-12)
    assert results["average"] == pytest.approx(sum(recomputed.values()) / 15)
    markdown = (out / "xnli_report.md").read_text()
    for lang, acc in recomputed.items():
        assert f"| {lang} | {100 * acc:.1f} |" in markdown
    assert paths["average"] == pytest.approx(results["average"])


def test_run_folder_and_training_record(run):
    out, paths = run
    training = json.loads((out / "training.json").read_text())
    assert training["data"]["kinds"] == ["sick", "xnli-dev"] and not training["data"]["paper_protocol"]
    assert training["data"]["pairs_used"] == 160 and training["data"]["selection_pairs"] == {"en": MAX_EVAL}
    assert len(training["history"]) == 2
    assert (out / "best_model" / "model.safetensors").is_file()
    assert (out / "xnli_accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "not on MultiNLI" in (out / "xnli_report.md").read_text()


def test_missing_language_fails_before_training(tiny_model, tmp_path):
    config = XnliConfig(languages=("en", "qu"))  # not validated here: the data check must catch it
    with pytest.raises(ValueError, match=r"no XNLI rows for language\(s\) qu; the file has ar, bg, de"):
        check_inputs(tiny_model, str(tmp_path), config)
    assert not (tmp_path / "training.json").exists()


def test_rerun_reuses_finished_steps(run, tiny_model, caplog):
    out, _ = run
    training = json.loads((out / "training.json").read_text())
    config = XnliConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in training["config"].items()})
    before = (out / "best_model" / "model.safetensors").stat().st_mtime_ns
    with caplog.at_level("INFO", logger="xlm_core.xnli.evaluate"):
        run_xnli(tiny_model, str(out), config)
    assert "fine-tuning already done" in caplog.text and "test predictions already done" in caplog.text
    assert (out / "best_model" / "model.safetensors").stat().st_mtime_ns == before
    assert sorted(p.name for p in (out / "_done").iterdir()) == ["finetune.json", "test.json"]


def test_missing_data_file_names_the_field(tiny_model, tmp_path):
    config = XnliConfig(test=str(tmp_path / "XNLI-1.0" / "xnli.test.tsv"))
    with pytest.raises(FileNotFoundError, match=r"spec field xnli.test: .*xnli.test.tsv does not exist"):
        check_inputs(tiny_model, str(tmp_path / "out"), config)


def test_average_selection_keeps_translations_of_training_pairs_out():
    from xlm_core.xnli.evaluate import load_training_data

    config = XnliConfig(train=(SICK,), dev=XNLI_DEV, test=XNLI_TEST, dev_for_training=2100, selection="avg")
    data = load_training_data(config)
    assert sorted(data.selection) == sorted(XNLI_LANGUAGES)
    assert data.description["selection_pairs"] == {lang: 390 for lang in XNLI_LANGUAGES}
    taken = {str(k) for k in range(390, 2490)}  # positions of the last 2,100 English dev pairs
    assert all(p.pair_id not in taken for rows in data.selection.values() for p in rows)
    assert {p.pair_id for p in data.selection["sw"]} == {str(k) for k in range(390)}
    assert data.description["kinds"] == ["sick", "xnli-dev"] and len(data.pairs) == 9927 + 2100
