"""Special tokens and the id layout of XLM-R (fairseq dictionary on top of a SentencePiece model).

SentencePiece model ids: <unk>=0, <s>=1, </s>=2, then the pieces 3..N-1 (no <pad>).
Encoder (fairseq / Hugging Face) ids:    <s>=0, <pad>=1, </s>=2, <unk>=3, piece p -> spm_id(p) + 1,
<mask> = N + 1, so the encoder vocabulary has N + 2 entries (XLM-R: 250,000 pieces -> 250,002 ids).
`XLMRobertaTokenizer` maps the same way (its `fairseq_offset` is 1), which is what makes our
streams and an exported Hugging Face tokenizer agree id for id."""

from __future__ import annotations

import numpy as np

BOS, PAD, EOS, UNK = "<s>", "<pad>", "</s>", "<unk>"
MASK = "<mask>"
BOS_ID, PAD_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
SPM_OFFSET = 1  # encoder id = spm id + 1 for every regular piece
SPM_UNK_ID, SPM_BOS_ID, SPM_EOS_ID = 0, 1, 2  # the layout we train SentencePiece with


def encoder_vocab_size(spm_size: int) -> int:
    """Encoder ids for a SentencePiece model of `spm_size` pieces: + <pad> + <mask>."""
    return spm_size + 2


def mask_id(spm_size: int) -> int:
    return spm_size + SPM_OFFSET


def spm_to_encoder(ids: np.ndarray) -> np.ndarray:
    """SentencePiece ids -> encoder ids, in place when `ids` is a signed int array.

    spm <unk> (0) becomes encoder <unk> (3); every other id shifts by one. spm never emits its
    <s>/</s> control ids for plain text, so they need no case here."""
    ids += SPM_OFFSET
    ids[ids == SPM_UNK_ID + SPM_OFFSET] = UNK_ID
    return ids


def encoder_to_spm(ids: np.ndarray) -> np.ndarray:
    """Encoder ids -> SentencePiece ids (specials without an spm id map to spm <unk>)."""
    out = np.asarray(ids, dtype=np.int64) - SPM_OFFSET
    out[np.asarray(ids) <= UNK_ID] = SPM_UNK_ID
    return out


def stream_dtype(vocab_size: int) -> np.dtype:
    """uint16 while every id fits (vocab_size <= 65535), else uint32: halves the streams of a 32k-64k vocab."""
    return np.dtype(np.uint16) if vocab_size <= 65535 else np.dtype(np.uint32)
