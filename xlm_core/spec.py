"""Specs: YAML documents validated against `data_specs/spec.schema.json` before anything runs.

Stage packages contribute the schema of their own section (`SPEC_SCHEMA` in the module named in
`SECTION_SCHEMAS`), so the schema of e.g. `filters:` lives beside the code that reads it."""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from xlm_core.io import canonical_json
from xlm_core.langid.labels import LID176_LANGUAGES

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data_specs" / "spec.schema.json"

# spec section -> module that defines its JSON-Schema fragment as SPEC_SCHEMA
SECTION_SCHEMAS = {
    "filters": "xlm_core.filters.config",
    "dedup": "xlm_core.dedup.config",
    "vocab": "xlm_core.vocab.config",
    "tokenize": "xlm_core.tokenize.config",
    "parallel": "xlm_core.parallel.config",
    "model": "xlm_core.model.config",
    "train": "xlm_core.train.config",
    "xnli": "xlm_core.xnli.config",
    "pipeline": "xlm_core.pipeline",
}


# Spec keys that change where/how a build runs, not what it produces.
OPERATIONAL_KEYS = frozenset({"output", "download", "description"})
# Sections of the stages after the dataset: they have keys of their own (xlm_core.pipeline), and
# changing one must not give the dataset a new version (nothing upstream is recomputed).
DOWNSTREAM_KEYS = frozenset({"vocab", "tokenize", "parallel", "model", "train", "xnli", "pipeline"})


class SpecError(ValueError):
    """An invalid spec; the message names the file, each bad field path and what was expected."""


@cache
def schema() -> dict:
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        base = json.load(f)
    for section, module_name in SECTION_SCHEMAS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue  # stage not built: its section stays a free-form object
        fragment = getattr(module, "SPEC_SCHEMA", None)
        if fragment is not None:
            base["properties"][section] = fragment
    return base


def _field_path(error: jsonschema.ValidationError) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    v = error.validator
    if v == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if v == "const":
        return f"{error.instance!r} is not {error.validator_value!r}"
    if v == "oneOf" and isinstance(error.instance, dict):
        options = [
            " + ".join(s.get("required", [])) for s in error.validator_value if s.get("required")
        ]
        return f"give exactly one of: {' | '.join(options)}"
    if v == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field(s)")
    return error.message


def validation_errors(spec: Any) -> list[str]:
    """Every problem with `spec`, as 'field.path: what was expected' lines (empty if valid)."""
    validator = jsonschema.Draft202012Validator(schema())
    errors = []
    for err in validator.iter_errors(spec):
        # if/then failures repeat the inner error; report the innermost ones.
        leaves = [e for e in err.context] if err.validator in ("allOf",) and err.context else [err]
        errors.extend(f"{_field_path(e)}: {_describe(e)}" for e in leaves)
    if isinstance(spec, dict) and not errors:
        errors.extend(_semantic_errors(spec))
    return sorted(set(errors))


def _semantic_errors(spec: dict) -> list[str]:
    errors = []
    for i, lang in enumerate(spec["languages"]):
        if lang not in LID176_LANGUAGES:
            errors.append(
                f"languages[{i}]: {lang!r} is not a language code the LID model knows "
                "(ISO 639 codes as in lid.176, e.g. en, de, zh, sw)"
            )
    for i, src in enumerate(spec["sources"]):
        for lang_field in ("language",):
            lang = src.get(lang_field)
            if lang and lang not in LID176_LANGUAGES:
                errors.append(f"sources[{i}].{lang_field}: {lang!r} is not a known language code")
    for lang in spec.get("langid", {}).get("per_language", {}):
        if lang not in LID176_LANGUAGES:
            errors.append(f"langid.per_language.{lang}: not a known language code")
    return errors


@dataclass(frozen=True, slots=True)
class Spec:
    """A validated spec. `data` is the spec exactly as written (it is what gets hashed);
    `base_dir` resolves relative file paths in it."""

    data: dict
    path: str
    base_dir: str

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def languages(self) -> list[str]:
        return list(self.data["languages"])

    @property
    def output(self) -> str:
        out = self.data["output"]
        if "://" in out or os.path.isabs(out):
            return out
        return os.path.abspath(out)

    def section(self, key: str) -> dict:
        return copy.deepcopy(self.data.get(key, {}))

    def resolve(self, file: str) -> str:
        """A `files:` entry as a URI: relative local paths are relative to the spec file."""
        if "://" in file or os.path.isabs(file):
            return file
        return os.path.normpath(os.path.join(self.base_dir, file))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(canonical_json(self.data)).hexdigest()

    @property
    def dataset_data(self) -> dict:
        """The spec as the dataset's manifest records it: without the later stages' sections, so
        a dataset version has one manifest whatever the training settings beside it."""
        return {k: copy.deepcopy(v) for k, v in self.data.items() if k not in DOWNSTREAM_KEYS}

    @property
    def dataset_sha256(self) -> str:
        return hashlib.sha256(canonical_json(self.dataset_data)).hexdigest()

    @property
    def content_sha256(self) -> str:
        """Digest of what decides the dataset's content: the spec less where it is written, how it
        is fetched and the later stages' sections, so the same build to another bucket or machine,
        or under other training settings, has the same version."""
        content = {k: v for k, v in self.data.items() if k not in OPERATIONAL_KEYS | DOWNSTREAM_KEYS}
        if "execution" in content:  # where tasks run is operational; how many groups is content
            content["execution"] = {k: v for k, v in content["execution"].items() if k == "tasks"}
        return hashlib.sha256(canonical_json(content)).hexdigest()


def parse_spec(data: Any, *, path: str = "<spec>", base_dir: str | None = None) -> Spec:
    errors = validation_errors(data)
    if errors:
        raise SpecError(f"invalid spec {path}:\n  " + "\n  ".join(errors))
    return Spec(data=data, path=path, base_dir=base_dir or os.getcwd())


def load_spec(path: str) -> Spec:
    if not os.path.exists(path):
        raise FileNotFoundError(f"spec file not found: {path}")
    with open(path, encoding="utf-8") as f:
        try:
            data = yaml.safe_load(f)
        except yaml.YAMLError as exc:
            raise SpecError(f"invalid spec {path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"invalid spec {path}: expected a mapping at the top level")
    return parse_spec(data, path=path, base_dir=os.path.dirname(os.path.abspath(path)))
