"""`xlm vocab` end to end: the Prefect flow on the session's server, and the CLI's bad-input path."""

import pytest

from flows.cli import build_parser, main
from tests.tokenize.helpers import TATOEBA
from xlm_core.parallel.config import ParallelConfig
from xlm_core.parallel.dataset import PairDataset
from xlm_core.tokenize.config import TokenizeConfig
from xlm_core.tokenize.dataset import PackedDataset
from xlm_core.vocab.config import VocabConfig


@pytest.fixture(scope="module")
def runs(tatoeba_dataset, tmp_path_factory, prefect_server):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.train_vocab import train_vocab

    out = tmp_path_factory.mktemp("flow")
    config = VocabConfig(vocab_size=1200, sentences=3000, languages=("de", "sw", "zh"), num_threads=2)
    kwargs = dict(
        tokenize_config=TokenizeConfig(seq_len=128),
        parallel_inputs=[{"tsv": str(TATOEBA)}],
        parallel_config=ParallelConfig(languages=("de", "zh")),
    )
    with temporary_settings({PREFECT_API_URL: prefect_server}):
        first = train_vocab(str(tatoeba_dataset), str(out), config, **kwargs)
        mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.bin")}
        again = train_vocab(str(tatoeba_dataset), str(out), config, **kwargs)
    return out, first, again, mtimes


def test_flow_writes_vocab_streams_and_pairs(runs):
    out, first, _, _ = runs
    ds = PackedDataset(first["tokens"], vocab=first["hf"])
    assert ds.languages == ("de", "sw", "zh") and ds.seq_len == 128 and len(ds) > 0
    pairs = PairDataset(first["pair_tokens"], vocab=first["model"])
    assert set(pairs.pairs) == {"de-en", "zh-en"}
    assert (out / "vocab" / "report.md").read_text().count("\n| ") >= 3


def test_rerun_reuses_every_step(runs):
    out, first, again, mtimes = runs
    assert again["sha256"] == first["sha256"]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.bin")} == mtimes
    steps = [f"{step}-{lang}.json" for step in ("count", "sample") for lang in ("de", "sw", "zh")]
    assert sorted(p.name for p in (out / "_done").iterdir()) == sorted([*steps, "train.json"])


def test_vocab_command_is_registered():
    args = build_parser().parse_args(
        ["vocab", "--dataset", "d", "--out", "o", "--vocab-size", "8000", "--alpha", "0.5"]
    )
    assert args.command == "vocab" and args.vocab_size == 8000 and args.alpha == 0.5 and not args.no_tokenize


def test_cli_bad_input_is_one_clear_line(tmp_path, capsys):
    assert main(["vocab", "--dataset", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "xlm vocab: error: no manifest.json" in capsys.readouterr().err
    assert (
        main(
            ["vocab", "--dataset", str(tmp_path), "--out", str(tmp_path / "o"), "--model-type", "bpe", "--alpha", "1.5"]
        )
        == 2
    )
    assert "vocab.alpha: 1.5 is greater than the maximum of 1" in capsys.readouterr().err
