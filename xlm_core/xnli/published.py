"""Published XNLI test accuracies (%), cross-lingual transfer: fine-tuned on English MultiNLI only.

Averages: mBERT, XLM (MLM+TLM), XLM-R base and XLM-R large as in the XLM-R paper (Conneau et al.,
2020, Table 1); XLM (MLM) from the XLM paper (Conneau & Lample, 2019, Table 1). Per-language values
are given only where checked against a second copy of those tables (XLM-R base and large, XLM
MLM+TLM); a value not known with certainty is left out rather than guessed.
"""

from __future__ import annotations

PUBLISHED_AVERAGE: dict[str, float] = {
    "mBERT": 66.3,
    "XLM (MLM)": 71.5,
    "XLM (MLM+TLM)": 75.1,
    "XLM-R base": 76.2,
    "XLM-R large": 80.9,
}

_ORDER = ("en", "fr", "es", "de", "el", "bg", "ru", "tr", "ar", "vi", "th", "zh", "hi", "sw", "ur")

PUBLISHED_PER_LANGUAGE: dict[str, dict[str, float]] = {
    "XLM (MLM+TLM)": dict(
        zip(_ORDER, (85.0, 78.7, 78.9, 77.8, 76.6, 77.4, 75.3, 72.5, 73.1, 76.1, 73.2, 76.5, 69.6, 68.4, 67.3))
    ),
    "XLM-R base": dict(
        zip(_ORDER, (85.8, 79.7, 80.7, 78.7, 77.5, 79.6, 78.1, 74.2, 73.8, 76.5, 74.6, 76.7, 72.4, 66.5, 68.3))
    ),
    "XLM-R large": dict(
        zip(_ORDER, (89.1, 84.1, 85.1, 83.9, 82.9, 84.0, 81.2, 79.6, 79.8, 80.8, 78.1, 80.2, 76.9, 73.9, 73.8))
    ),
}
"""Shown next to our per-language accuracies (XLM-R paper Table 1)."""

PUBLISHED_SOURCE = (
    "Conneau et al. 2020, Unsupervised Cross-lingual Representation Learning at Scale, Table 1 "
    "(cross-lingual transfer, fine-tuned on English MultiNLI)"
)

PUBLISHED_TRANSLATE_TRAIN_ALL: dict[str, float] = {"XLM-R large": 83.6}
"""Average when fine-tuned on MultiNLI plus its translations into every XNLI language (XLM-R paper)."""
