"""Model shape: one frozen dataclass, sizes by name (`tiny`, `base`, `large`) or explicit."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
import types
import typing
from dataclasses import dataclass
from typing import Any

# name -> (layers, hidden, heads, intermediate); base/large are XLM-R's shapes.
SIZES: dict[str, tuple[int, int, int, int]] = {
    "tiny": (2, 64, 4, 256),
    "base": (12, 768, 12, 3072),
    "large": (24, 1024, 16, 4096),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelConfig:
    vocab_size: int
    """Vocabulary size, specials included; `<mask>` is the last id (vocab_size - 1), as in XLM-R."""
    num_layers: int = 2
    """Transformer layers."""
    hidden_size: int = 64
    """Model width."""
    num_heads: int = 4
    """Attention heads; must divide hidden_size."""
    intermediate_size: int = 256
    """Width of the feed-forward inner layer."""
    max_positions: int = 514
    """Rows of the position table. Positions start at pad_id + 1 (RoBERTa/fairseq convention), so
    512 tokens need 514 rows with pad_id = 1."""
    num_languages: int = 0
    """0: XLM-R (no language embeddings; one all-zero token-type row). n > 0: XLM mode, one learned
    embedding per language added to every token (exported as HF token_type_embeddings)."""
    dropout: float = 0.1
    """Dropout on embeddings, attention output, and feed-forward output."""
    attention_dropout: float = 0.1
    """Dropout on attention probabilities."""
    layer_norm_eps: float = 1e-5
    """LayerNorm epsilon (XLM-R: 1e-5)."""
    init_std: float = 0.02
    """Std of the normal initialisation of linear and embedding weights."""
    bos_id: int = 0
    """`<s>`."""
    pad_id: int = 1
    """`<pad>`; also the padding_idx of the position table."""
    eos_id: int = 2
    """`</s>`."""
    unk_id: int = 3
    """`<unk>`."""

    def __post_init__(self) -> None:
        if self.vocab_size <= max(self.bos_id, self.pad_id, self.eos_id, self.unk_id) + 1:
            raise ValueError(f"model.vocab_size={self.vocab_size} leaves no room for normal tokens and <mask>")
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"model.hidden_size={self.hidden_size} is not divisible by model.num_heads={self.num_heads}"
            )
        if self.max_positions <= self.pad_id + 1:
            raise ValueError(f"model.max_positions={self.max_positions} must exceed pad_id + 1")
        if self.num_languages < 0:
            raise ValueError(f"model.num_languages={self.num_languages} must be >= 0")

    @property
    def mask_id(self) -> int:
        return self.vocab_size - 1

    @property
    def special_ids(self) -> tuple[int, ...]:
        """Ids that are never masked nor drawn as random replacements."""
        return (self.bos_id, self.pad_id, self.eos_id, self.mask_id)

    @property
    def max_seq_len(self) -> int:
        """Longest sequence (per segment in TLM) the position table allows."""
        return self.max_positions - self.pad_id - 1

    @property
    def type_vocab_size(self) -> int:
        return max(1, self.num_languages)

    @classmethod
    def from_size(cls, size: str, *, vocab_size: int, **overrides: Any) -> "ModelConfig":
        if size not in SIZES:
            raise ValueError(f"model.size={size!r} is not one of {sorted(SIZES)} (or give explicit dimensions)")
        layers, hidden, heads, inter = SIZES[size]
        fields = dict(num_layers=layers, hidden_size=hidden, num_heads=heads, intermediate_size=inter)
        fields.update(overrides)
        return cls(vocab_size=vocab_size, **fields)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelConfig":
        """From a spec/run-config mapping: `size` picks the preset, the other keys override it."""
        d = dict(d)
        known = {f.name for f in dataclasses.fields(cls)} | {"size"}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"model: unknown field(s) {unknown}; allowed: {sorted(known)}")
        if "vocab_size" not in d:
            raise ValueError("model.vocab_size is required")
        size = d.pop("size", None)
        if size is None:
            return cls(**d)
        return cls.from_size(size, **d)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def num_parameters(self, *, embeddings: bool = True) -> int:
        h, i, layers = self.hidden_size, self.intermediate_size, self.num_layers
        per_layer = 4 * h * h + 4 * h + 2 * h * i + i + h + 4 * h  # qkv+out, ffn, 2 LayerNorms
        head = h * h + h + 2 * h + self.vocab_size  # dense, LayerNorm, decoder bias (weight is tied)
        emb = (self.vocab_size + self.max_positions + self.type_vocab_size) * h + 2 * h
        return layers * per_layer + head + (emb if embeddings else 0)


_JSON_TYPES = {int: "integer", float: "number", str: "string", bool: "boolean"}


def _field_docs(cls) -> dict[str, str]:
    """The docstring under each field of a dataclass (they live in the source, not at runtime)."""
    body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body
    docs = {}
    for node, nxt in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
            docs[node.target.id] = " ".join(str(nxt.value.value).split())
    return docs


def _json_type(tp) -> dict:
    if tp in _JSON_TYPES:
        return {"type": _JSON_TYPES[tp]}
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    origin = typing.get_origin(tp)
    if origin is tuple:
        return {"type": "array", "items": _json_type(args[0])}
    if origin in (typing.Union, types.UnionType):
        kinds = [_json_type(a) for a in args]
        out = kinds[0] if len(kinds) == 1 else {"anyOf": kinds}
        return {"anyOf": [out, {"type": "null"}]} if type(None) in typing.get_args(tp) else out
    if origin is dict:
        return {"type": "object"}
    return {}


def spec_schema(
    cls, *, description: str, extra: dict[str, dict] | None = None, no_default: tuple[str, ...] = ()
) -> dict:
    """JSON-Schema of a config dataclass for its spec section: types and defaults from the fields,
    descriptions from the field docstrings (so the spec documents itself with the code's words)."""
    hints, docs = typing.get_type_hints(cls), _field_docs(cls)
    props: dict[str, dict] = {}
    for f in dataclasses.fields(cls):
        prop = {**_json_type(hints[f.name]), "description": docs.get(f.name, "")}
        if f.default is not dataclasses.MISSING and f.name not in no_default:
            prop["default"] = list(f.default) if isinstance(f.default, tuple) else f.default
        props[f.name] = prop
    for name, prop in (extra or {}).items():
        props[name] = {**props.get(name, {}), **prop}
    return {"type": "object", "additionalProperties": False, "description": description, "properties": props}


SPEC_SCHEMA: dict = spec_schema(
    ModelConfig,
    description="Encoder shape: a size preset and/or explicit dimensions (see xlm_core/model/config.py).",
    extra={"size": {"enum": sorted(SIZES), "description": "Preset: tiny (CPU tests), base (XLM-R base), large (XLM-R large)."}},
    no_default=("num_layers", "hidden_size", "num_heads", "intermediate_size"),  # the preset decides
)
