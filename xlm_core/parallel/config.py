"""`parallel:` section of a spec -> `ParallelConfig`."""

from __future__ import annotations

from dataclasses import dataclass, field

import jsonschema

SPEC_SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "description": "Sentence-aligned corpora for TLM: ingest, language-check, deduplicate, length-filter, tokenize.",
    "properties": {
        "inputs": {
            "type": "array",
            "items": {
                "oneOf": [
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["tsv"],
                        "properties": {
                            "tsv": {
                                "type": "string",
                                "description": "TSV `lang<TAB>text<TAB>english` (Tatoeba layout, .gz ok).",
                            }
                        },
                    },
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["moses"],
                        "properties": {
                            "moses": {
                                "type": "array",
                                "items": {"type": "string"},
                                "minItems": 2,
                                "maxItems": 2,
                                "description": "Line-aligned `corpus.l1`, `corpus.l2` (languages from suffixes).",
                            }
                        },
                    },
                ]
            },
            "description": "Parallel corpora to ingest.",
        },
        "lid_threshold": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "default": 0.5,
            "description": "Both sides must be identified as their language with at least this probability.",
        },
        "per_language": {
            "type": "object",
            "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
            "description": "Per-language thresholds overriding `lid_threshold`.",
        },
        "skip_lid": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Languages whose side is not language-checked (lid.176 misses Swahili on short sentences).",
        },
        "max_length_ratio": {
            "type": "number",
            "minimum": 1,
            "default": 2.0,
            "description": "Drop a pair whose UTF-8 length ratio is off the median ratio of its language pair "
            "by more than this factor.",
        },
        "max_bytes": {
            "type": "integer",
            "minimum": 1,
            "default": 2000,
            "description": "Drop a pair with a side longer than this many UTF-8 bytes.",
        },
        "languages": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Keep only pairs whose non-English language is one of these (dataset codes).",
        },
    },
}


@dataclass(frozen=True, kw_only=True, slots=True)
class ParallelConfig:
    lid_threshold: float = 0.5
    """Minimum lid.176 probability of the expected language, on each side."""
    per_language: dict[str, float] = field(default_factory=dict)
    """Per-language overrides of `lid_threshold`."""
    skip_lid: tuple[str, ...] = ()
    """Languages not language-checked: on Tatoeba-length sentences lid.176 labels only ~13% of
    Swahili correctly, so checking it would drop most Swahili pairs."""
    max_length_ratio: float = 2.0
    """Pair length ratio (UTF-8 bytes) may be off the language pair's median ratio by this factor.
    Relative to the median because scripts differ: Hindi/Thai take ~2.5x the bytes of English."""
    max_bytes: int = 2000
    """Longest side kept, in UTF-8 bytes (TLM samples are 512 tokens for both sides)."""
    languages: tuple[str, ...] | None = None
    """Non-English languages to keep; None = all."""

    def threshold_for(self, language: str) -> float:
        return self.per_language.get(language, self.lid_threshold)

    @classmethod
    def from_spec(cls, section: dict) -> ParallelConfig:
        errors = list(jsonschema.Draft202012Validator(SPEC_SCHEMA).iter_errors(section))
        if errors:
            e = errors[0]
            raise ValueError(f"{'.'.join(['parallel', *map(str, e.absolute_path)])}: {e.message}")
        return cls(
            lid_threshold=section.get("lid_threshold", 0.5),
            per_language=dict(section.get("per_language", {})),
            skip_lid=tuple(section.get("skip_lid", ())),
            max_length_ratio=section.get("max_length_ratio", 2.0),
            max_bytes=section.get("max_bytes", 2000),
            languages=tuple(section["languages"]) if "languages" in section else None,
        )
