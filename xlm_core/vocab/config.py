"""`vocab:` section of a spec -> `VocabConfig`."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

import jsonschema

MODEL_TYPES = ("bpe", "unigram")

SPEC_SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "description": "Shared SentencePiece vocabulary trained on α-sampled sentences of every language.",
    "properties": {
        "alpha": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1,
            "default": 0.3,
            "description": "Language sampling exponent: p_l ∝ n_l^alpha (XLM: 0.5, XLM-R: 0.3; 1 = proportional).",
        },
        "vocab_size": {
            "type": "integer",
            "minimum": 16,
            "maximum": 4194304,
            "default": 250000,
            "description": "SentencePiece pieces (incl. <unk>, <s>, </s>); the encoder adds <pad> and <mask> "
            "(250000 -> 250002 ids).",
        },
        "model_type": {"enum": list(MODEL_TYPES), "default": "bpe", "description": "SentencePiece algorithm."},
        "sentences": {
            "type": "integer",
            "minimum": 1,
            "default": 10000000,
            "description": "Sentence budget: total sentences sampled over all languages for training.",
        },
        "character_coverage": {
            "type": "number",
            "minimum": 0.98,
            "maximum": 1,
            "default": 0.9995,
            "description": "Share of characters the vocabulary must cover (rarer ones become <unk> or bytes); "
            "SentencePiece accepts 0.98-1.",
        },
        "byte_fallback": {
            "type": "boolean",
            "default": False,
            "description": "Spell uncovered characters as UTF-8 byte pieces instead of <unk> (XLM-R: false).",
        },
        "seed": {
            "type": "integer",
            "minimum": 0,
            "default": 0,
            "description": "Seed of the sentence sampling and of SentencePiece.",
        },
        "num_threads": {
            "type": "integer",
            "minimum": 0,
            "default": 0,
            "description": "Threads for SentencePiece training and encoding; 0 = all cores.",
        },
        "max_sentence_bytes": {
            "type": "integer",
            "minimum": 16,
            "default": 4192,
            "description": "Longer sampled sentences are cut at a character boundary below this many UTF-8 bytes.",
        },
        "languages": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[a-z]{2,3}$"},
            "uniqueItems": True,
            "minItems": 1,
            "description": "Languages of the dataset to use (default: all of them).",
        },
    },
}


@dataclass(frozen=True, kw_only=True, slots=True)
class VocabConfig:
    alpha: float = 0.3
    """Language sampling exponent: p_l ∝ n_l^alpha over sentence counts n_l (XLM 0.5, XLM-R 0.3)."""
    vocab_size: int = 250000
    """SentencePiece pieces incl. <unk>/<s>/</s>; encoder ids = vocab_size + 2 (<pad>, <mask>)."""
    model_type: str = "bpe"
    """"bpe" or "unigram" (XLM-R's own model is unigram)."""
    sentences: int = 10_000_000
    """Total sentences sampled for training; a language with fewer than its share is repeated."""
    character_coverage: float = 0.9995
    """SentencePiece character coverage; 0.9995 keeps CJK rare characters out of the vocabulary."""
    byte_fallback: bool = False
    """Uncovered characters as byte pieces rather than <unk> (XLM-R has no byte fallback)."""
    seed: int = 0
    """Seed of the sampling and of SentencePiece; same seed + same shards = same vocabulary."""
    num_threads: int = 0
    """SentencePiece threads; 0 = os.cpu_count()."""
    max_sentence_bytes: int = 4192
    """Sampled sentences are cut below this many UTF-8 bytes (SentencePiece drops longer ones)."""
    languages: tuple[str, ...] | None = None
    """Dataset languages to use; None = every language of the dataset."""

    def __post_init__(self) -> None:
        if self.model_type not in MODEL_TYPES:
            raise ValueError(f"vocab.model_type: {self.model_type!r} is not one of {', '.join(MODEL_TYPES)}")
        if not 0 < self.alpha <= 1:
            raise ValueError(f"vocab.alpha: {self.alpha} is not in (0, 1]")
        if self.vocab_size < 16:
            raise ValueError(f"vocab.vocab_size: {self.vocab_size} is below the minimum 16")
        if self.sentences < 1:
            raise ValueError(f"vocab.sentences: {self.sentences} must be >= 1")

    @property
    def threads(self) -> int:
        return self.num_threads or os.cpu_count() or 1

    @classmethod
    def from_spec(cls, section: dict, **overrides) -> VocabConfig:
        """Validated `vocab:` section, with CLI overrides (None values ignored) applied on top."""
        data = dict(section)
        data.update({k: v for k, v in overrides.items() if v is not None})
        errors = sorted(jsonschema.Draft202012Validator(SPEC_SCHEMA).iter_errors(data), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            where = ".".join(["vocab", *map(str, e.absolute_path)])
            raise ValueError(f"{where}: {e.message}")
        if "languages" in data:
            data["languages"] = tuple(data["languages"])
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
