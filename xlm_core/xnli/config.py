"""XNLI stage configuration: the spec key `xnli`, its JSON-Schema fragment and the frozen config.

Hyper-parameter defaults. The XLM-R paper (Conneau et al., 2020) reports XNLI results but does not
print a complete fine-tuning recipe; the defaults below are the XTREME benchmark's XLM-R XNLI recipe
(Hu et al., 2020, `scripts/train_xnli.sh`: lr 2e-5 for base / 3e-5 for large, batch 32,
5 epochs, max length 128, no warm-up, AdamW, best checkpoint on dev), which reproduces the
XLM-R paper's zero-shot numbers within noise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlm_core.xnli.data import XNLI_LANGUAGES

_SAMPLES = Path(__file__).resolve().parents[2] / "data_specs" / "samples"
BUNDLED_DEV = str(_SAMPLES / "xnli" / "xnli.dev.tsv.gz")
BUNDLED_TEST = str(_SAMPLES / "xnli" / "xnli.test.tsv.gz")
BUNDLED_SICK = str(_SAMPLES / "nli_en" / "SICK.txt.gz")

SELECTION_CHOICES = ("en", "avg")


@dataclass(frozen=True, kw_only=True, slots=True)
class XnliConfig:
    """How to fine-tune on English NLI and test zero-shot on the XNLI languages."""

    learning_rate: float = 2e-5
    """Peak AdamW learning rate. XTREME's XLM-R recipe: 2e-5 (base), 3e-5 (large)."""

    batch_size: int = 32
    """Training pairs per optimizer step (XTREME: 8 x 4 accumulation for base)."""

    epochs: int = 5
    """Passes over the training data; the selection set is evaluated after each one."""

    max_length: int = 128
    """Tokens per pair including <s> and the separators; longer pairs are truncated longest-first."""

    warmup_ratio: float = 0.0
    """Fraction of all steps with linear warm-up, then linear decay to 0 (XTREME: no warm-up)."""

    weight_decay: float = 0.0
    """AdamW weight decay (XTREME: 0)."""

    max_grad_norm: float = 1.0
    """Gradient clipping norm (XTREME: 1.0)."""

    eval_batch_size: int = 64
    """Pairs per forward pass at evaluation time (no effect on results)."""

    seed: int = 0
    """Seeds the classifier-head initialisation, the data order and dropout."""

    languages: tuple[str, ...] = XNLI_LANGUAGES
    """XNLI languages tested zero-shot; each must be present in the dev and test files."""

    train_language: str = "en"
    """The language the model is fine-tuned on (its dev set is the `en` selection set)."""

    selection: str = "en"
    """Model selection after each epoch: `en` (accuracy on the train-language dev set, the paper's
    zero-shot protocol) or `avg` (average dev accuracy over all languages)."""

    dev: str = BUNDLED_DEV
    """XNLI dev file (official XNLI-1.0 TSV layout or the 4-column variant; plain or .gz; URI)."""

    test: str = BUNDLED_TEST
    """XNLI test file, same layouts as `dev`."""

    train: tuple[str, ...] = (BUNDLED_SICK,)
    """English training files: MultiNLI (jsonl/tsv), XNLI-MT `multinli.train.<lang>.tsv`
    (translate-train-all), or SICK. The paper's protocol is MultiNLI only."""

    dev_for_training: int = 0
    """English dev pairs (taken from the end of the dev file) added to the training data when no
    MultiNLI is available. The same pair positions are removed from every language's dev set,
    since the k-th row of every language is a translation of the same pair."""

    max_train: int | None = None
    """Use at most this many training pairs (seeded sample), for quick runs; None: all."""

    max_eval: int | None = None
    """Use at most the first N dev and test pairs per language, for quick runs; None: all."""

    threads: int | None = None
    """torch CPU threads while fine-tuning and testing; None: torch's default. On a shared or
    small machine 1 is often faster for small models (no threads spinning on busy cores)."""


_PROPERTIES: dict[str, Any] = {
    "learning_rate": {"type": "number", "exclusiveMinimum": 0},
    "batch_size": {"type": "integer", "minimum": 1},
    "epochs": {"type": "integer", "minimum": 1},
    "max_length": {"type": "integer", "minimum": 8},
    "warmup_ratio": {"type": "number", "minimum": 0, "maximum": 1},
    "weight_decay": {"type": "number", "minimum": 0},
    "max_grad_norm": {"type": "number", "exclusiveMinimum": 0},
    "eval_batch_size": {"type": "integer", "minimum": 1},
    "seed": {"type": "integer", "minimum": 0},
    "languages": {
        "type": "array",
        "items": {"type": "string", "enum": list(XNLI_LANGUAGES)},
        "minItems": 1,
        "uniqueItems": True,
    },
    "train_language": {"type": "string", "enum": list(XNLI_LANGUAGES)},
    "selection": {"type": "string", "enum": list(SELECTION_CHOICES)},
    "dev": {"type": "string", "minLength": 1},
    "test": {"type": "string", "minLength": 1},
    "train": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
    "dev_for_training": {"type": "integer", "minimum": 0},
    "max_train": {"type": ["integer", "null"], "minimum": 1},
    "max_eval": {"type": ["integer", "null"], "minimum": 1},
    "threads": {"type": ["integer", "null"], "minimum": 1},
}

SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "XNLI fine-tuning and zero-shot evaluation (xlm_core.xnli.config.XnliConfig).",
    "additionalProperties": False,
    "properties": _PROPERTIES,
}
"""JSON-Schema fragment for the spec key `xnli`."""


def resolve_spec_section(spec) -> dict[str, Any]:
    """The `xnli` section of a loaded `xlm_core.spec.Spec`, its file paths made relative to the
    spec file like every other `files:` entry."""
    section = spec.section("xnli")
    for key in ("dev", "test"):
        if key in section:
            section[key] = spec.resolve(section[key])
    if "train" in section:
        section["train"] = [spec.resolve(uri) for uri in section["train"]]
    return section


def config_from_spec(section: dict[str, Any] | None, **overrides: Any) -> XnliConfig:
    """Validate the spec's `xnli` section and build the config; CLI `overrides` (None = unset) win.

    Errors name the spec field and what it allows."""
    import jsonschema

    values = dict(section or {})
    values.update({k: v for k, v in overrides.items() if v is not None})
    validator = jsonschema.Draft202012Validator(SPEC_SCHEMA)
    errors = sorted(validator.iter_errors(values), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        field = ".".join(["xnli", *(str(p) for p in err.absolute_path)])
        allowed = err.schema.get("enum") if isinstance(err.schema, dict) else None
        if err.validator == "additionalProperties":
            allowed = sorted(_PROPERTIES)
        hint = f" (allowed: {', '.join(map(str, allowed))})" if allowed else ""
        raise ValueError(f"spec field {field}: {err.message}{hint}")
    for key in ("languages", "train"):
        if key in values:
            values[key] = tuple(values[key])
    names = {f.name for f in dataclasses.fields(XnliConfig)}
    config = XnliConfig(**{k: v for k, v in values.items() if k in names})
    if config.train_language not in config.languages:
        raise ValueError(
            f"spec field xnli.train_language: {config.train_language!r} is not among "
            f"xnli.languages {list(config.languages)}"
        )
    return config
