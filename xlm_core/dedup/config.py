"""Dedup configs, built from the spec's `dedup:` key.

Spec YAML (every key optional)::

    dedup:
      exact:
        enabled: true
        segment: line          # line | paragraph: the unit hashed and removed (CCNet: line)
        whole_document: true   # also drop documents whose whole normalised text repeats
        min_segment_chars: 0   # shorter normalised segments are never removed
        partitions: 32         # hash partitions; memory of the find stage ~ corpus / partitions
      minhash:
        enabled: true
        ngram: 5               # word n-grams
        char_ngram: 5          # character n-grams for languages without spaces
        char_languages: [zh, ja, th, lo, km, my, bo]
        bands: 14
        rows: 8
        permutations: 112      # must equal bands * rows
        seed: 1
        jaccard_threshold: 0.8 # LSH candidates are kept as duplicates only at >= this exact Jaccard
        verify: true           # false: every LSH candidate pair is a duplicate (datatrove behaviour)
        partitions: 32
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

_CHAR_LANGUAGES = ("zh", "ja", "th", "lo", "km", "my", "bo")


@dataclass(frozen=True, kw_only=True, slots=True)
class ExactDedupConfig:
    enabled: bool = True
    """Run exact dedup (spec `dedup.exact.enabled`)."""
    segment: str = "line"
    """`line` (split on "\\n") or `paragraph` (split on "\\n\\n"): what is hashed and removed."""
    whole_document: bool = True
    """Also hash the whole normalised document; a repeated document is dropped entirely."""
    min_segment_chars: int = 0
    """Normalised segments shorter than this are never treated as duplicates."""
    partitions: int = 32
    """Number of hash partitions; the find stage holds one partition in memory."""
    batch_rows: int = 1024
    """Rows read from a unit at a time (bounds memory of the per-unit stages)."""

    @property
    def separator(self) -> str:
        return "\n\n" if self.segment == "paragraph" else "\n"


@dataclass(frozen=True, kw_only=True, slots=True)
class MinHashConfig:
    enabled: bool = True
    """Run near-duplicate dedup (spec `dedup.minhash.enabled`)."""
    ngram: int = 5
    """Shingle size in words."""
    char_ngram: int = 5
    """Shingle size in characters for `char_languages`."""
    char_languages: tuple[str, ...] = _CHAR_LANGUAGES
    """Languages shingled by characters (no spaces between words)."""
    bands: int = 14
    """LSH bands; a pair is a candidate when all rows of one band agree."""
    rows: int = 8
    """MinHash values per band."""
    permutations: int = 112
    """Signature length; must equal bands * rows."""
    seed: int = 1
    """Seed of the MinHash permutations (signatures are identical across runs and machines)."""
    jaccard_threshold: float = 0.8
    """With `verify`, a candidate pair is a duplicate only at exact shingle Jaccard >= this."""
    verify: bool = True
    """Check LSH candidate pairs against their exact shingle Jaccard (precision)."""
    partitions: int = 32
    """Number of bucket partitions; the bucket stage holds one partition in memory."""
    max_doc_chars: int = 1_000_000
    """Only the first this many characters of a document are shingled (bounds memory per row)."""
    max_pairwise_bucket: int = 16
    """Buckets up to this size verify all pairs; larger ones only pairs with their first member."""
    batch_rows: int = 1024
    """Rows read from a unit at a time."""

    def __post_init__(self) -> None:
        if self.bands < 1 or self.rows < 1:
            raise ValueError(f"dedup.minhash.bands ({self.bands}) and rows ({self.rows}) must be >= 1")
        if self.bands * self.rows != self.permutations:
            raise ValueError(
                f"dedup.minhash.permutations ({self.permutations}) must equal bands × rows "
                f"({self.bands} × {self.rows} = {self.bands * self.rows}); set permutations to "
                f"{self.bands * self.rows} or change bands/rows"
            )
        if self.ngram < 1 or self.char_ngram < 1:
            raise ValueError("dedup.minhash.ngram and char_ngram must be >= 1")
        if not 0.0 <= self.jaccard_threshold <= 1.0:
            raise ValueError(f"dedup.minhash.jaccard_threshold ({self.jaccard_threshold}) must be in [0, 1]")
        if self.partitions < 1:
            raise ValueError("dedup.minhash.partitions must be >= 1")


@dataclass(frozen=True, kw_only=True, slots=True)
class DedupConfig:
    exact: ExactDedupConfig = field(default_factory=ExactDedupConfig)
    """Exact line/paragraph/document dedup (CCNet)."""
    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    """MinHash LSH near-duplicate dedup."""

    @classmethod
    def from_spec(cls, spec_dedup: dict | None) -> "DedupConfig":
        spec_dedup = dict(spec_dedup or {})
        unknown = set(spec_dedup) - {"exact", "minhash"}
        if unknown:
            raise ValueError(f"dedup: unknown keys {sorted(unknown)}; allowed: exact, minhash")
        exact = _build(ExactDedupConfig, "dedup.exact", spec_dedup.get("exact") or {})
        if exact.segment not in ("line", "paragraph"):
            raise ValueError(f"dedup.exact.segment: {exact.segment!r} is not one of line, paragraph")
        if exact.partitions < 1:
            raise ValueError("dedup.exact.partitions must be >= 1")
        block = dict(spec_dedup.get("minhash") or {})
        if "char_languages" in block:
            block["char_languages"] = tuple(block["char_languages"])
        if "permutations" not in block:  # default follows bands × rows when only those are given
            block["permutations"] = block.get("bands", 14) * block.get("rows", 8)
        return cls(exact=exact, minhash=_build(MinHashConfig, "dedup.minhash", block))


def _build(cls, where: str, block: dict):
    names = [f.name for f in dataclasses.fields(cls)]
    for key in block:
        if key not in names:
            raise ValueError(f"{where}.{key}: unknown field; allowed: {', '.join(names)}")
    return cls(**block)


_EXACT_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "segment": {"enum": ["line", "paragraph"]},
        "whole_document": {"type": "boolean"},
        "min_segment_chars": {"type": "integer", "minimum": 0},
        "partitions": {"type": "integer", "minimum": 1},
        "batch_rows": {"type": "integer", "minimum": 1},
    },
}
_MINHASH_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "ngram": {"type": "integer", "minimum": 1},
        "char_ngram": {"type": "integer", "minimum": 1},
        "char_languages": {"type": "array", "items": {"type": "string"}},
        "bands": {"type": "integer", "minimum": 1},
        "rows": {"type": "integer", "minimum": 1},
        "permutations": {"type": "integer", "minimum": 1},
        "seed": {"type": "integer", "minimum": 0},
        "jaccard_threshold": {"type": "number", "minimum": 0, "maximum": 1},
        "verify": {"type": "boolean"},
        "partitions": {"type": "integer", "minimum": 1},
        "max_doc_chars": {"type": "integer", "minimum": 1},
        "max_pairwise_bucket": {"type": "integer", "minimum": 2},
        "batch_rows": {"type": "integer", "minimum": 1},
    },
}
# JSON-Schema fragment for the spec's `dedup` key. bands × rows == permutations is checked in
# MinHashConfig (JSON Schema cannot multiply).
SPEC_SCHEMA: dict = {
    "type": "object", "additionalProperties": False,
    "properties": {"exact": _EXACT_SCHEMA, "minhash": _MINHASH_SCHEMA},
}
