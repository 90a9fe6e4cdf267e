import json

from tests.tokenize.helpers import sentences_by_language
from xlm_core.vocab.config import VocabConfig
from xlm_core.vocab.model import Vocabulary
from xlm_core.vocab.report import build_report, to_markdown
from xlm_core.vocab.train import train_sentencepiece


def test_report_files_cover_every_language(built_vocab):
    report = json.loads((built_vocab["out"] / "vocab" / "report.json").read_text())
    langs = [row["language"] for row in report["languages"]]
    assert langs == sorted(sentences_by_language())
    for row in report["languages"]:
        assert row["tokens"] > 0 and 0 < row["vocab_share"] <= 1 and row["fertility"] >= 1
        assert row["byte_rate"] == 0  # no byte fallback in this vocabulary
    md = (built_vocab["out"] / "vocab" / "report.md").read_text()
    assert "| sw |" in md and "realised share" in md


def test_byte_fallback_and_unk_rates(built_vocab, tmp_path):
    """Chinese has far more characters than a 800-piece vocabulary can hold: they fall back to
    bytes with byte fallback, and become <unk> without it."""
    inputs = sorted(str(p) for p in (built_vocab["out"] / "sample").glob("*.txt"))
    texts = {k: v[:100] for k, v in sentences_by_language().items() if k in ("zh", "de")}
    rows = {}
    for bf in (True, False):
        trained = train_sentencepiece(
            inputs,
            str(tmp_path / str(bf)),
            VocabConfig(vocab_size=800, byte_fallback=bf, character_coverage=0.98, num_threads=2),
        )
        rows[bf] = {r["language"]: r for r in build_report(Vocabulary(trained["model"]), texts)["languages"]}
    assert rows[True]["zh"]["byte_rate"] > 0.05 and rows[True]["zh"]["unk_rate"] == 0
    assert rows[False]["zh"]["unk_rate"] > 0.01 and rows[False]["zh"]["byte_rate"] == 0
    assert rows[True]["de"]["fertility"] < rows[True]["zh"]["tokens_per_char"] * 100
    assert "| zh |" in to_markdown(
        {
            "vocab": {"model_type": "bpe", "vocab_size": 802, "byte_fallback": True, "sha256": "x"},
            "languages": list(rows[True].values()),
        }
    )
