"""xlm_core/xnli/report.py: collapse and chance flags, protocol note, rendering, published numbers."""

from __future__ import annotations

import json

import pytest

from xlm_core.xnli.data import LABELS
from xlm_core.xnli.published import PUBLISHED_AVERAGE, PUBLISHED_PER_LANGUAGE
from xlm_core.xnli.report import build_report

LANGS = ("en", "fr", "sw")


def _write_run(out, predict, paper_protocol=True):
    """Predictions for 30 balanced pairs per language; predict(gold index, row) -> label index."""
    pred_dir = out / "predictions" / "test"
    pred_dir.mkdir(parents=True)
    for lang in LANGS:
        lines = ["pair_id\tgold_label\tpredicted_label"]
        for k in range(30):
            gold = k % 3
            lines.append(f"{k}\t{LABELS[gold]}\t{LABELS[predict(lang, gold, k)]}")
        (pred_dir / f"{lang}.tsv").write_text("\n".join(lines) + "\n")
    kinds = ["multinli"] if paper_protocol else ["sick"]
    training = {
        "model": "/models/x",
        "config": {"train_language": "en", "epochs": 3},
        "best_epoch": 2,
        "data": {
            "sources": [{"uri": "t", "kind": kinds[0], "pairs": 1000, "skipped": 0}],
            "kinds": kinds, "pairs_available": 1000, "pairs_used": 1000,
            "paper_protocol": paper_protocol, "selection": "en", "selection_pairs": {"en": 30},
        },
    }  # fmt: skip
    (out / "training.json").write_text(json.dumps(training))
    return build_report(str(out), LANGS)


def test_collapsed_run_is_flagged_not_presented(tmp_path):
    paths = _write_run(tmp_path, lambda lang, gold, k: 1 if k % 10 else gold)  # 90%+ "neutral"
    results = json.loads((tmp_path / "xnli_results.json").read_text())
    assert results["status"] == "collapsed" and "'neutral'" in results["flag"]
    md = (tmp_path / "xnli_report.md").read_text()
    assert "RUN FLAGGED, NOT A RESULT" in md and "ours (diagnostic, not a result)" in md
    assert "XLM-R large" not in md and "Published averages" not in md
    assert paths["status"] == "collapsed"


def test_chance_accuracy_on_train_language_is_flagged(tmp_path):
    # Spread over all classes but right only one time in three on English.
    _write_run(tmp_path, lambda lang, gold, k: (k // 3) % 3 if lang == "en" else gold)
    results = json.loads((tmp_path / "xnli_results.json").read_text())
    assert results["accuracy"]["en"] == pytest.approx(1 / 3)
    assert results["status"] == "collapsed" and results["flag"].startswith("at chance")


def test_good_run_is_compared_with_published(tmp_path):
    _write_run(tmp_path, lambda lang, gold, k: gold if k % 5 else (gold + 1) % 3)
    results = json.loads((tmp_path / "xnli_results.json").read_text())
    assert results["status"] == "ok" and results["accuracy"] == {lang: 0.8 for lang in LANGS}
    assert results["per_language"]["en"]["confusion"] == [[8, 2, 0], [0, 8, 2], [2, 0, 8]]
    md = (tmp_path / "xnli_report.md").read_text()
    assert "| en | 80.0 | 85.8 | 89.1 |" in md and "| sw | 80.0 | 66.5 | 73.9 |" in md
    assert "| **avg** | **80.0** | **76.2** | **80.9** |" in md
    assert "mBERT 66.3" in md and "XLM (MLM) 71.5" in md and "XLM (MLM+TLM) 75.1" in md
    assert "Not the paper's protocol" not in md
    assert "| en | 8 | 2 | 0 | 0 | 8 | 2 | 2 | 0 | 8 | 0.33 |" in md


def test_non_multinli_training_says_so(tmp_path):
    _write_run(tmp_path, lambda lang, gold, k: gold if k % 5 else (gold + 1) % 3, paper_protocol=False)
    md = (tmp_path / "xnli_report.md").read_text()
    assert "**Not the paper's protocol.** Fine-tuned on SICK (1,000 pairs), not on MultiNLI" in md


def test_published_per_language_matches_averages():
    for name, per_lang in PUBLISHED_PER_LANGUAGE.items():
        assert len(per_lang) == 15
        assert sum(per_lang.values()) / 15 == pytest.approx(PUBLISHED_AVERAGE[name], abs=0.05)
