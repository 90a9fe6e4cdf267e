"""CCNet-style perplexity of a document under a KenLM model given by path (ARPA or binary).
Optional: with no model configured the filter is skipped (logged once per language); with a
model but no `kenlm` package installed it fails, naming the package, since the spec asked for it."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata

log = logging.getLogger(__name__)

_DIGITS = re.compile(r"\d")
_PUNCT = re.compile(r"[^\w\s]")


def normalize_line(line: str) -> str:
    """CCNet's LM normalisation: NFD-lowercase, digits -> 0, punctuation removed."""
    line = unicodedata.normalize("NFKC", line).lower()
    return " ".join(_PUNCT.sub(" ", _DIGITS.sub("0", line)).split())


@functools.lru_cache(maxsize=8)
def load_model(path: str):
    try:
        import kenlm
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"filters.perplexity_model is set ({path!r}) but the 'kenlm' package is not installed: "
            "pip install kenlm, or remove perplexity_model from the spec"
        ) from exc
    return kenlm.Model(path)


@functools.lru_cache(maxsize=64)
def warn_skipped(language: str) -> None:
    log.info("perplexity filter skipped for %r: no filters.perplexity_model configured", language)


def perplexity(model, text: str) -> float:
    """10 ** (-log10 P / tokens) over all lines, each scored as a sentence (bos/eos), as CCNet."""
    log_prob, n = 0.0, 0
    for line in text.split("\n"):
        line = normalize_line(line)
        if not line:
            continue
        log_prob += model.score(line, bos=True, eos=True)
        n += len(line.split()) + 1  # + </s>
    return 10.0 ** (-log_prob / n) if n else float("inf")
