"""Export the vocabulary as a Hugging Face tokenizer folder with XLM-R's ids and special tokens.

The folder holds `sentencepiece.bpe.model` (our model, byte for byte), `tokenizer.json` (a
`tokenizers` pipeline equivalent to SentencePiece: its precompiled normalizer, whitespace split +
Metaspace, the Unigram or BPE model with XLM-R's vocabulary layout, byte fallback when trained
with it, `<s> A </s>` / `<s> A </s></s> B </s>` templates), `tokenizer_config.json`, and
`special_tokens_map.json`."""

from __future__ import annotations

import os
import shutil

from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import BPE, Unigram

from xlm_core.io import atomic_open, fs_and_path, write_json
from xlm_core.vocab import specials
from xlm_core.vocab.model import HF_MODEL_FILE, Vocabulary


def xlmr_vocab(vocab: Vocabulary) -> list[tuple[str, float]]:
    """(piece, score) in encoder-id order: 4 specials, spm pieces 3.., <mask> (XLMRobertaConverter's layout)."""
    sp = vocab.sp
    out = [(specials.BOS, 0.0), (specials.PAD, 0.0), (specials.EOS, 0.0), (specials.UNK, 0.0)]
    out += [(sp.id_to_piece(i), sp.get_score(i)) for i in range(3, vocab.spm_size)]
    out.append((specials.MASK, 0.0))
    return out


def bpe_merges(ids: dict[str, int], *, first: int, end: int) -> list[tuple[str, str]]:
    """BPE merges equivalent to SentencePiece's BPE encoder, which joins the adjacent pair whose
    union is the best-scored piece (spm BPE scores follow the ids). Every split of a piece into
    two pieces becomes a merge ranked by the piece's id (ties: the parts' ids)."""
    ranked = []
    for piece, rank in ids.items():
        if not first <= rank < end:
            continue
        for k in range(1, len(piece)):
            left, right = piece[:k], piece[k:]
            if ids.get(left, -1) >= first and ids.get(right, -1) >= first:
                ranked.append((rank, ids[left], ids[right], left, right))
    ranked.sort()
    return [(left, right) for *_, left, right in ranked]


def build_tokenizer(vocab: Vocabulary) -> Tokenizer:
    """A `tokenizers.Tokenizer` that gives the encoder ids of `vocab` (checked in the tests)."""
    pieces = xlmr_vocab(vocab)
    if vocab.model_type == "unigram":
        model = Unigram(pieces, unk_id=specials.UNK_ID, byte_fallback=vocab.byte_fallback)
    elif vocab.model_type == "bpe":
        ids = {p: i for i, (p, _) in enumerate(pieces)}
        model = BPE(
            ids,
            bpe_merges(ids, first=specials.UNK_ID + 1, end=vocab.mask_id),
            unk_token=specials.UNK,
            fuse_unk=True,
            byte_fallback=vocab.byte_fallback,
            dropout=None,
        )
    else:
        raise ValueError(f"cannot export a SentencePiece model of type {vocab.model_type!r}")
    tok = Tokenizer(model)
    charsmap = vocab.info.precompiled_charsmap
    if charsmap:
        tok.normalizer = normalizers.Precompiled(charsmap)
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")]
    )
    # SentencePiece decoding: "▁" -> " ", byte pieces -> UTF-8, drop the dummy-prefix space.
    tok.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    tok.post_processor = processors.TemplateProcessing(
        single=f"{specials.BOS} $A {specials.EOS}",
        pair=f"{specials.BOS} $A {specials.EOS} {specials.EOS} $B {specials.EOS}",
        special_tokens=[(specials.BOS, specials.BOS_ID), (specials.EOS, specials.EOS_ID)],
    )
    tok.add_special_tokens(
        [
            AddedToken(t, special=True, normalized=False)
            for t in (specials.BOS, specials.PAD, specials.EOS, specials.UNK)
        ]
        + [AddedToken(specials.MASK, special=True, normalized=False, lstrip=True)]
    )
    return tok


def tokenizer_class(vocab: Vocabulary) -> str:
    """transformers' `XLMRobertaTokenizer` rebuilds its pipeline as Unigram without byte fallback,
    so only such a vocabulary may name it; any other loads through `TokenizersBackend`, which
    takes tokenizer.json as written."""
    if vocab.model_type == "unigram" and not vocab.byte_fallback:
        return "XLMRobertaTokenizer"
    return "TokenizersBackend"


def export_hf_tokenizer(model: str, out_dir: str, *, model_max_length: int = 512) -> str:
    """Write the tokenizer folder for the SentencePiece model at `model` (file or vocab dir) to
    `out_dir` (local). Returns `out_dir`."""
    vocab = Vocabulary(model)
    _, local = fs_and_path(out_dir)
    os.makedirs(local, exist_ok=True)
    with open(vocab.path, "rb") as src, atomic_open(os.path.join(local, HF_MODEL_FILE), "wb") as dst:
        shutil.copyfileobj(src, dst)
    tok = build_tokenizer(vocab)
    with atomic_open(os.path.join(local, "tokenizer.json"), "wb") as f:
        f.write(tok.to_str(pretty=True).encode())
    special = {
        "bos_token": specials.BOS,
        "eos_token": specials.EOS,
        "sep_token": specials.EOS,
        "cls_token": specials.BOS,
        "unk_token": specials.UNK,
        "pad_token": specials.PAD,
        "mask_token": specials.MASK,
    }
    write_json(os.path.join(local, "special_tokens_map.json"), special)
    write_json(
        os.path.join(local, "tokenizer_config.json"),
        {
            **special,
            "tokenizer_class": tokenizer_class(vocab),
            "model_max_length": model_max_length,
            "add_prefix_space": True,
            "clean_up_tokenization_spaces": False,
            "xlm_pipeline": {
                "spm_sha256": vocab.sha256,
                "model_type": vocab.model_type,
                "byte_fallback": vocab.byte_fallback,
            },
        },
    )
    return out_dir
