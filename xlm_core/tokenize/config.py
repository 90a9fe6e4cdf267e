"""`tokenize:` section of a spec -> `TokenizeConfig`."""

from __future__ import annotations

from dataclasses import dataclass

SPEC_SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "description": "Tokenization of the dataset shards into token streams and packing into samples.",
    "properties": {
        "seq_len": {
            "type": "integer",
            "minimum": 8,
            "default": 512,
            "description": "Tokens per packed sample, <s> included.",
        },
        "batch_documents": {
            "type": "integer",
            "minimum": 1,
            "default": 2048,
            "description": "Documents encoded per SentencePiece batch call.",
        },
        "num_threads": {
            "type": "integer",
            "minimum": 0,
            "default": 0,
            "description": "Encoding threads per shard task; 0 = all cores.",
        },
    },
}


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenizeConfig:
    seq_len: int = 512
    """Tokens per packed sample, <s> included (XLM-R: 512)."""
    batch_documents: int = 2048
    """Documents per SentencePiece batch call: big enough to keep its thread pool busy, small enough to bound memory."""
    num_threads: int = 0
    """SentencePiece encode threads; 0 = all cores (one shard task at a time per machine then)."""

    @classmethod
    def from_spec(cls, section: dict) -> TokenizeConfig:
        return cls(**{k: section[k] for k in ("seq_len", "batch_documents", "num_threads") if k in section})
