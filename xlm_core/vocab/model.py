"""`Vocabulary`: a trained SentencePiece model seen through the XLM-R id layout (`specials.py`).

This is "our encoder": the tokenize stage, the report and the tests all encode through it, and
the exported Hugging Face tokenizer must give the same ids."""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence

import numpy as np
import sentencepiece as spm

from xlm_core.io import fs_and_path, sha256_file
from xlm_core.vocab import specials
from xlm_core.vocab.proto import read_model_info

MODEL_FILE = "spm.model"  # in a vocab dir written by `train.py`
HF_MODEL_FILE = "sentencepiece.bpe.model"  # the name XLMRobertaTokenizer looks for


def resolve_model_file(path: str) -> str:
    """A `.model` file, or a folder holding `spm.model` (vocab dir) or `sentencepiece.bpe.model`
    (exported tokenizer folder)."""
    _, local = fs_and_path(path)
    if os.path.isdir(local):
        for name in (MODEL_FILE, HF_MODEL_FILE):
            if os.path.isfile(os.path.join(local, name)):
                return os.path.join(local, name)
        raise FileNotFoundError(f"no {MODEL_FILE} or {HF_MODEL_FILE} in {local}")
    if not os.path.isfile(local):
        raise FileNotFoundError(f"no SentencePiece model at {local}")
    return local


class Vocabulary:
    """Encoder ids: <s>=0, <pad>=1, </s>=2, <unk>=3, pieces (spm id + 1), <mask>=size-1."""

    def __init__(self, path: str):
        self.path = resolve_model_file(path)
        self.sha256, _ = sha256_file(self.path)
        self.sp = spm.SentencePieceProcessor(model_file=self.path)
        self.info = read_model_info(self.sp.serialized_model_proto())
        self.model_type: str = self.info.model_type
        self.byte_fallback: bool = self.info.byte_fallback
        if (self.sp.unk_id(), self.sp.bos_id(), self.sp.eos_id()) != (
            specials.SPM_UNK_ID,
            specials.SPM_BOS_ID,
            specials.SPM_EOS_ID,
        ):
            raise ValueError(f"{self.path}: SentencePiece ids of <unk>/<s>/</s> must be 0/1/2 (XLM-R layout)")
        self.spm_size: int = self.sp.get_piece_size()
        self.size: int = specials.encoder_vocab_size(self.spm_size)
        self.bos_id, self.pad_id, self.eos_id, self.unk_id = (
            specials.BOS_ID,
            specials.PAD_ID,
            specials.EOS_ID,
            specials.UNK_ID,
        )
        self.mask_id: int = specials.mask_id(self.spm_size)
        self.dtype = specials.stream_dtype(self.size)
        # Byte pieces <0x00>..<0xFF> in encoder ids, for the byte-fallback rate of the report.
        self.byte_ids = np.array(
            [i + specials.SPM_OFFSET for i in range(self.spm_size) if self.sp.is_byte(i)], dtype=np.int64
        )

    def __len__(self) -> int:
        return self.size

    def encode(self, texts: Sequence[str], *, num_threads: int = -1) -> list[np.ndarray]:
        """Encoder ids of each text, no special tokens. `num_threads=-1`: all cores (spm's own pool)."""
        tokens, offsets = self.encode_concat(texts, num_threads=num_threads, eos=False)
        return [tokens[a:b].astype(np.int64) for a, b in itertools.pairwise(offsets.tolist())]

    def encode_concat(
        self, texts: Sequence[str], *, num_threads: int = -1, eos: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """All texts as one stream: (tokens (n_tokens,) in `self.dtype`, offsets (n_texts + 1,) int64),
        each text followed by </s> when `eos`. This is the tokenize stage's hot loop: spm encodes
        the batch on its thread pool, numpy does the rest (no per-token Python)."""
        pieces = self.sp.encode(list(texts), out_type=int, num_threads=num_threads)
        lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces)) + int(eos)
        offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = np.fromiter(
            itertools.chain.from_iterable(pieces), dtype=np.int64, count=int(offsets[-1]) - eos * len(pieces)
        )
        specials.spm_to_encoder(flat)
        if eos:
            out = np.full(int(offsets[-1]), specials.EOS_ID, dtype=self.dtype)
            keep = np.ones(len(out), dtype=bool)
            keep[offsets[1:] - 1] = False  # the </s> slots
            out[keep] = flat
        else:
            out = flat.astype(self.dtype)
        return out, offsets

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """Text of encoder ids; special tokens are dropped."""
        ids = np.asarray(ids, dtype=np.int64)
        ids = ids[(ids > specials.UNK_ID) & (ids != self.mask_id) | (ids == specials.UNK_ID)]
        return self.sp.decode(specials.encoder_to_spm(ids).tolist())

    def id_to_piece(self, i: int) -> str:
        fixed = {
            specials.BOS_ID: specials.BOS,
            specials.PAD_ID: specials.PAD,
            specials.EOS_ID: specials.EOS,
            specials.UNK_ID: specials.UNK,
            self.mask_id: specials.MASK,
        }
        if i in fixed:
            return fixed[i]
        return self.sp.id_to_piece(i - specials.SPM_OFFSET)
