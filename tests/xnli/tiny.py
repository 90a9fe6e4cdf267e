"""Test material: a tiny random XLM-R masked-LM export (config, safetensors, sentencepiece tokenizer) built
from the bundled XNLI text, shaped like the pretraining stage's export; no model hub."""

from __future__ import annotations

import gzip
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "data_specs" / "samples"
XNLI_DEV = str(SAMPLES / "xnli" / "xnli.dev.tsv.gz")
XNLI_TEST = str(SAMPLES / "xnli" / "xnli.test.tsv.gz")
SICK = str(SAMPLES / "nli_en" / "SICK.txt.gz")


def _sentences(per_language: int = 120) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    with gzip.open(XNLI_TEST, "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            lang, _, s1, s2 = line.rstrip("\n").split("\t")
            seen[lang] = seen.get(lang, 0) + 1
            if seen[lang] <= per_language:
                out += [s1, s2]
    return out


def build_tiny_xlmr(path: Path) -> Path:
    """Train a small unigram sentencepiece model (the XLM-R tokenizer kind), lay it out with the
    fairseq offset XLM-R uses (<s> <pad> </s> <unk>, pieces, <mask>) and save a random tiny
    XLMRobertaForMaskedLM beside it."""
    import sentencepiece as spm
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM, XLMRobertaTokenizer

    path.mkdir(parents=True, exist_ok=True)
    prefix = str(path / "spm")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_sentences()),
        model_prefix=prefix,
        vocab_size=800,
        model_type="unigram",
        character_coverage=0.98,
        num_threads=1,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    # spm ids: 0 <unk>, 1 <s>, 2 </s>, then pieces; XLM-R: 0 <s>, 1 <pad>, 2 </s>, 3 <unk>, pieces + 1.
    vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [(sp.id_to_piece(i), sp.get_score(i)) for i in range(3, sp.get_piece_size())]
    vocab.append(("<mask>", 0.0))
    for f in (prefix + ".model", prefix + ".vocab"):
        Path(f).unlink()
    tokenizer = XLMRobertaTokenizer(vocab=vocab)
    tokenizer.save_pretrained(path)
    torch.manual_seed(0)
    config = XLMRobertaConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=130,
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    XLMRobertaForMaskedLM(config).save_pretrained(path)
    return path
