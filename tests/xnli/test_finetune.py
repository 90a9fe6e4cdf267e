"""xlm_core/xnli/finetune.py: model-folder checks before compute, training with model selection."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.xnli.tiny import XNLI_DEV
from xlm_core.xnli.config import XnliConfig
from xlm_core.xnli.data import LABELS, read_xnli
from xlm_core.xnli.finetune import check_model_folder, finetune, load_classifier


def _copy(src, dst, drop=()):
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*drop))
    return str(dst)


def test_folder_without_tokenizer(tiny_model, tmp_path):
    folder = _copy(tiny_model, tmp_path / "m", drop=("tokenizer*", "sentencepiece*"))
    with pytest.raises(FileNotFoundError, match=r"has no tokenizer \(tokenizer.json or sentencepiece.bpe.model\)"):
        check_model_folder(folder)


def test_head_with_other_labels(tiny_model, tmp_path):
    from transformers import XLMRobertaForSequenceClassification

    model = XLMRobertaForSequenceClassification.from_pretrained(
        tiny_model, num_labels=2, id2label={0: "negative", 1: "positive"}, label2id={"negative": 0, "positive": 1}
    )
    folder = _copy(tiny_model, tmp_path / "sentiment")
    model.save_pretrained(folder)
    with pytest.raises(ValueError, match=r"head for labels \['negative', 'positive'\] but the NLI data has"):
        check_model_folder(folder)


def test_max_length_beyond_positions(tiny_model):
    with pytest.raises(ValueError, match=r"spec field xnli.max_length: 512 exceeds the model's 128"):
        check_model_folder(tiny_model, max_length=512)


def test_tokenizer_larger_than_embedding(tiny_model, tmp_path):
    from xlm_core.xnli.finetune import load_tokenizer

    folder = _copy(tiny_model, tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    with pytest.raises(ValueError, match=r"tokenizer has \d+ tokens but the model's vocab_size is 100"):
        load_tokenizer(folder, vocab_size=100)
    assert config["vocab_size"] >= 100


def test_finetune_keeps_best_epoch(tiny_model, tmp_path):
    dev = read_xnli(XNLI_DEV, ["en"])["en"]
    config = XnliConfig(epochs=2, batch_size=16, learning_rate=1e-3, max_length=48, seed=1, threads=1)
    result = finetune(tiny_model, str(tmp_path), dev[:96], {"en": dev[-60:]}, config)
    assert [h["epoch"] for h in result.history] == [1, 2]
    scores = [h["selection_score"] for h in result.history]
    assert result.best_score == max(scores) and result.best_epoch == scores.index(max(scores)) + 1
    best = load_classifier(result.best_model)
    assert [best.config.id2label[i] for i in range(3)] == list(LABELS)
    # The saved folder is itself a valid input (its head predicts the same labels).
    assert check_model_folder(result.best_model).has_head


def test_vocab_stage_export_is_accepted(tmp_path):
    """The tokenizer folder written by the vocab stage loads, and pairs encode as XLM-R does."""
    hf_export = pytest.importorskip("xlm_core.vocab.hf_export")
    import sentencepiece as spm
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM

    from tests.xnli.tiny import _sentences
    from xlm_core.xnli.data import NliPair
    from xlm_core.xnli.finetune import encode, load_tokenizer

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_sentences(40)), model_prefix=str(tmp_path / "sp"), vocab_size=400,
        model_type="unigram", character_coverage=0.98, num_threads=1, minloglevel=2,
    )  # fmt: skip
    folder = hf_export.export_hf_tokenizer(str(tmp_path / "sp.model"), str(tmp_path / "model"))
    config = XLMRobertaConfig(vocab_size=402, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                              intermediate_size=32, max_position_embeddings=130, type_vocab_size=1)  # fmt: skip
    XLMRobertaForMaskedLM(config).save_pretrained(folder)
    info = check_model_folder(folder, max_length=128)
    tokenizer = load_tokenizer(folder, info.vocab_size)
    ids = encode(tokenizer, [NliPair("The man sleeps.", "A man is asleep.", 0, "en", "0")], 64)[0]
    assert ids[0] == 0 and ids[-1] == 2 and ids.count(2) == 3 and 3 not in ids[1:3]  # <s> A </s></s> B </s>
