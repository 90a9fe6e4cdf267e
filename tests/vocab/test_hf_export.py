"""The exported folder is a transformers tokenizer with XLM-R's ids that agrees with our encoder."""

import unicodedata

import numpy as np
import pytest
from transformers import AutoTokenizer, XLMRobertaTokenizer

from tests.tokenize.helpers import sentences_by_language
from xlm_core.vocab.config import VocabConfig
from xlm_core.vocab.hf_export import export_hf_tokenizer
from xlm_core.vocab.model import Vocabulary
from xlm_core.vocab.train import train_sentencepiece

EXTRA = [
    "  double  spaces\tand a tab\nand a newline  ",
    "emoji 🙂, ½, ﬁ, full-width ＡＢＣ, NBSP\u00a0here, ideographic\u3000space",
    "Ελληνικά, русский, 中文混合 English 123-456 ok?",
    "",
]


def multilingual_texts(rng_seed: int = 0) -> list[str]:
    """Random sentences of every language plus random cross-language mixtures."""
    by_lang = sentences_by_language()
    rng = np.random.default_rng(rng_seed)
    texts = []
    for lang, sents in sorted(by_lang.items()):
        texts += [sents[i] for i in rng.choice(len(sents), 20, replace=False)]
    flat = [s for sents in by_lang.values() for s in sents]
    texts += [" ".join(flat[i] for i in rng.choice(len(flat), 4)) for _ in range(50)]
    return texts + EXTRA


@pytest.fixture(
    scope="module", params=[("bpe", False), ("bpe", True), ("unigram", False)], ids=lambda p: f"{p[0]}-bf{int(p[1])}"
)
def exported(request, built_vocab, tmp_path_factory):
    model_type, byte_fallback = request.param
    if (model_type, byte_fallback) == ("bpe", False):
        return Vocabulary(built_vocab["model"]), built_vocab["hf"]
    out = tmp_path_factory.mktemp(f"{model_type}{int(byte_fallback)}")
    inputs = sorted(str(p) for p in (built_vocab["out"] / "sample").glob("*.txt"))
    config = VocabConfig(vocab_size=1500, model_type=model_type, byte_fallback=byte_fallback, num_threads=2)
    trained = train_sentencepiece(inputs, str(out / "vocab"), config)
    return Vocabulary(trained["model"]), export_hf_tokenizer(trained["model"], str(out / "hf"))


@pytest.mark.parametrize("use_fast", [True, False])
def test_hf_ids_equal_ours_on_multilingual_text(exported, use_fast):
    """transformers 5 has no slow XLM-R tokenizer: use_fast=False must still load the same one."""
    vocab, folder = exported
    tok = AutoTokenizer.from_pretrained(folder, use_fast=use_fast)
    texts = multilingual_texts()
    ours = vocab.encode(texts)
    for text, ids in zip(texts, ours):
        assert tok(text)["input_ids"] == [0, *ids.tolist(), 2], text


def test_special_tokens_and_pairs_are_xlmr(exported):
    vocab, folder = exported
    tok = AutoTokenizer.from_pretrained(folder)
    assert (tok.bos_token_id, tok.pad_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 1, 2, 3)
    assert tok.mask_token_id == vocab.mask_id == len(tok) - 1
    a, b = vocab.encode(["Guten Tag", "good day"])
    assert tok("Guten Tag", "good day")["input_ids"] == [0, *a.tolist(), 2, 2, *b.tolist(), 2]


def test_detokenize_round_trip(exported):
    vocab, folder = exported
    tok = AutoTokenizer.from_pretrained(folder)
    for text in multilingual_texts(1)[: -len(EXTRA)]:  # NFKC-stable text: decoding gives it back
        ids = vocab.encode([text])[0]
        if vocab.unk_id in ids:
            continue
        assert vocab.decode(ids) == " ".join(unicodedata.normalize("NFKC", text).split())
        assert tok.decode(ids.tolist()) == vocab.decode(ids)


def test_xlmroberta_class_loads_a_unigram_vocabulary(exported):
    vocab, folder = exported
    if vocab.model_type != "unigram" or vocab.byte_fallback:
        pytest.skip("transformers' XLMRobertaTokenizer is Unigram without byte fallback by construction")
    tok = XLMRobertaTokenizer.from_pretrained(folder)
    texts = multilingual_texts(2)
    assert [tok(t, add_special_tokens=False)["input_ids"] for t in texts] == [x.tolist() for x in vocab.encode(texts)]


def test_streams_vocab_hash_matches_exported_model(built_vocab):
    from xlm_core.tokenize.dataset import model_sha256

    assert model_sha256(built_vocab["hf"]) == model_sha256(built_vocab["model"]) == built_vocab["sha256"]


@pytest.mark.xfail(
    reason="tokenizers' Precompiled normalizer drops a combining mark that follows an NFKC-changed "
    "character (huggingface/tokenizers#2116, #2334); SentencePiece keeps it. Hits xlm-roberta-base too.",
    strict=False,
)
def test_known_upstream_divergence_compat_char_then_combining_mark(exported):
    vocab, folder = exported
    tok = AutoTokenizer.from_pretrained(folder)
    text = "ｆ\u0350 \u03d6\u0328"  # fullwidth f + combining arrowhead, pi symbol + ogonek
    assert tok(text, add_special_tokens=False)["input_ids"] == vocab.encode([text])[0].tolist()
