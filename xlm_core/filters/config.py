"""Quality-filter config, one per language, built from the spec's `filters:` key.

Spec YAML (every key optional; `defaults` apply to all languages, `per_language.<code>` overrides
single fields for one language)::

    filters:
      enabled: true            # false: no filter runs, every document is kept
      keep_dropped: false      # true: dropped documents go to an exclusion Parquet with a reason
      defaults:
        min_words: 50
        max_words: 100000
        max_symbol_word_ratio: 0.1
        top_ngram_max_fraction: [[2, 0.2], [3, 0.18], [4, 0.16]]
      per_language:
        zh: {min_chars: 150}                      # zh/ja/th are measured in characters
        en: {stop_words: [the, be, to, of, and, that, have, with], min_stop_words: 2,
             perplexity_model: /models/en.arpa.bin, max_perplexity: 1500}
        sw: {length_unit: words, max_symbol_word_ratio: 0.2}

Field names are those of `FilterConfig`; an unknown one is an error naming the spec path.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field

from .text import CHAR_LANGUAGES

_GOPHER_TOP_NGRAMS = ((2, 0.20), (3, 0.18), (4, 0.16))
_GOPHER_DUP_NGRAMS = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))


@dataclass(frozen=True, kw_only=True, slots=True)
class FilterConfig:
    enabled: bool = True
    """Run the filters at all (spec `filters.enabled`)."""
    keep_dropped: bool = False
    """Write dropped documents with their reason to an exclusion Parquet for audit."""
    length_unit: str = "auto"
    """`words`, `chars`, or `auto` (resolved by from_spec: chars for zh, ja, th and other scripts without spaces; words when built directly)."""

    min_words: int = 50
    """Fewer words: dropped (`length.too_short`). Gopher: 50."""
    max_words: int = 100_000
    """More words: dropped (`length.too_long`). Gopher: 100,000."""
    min_chars: int = 100
    """Minimum length in characters for char-based languages (letters/digits only)."""
    max_chars: int = 1_000_000
    """Hard cap on raw characters for every language, checked before tokenizing."""

    gopher_quality: bool = True
    """Run the Gopher quality rules below."""
    min_mean_word_length: float = 3.0
    """Mean word length below this: dropped (not applied to char-based languages)."""
    max_mean_word_length: float = 10.0
    """Mean word length above this: dropped (not applied to char-based languages)."""
    max_symbol_word_ratio: float = 0.1
    """('#' + ellipses) / words above this: dropped."""
    max_bullet_lines_ratio: float = 0.9
    """Share of lines starting with a bullet above this: dropped."""
    max_ellipsis_lines_ratio: float = 0.3
    """Share of lines ending in an ellipsis above this: dropped."""
    min_alpha_words_ratio: float = 0.8
    """Share of words with at least one letter below this: dropped."""
    stop_words: frozenset[str] = field(default_factory=frozenset)
    """Stop words of the language (lowercase); used only when `min_stop_words` > 0."""
    min_stop_words: int = 0
    """Fewer stop-word occurrences: dropped. Gopher uses 2 for English; 0 turns the rule off."""

    gopher_repetition: bool = True
    """Run the Gopher repetition rules below."""
    dup_line_frac: float = 0.3
    """Share of lines that repeat an earlier line above this: dropped."""
    dup_para_frac: float = 0.3
    """Share of paragraphs that repeat an earlier one above this: dropped."""
    dup_line_char_frac: float = 0.2
    """Characters in repeated lines / all characters above this: dropped."""
    dup_para_char_frac: float = 0.2
    """Characters in repeated paragraphs / all characters above this: dropped."""
    top_ngram_max_fraction: tuple[tuple[int, float], ...] = _GOPHER_TOP_NGRAMS
    """(n, fraction): characters covered by the most frequent n-gram above fraction: dropped."""
    dup_ngram_max_fraction: tuple[tuple[int, float], ...] = _GOPHER_DUP_NGRAMS
    """(n, fraction): characters inside repeated n-grams above fraction: dropped."""
    char_ngram_scale: int = 2
    """For char-based languages the n of the n-gram rules is multiplied by this (a zh/ja/th word
    is ~2 characters: on real jawiki pages, 5-char repeats cover ~20% of the text, 10-char ~3%)."""

    line_cleanup: bool = True
    """Remove boilerplate lines (cookie banners, 'all rights reserved', lines with no letter)."""
    line_cleanup_sources: tuple[str, ...] = ("commoncrawl",)
    """Sources whose text gets line cleanup; Wikipedia text is already clean."""
    boilerplate_max_words: int = 30
    """Only lines up to this many words can be judged boilerplate."""

    perplexity_model: str | None = None
    """Path/URI of a KenLM model (ARPA or binary) for this language; none: filter skipped."""
    max_perplexity: float | None = None
    """Perplexity above this: dropped (`perplexity.too_high`); none: only scored into `quality`."""

    @property
    def char_based(self) -> bool:
        return self.length_unit == "chars"

    @classmethod
    def from_spec(cls, spec_filters: dict | None, language: str) -> "FilterConfig":
        """Config for `language` from the spec's `filters` mapping (see module docstring)."""
        spec_filters = dict(spec_filters or {})
        top = {k: spec_filters.pop(k) for k in ("enabled", "keep_dropped") if k in spec_filters}
        defaults = spec_filters.pop("defaults", None) or {}
        per_language = spec_filters.pop("per_language", None) or {}
        if spec_filters:
            raise ValueError(f"filters: unknown keys {sorted(spec_filters)}; allowed: enabled, "
                             "keep_dropped, defaults, per_language")
        values = dict(top)
        for where, block in (("filters.defaults", defaults),
                             (f"filters.per_language.{language}", per_language.get(language) or {})):
            for key, value in block.items():
                values[key] = _coerce(where, key, value)
        unit = values.get("length_unit", "auto")
        if unit not in ("auto", "words", "chars"):
            raise ValueError(f"filters.length_unit: {unit!r} is not one of auto, words, chars")
        if unit == "auto":
            values["length_unit"] = "chars" if language.split("-")[0].split("_")[0] in CHAR_LANGUAGES else "words"
        return cls(**values)


_FIELDS = {f.name: f for f in dataclasses.fields(FilterConfig)}
_TOP_ONLY = ("enabled", "keep_dropped")


def _coerce(where: str, key: str, value):
    if key not in _FIELDS or key in _TOP_ONLY:
        allowed = ", ".join(k for k in _FIELDS if k not in _TOP_ONLY)
        raise ValueError(f"{where}.{key}: unknown filter field; allowed: {allowed}")
    if key == "stop_words":
        return frozenset(str(w).lower() for w in value)
    if key in ("top_ngram_max_fraction", "dup_ngram_max_fraction"):
        try:
            return tuple((int(n), float(f)) for n, f in value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}.{key}: expected a list of [n, fraction] pairs") from exc
    if key == "line_cleanup_sources":
        return tuple(value)
    return value


def _json_type(tp) -> dict:
    origin = typing.get_origin(tp)
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer", "minimum": 0}
    if tp is float:
        return {"type": "number", "minimum": 0}
    if tp is str:
        return {"type": "string"}
    if origin in (types.UnionType, typing.Union):
        inner = [_json_type(a) for a in typing.get_args(tp) if a is not type(None)]
        return {"anyOf": [*inner, {"type": "null"}]}
    if origin is frozenset:
        return {"type": "array", "items": {"type": "string"}}
    if origin is tuple and typing.get_args(tp)[0] is str:
        return {"type": "array", "items": {"type": "string"}}
    # tuple[tuple[int, float], ...]: list of [n, fraction] pairs
    return {"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2,
                                       "prefixItems": [{"type": "integer", "minimum": 1},
                                                       {"type": "number", "minimum": 0}]}}


def _field_schema() -> dict:
    hints = typing.get_type_hints(FilterConfig)
    props = {name: _json_type(hints[name]) for name in _FIELDS if name not in _TOP_ONLY}
    props["length_unit"] = {"enum": ["auto", "words", "chars"]}
    return {"type": "object", "additionalProperties": False, "properties": props}


# JSON-Schema fragment for the spec's `filters` key (data_specs/ schema embeds it).
SPEC_SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "keep_dropped": {"type": "boolean"},
        "defaults": _field_schema(),
        "per_language": {"type": "object", "additionalProperties": _field_schema()},
    },
}
