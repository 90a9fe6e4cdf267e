"""Tokens, lines and paragraphs shared by the filters. Languages written without spaces are
measured in characters: a zh/ja/th "word" is one letter or digit (spaces and punctuation do not
count), so one config shape serves every script."""

from __future__ import annotations

import re
import unicodedata

# Scripts without word separators; the spec may extend this per language (`length_unit: chars`).
CHAR_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo"})

_PARAGRAPH_SPLIT = re.compile(r"\n{2,}")
_LINE_SPLIT = re.compile(r"\n+")


def words(text: str, char_based: bool) -> list[str]:
    """Whitespace tokens, or for char-based languages every non-space, non-punctuation char."""
    if not char_based:
        return text.split()
    return [c for c in text if not c.isspace() and unicodedata.category(c)[0] in "LNM"]


def lines(text: str) -> list[str]:
    return [ln for ln in _LINE_SPLIT.split(text.strip()) if ln.strip()]


def paragraphs(text: str) -> list[str]:
    return [p for p in _PARAGRAPH_SPLIT.split(text.strip()) if p.strip()]
