"""Checkpoint -> Hugging Face folder that `XLMRobertaForMaskedLM.from_pretrained` loads with our logits.

ZeRO shards (stage 1-3) are consolidated to fp32 with DeepSpeed's own `zero_to_fp32`; stage 0
checkpoints hold the full module. XLM mode (language embeddings) exports as HF token-type
embeddings with `type_vocab_size = num_languages`: pass the language id as `token_type_ids`."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile

import torch

from xlm_core.model.config import ModelConfig
from xlm_core.model.encoder import XLMREncoder
from xlm_core.train import checkpoint as ckpt

log = logging.getLogger(__name__)

TOKENIZER_FILES = (
    "sentencepiece.bpe.model",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)

# ours -> HF XLMRobertaForMaskedLM (per-layer names below)
_TOP = {
    "tok_emb.weight": "roberta.embeddings.word_embeddings.weight",
    "pos_emb.weight": "roberta.embeddings.position_embeddings.weight",
    "type_emb.weight": "roberta.embeddings.token_type_embeddings.weight",
    "emb_ln.weight": "roberta.embeddings.LayerNorm.weight",
    "emb_ln.bias": "roberta.embeddings.LayerNorm.bias",
    "lm_head.dense.weight": "lm_head.dense.weight",
    "lm_head.dense.bias": "lm_head.dense.bias",
    "lm_head.layer_norm.weight": "lm_head.layer_norm.weight",
    "lm_head.layer_norm.bias": "lm_head.layer_norm.bias",
    "lm_head.bias": "lm_head.bias",
}
_LAYER = {
    "attn.out": "attention.output.dense",
    "ln_attn": "attention.output.LayerNorm",
    "fc1": "intermediate.dense",
    "fc2": "output.dense",
    "ln_ffn": "output.LayerNorm",
}


def hf_config(cfg: ModelConfig):
    from transformers import XLMRobertaConfig

    return XLMRobertaConfig(
        vocab_size=cfg.vocab_size,
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        intermediate_size=cfg.intermediate_size,
        hidden_act="gelu",
        hidden_dropout_prob=cfg.dropout,
        attention_probs_dropout_prob=cfg.attention_dropout,
        max_position_embeddings=cfg.max_positions,
        type_vocab_size=cfg.type_vocab_size,
        layer_norm_eps=cfg.layer_norm_eps,
        initializer_range=cfg.init_std,
        pad_token_id=cfg.pad_id,
        bos_token_id=cfg.bos_id,
        eos_token_id=cfg.eos_id,
        architectures=["XLMRobertaForMaskedLM"],
    )


def to_hf_state_dict(state: dict[str, torch.Tensor], cfg: ModelConfig) -> dict[str, torch.Tensor]:
    """Rename our parameters to HF's and split the fused qkv projection into query/key/value."""
    state = {k.removeprefix("module."): v for k, v in state.items()}
    out: dict[str, torch.Tensor] = {}
    for ours, theirs in _TOP.items():
        out[theirs] = state[ours]
    h = cfg.hidden_size
    for i in range(cfg.num_layers):
        src, dst = f"layers.{i}.", f"roberta.encoder.layer.{i}."
        for kind in ("weight", "bias"):
            qkv = state[f"{src}attn.qkv.{kind}"]
            for j, name in enumerate(("query", "key", "value")):
                out[f"{dst}attention.self.{name}.{kind}"] = qkv[j * h : (j + 1) * h]
            for ours, theirs in _LAYER.items():
                out[f"{dst}{theirs}.{kind}"] = state[f"{src}{ours}.{kind}"]
    expected = set(_TOP) | {
        f"layers.{i}.{n}.{k}" for i in range(cfg.num_layers) for n in (*_LAYER, "attn.qkv") for k in ("weight", "bias")
    }
    extra = sorted(set(state) - expected)
    if extra:
        raise ValueError(f"state dict has parameters the export does not know: {extra[:5]}")
    return {k: v.detach().float().contiguous().clone() for k, v in out.items()}


def consolidated_state_dict(checkpoint_dir: str, tag: str | None = None) -> tuple[dict[str, torch.Tensor], ModelConfig, str]:
    """(fp32 state dict, model config, tag) of a verified checkpoint; tag None = newest complete one."""
    tag = tag or ckpt.latest_complete_tag(checkpoint_dir)
    if tag is None:
        raise FileNotFoundError(f"no complete checkpoint under {checkpoint_dir!r}")
    meta = ckpt.verify(checkpoint_dir, tag)
    cfg = ModelConfig.from_dict(meta["model"])
    tag_dir = os.path.join(checkpoint_dir, tag)
    if meta["zero_stage"] == 0:
        states = torch.load(os.path.join(tag_dir, "mp_rank_00_model_states.pt"), map_location="cpu", weights_only=True)
        state = {k: v.float() for k, v in states["module"].items()}
    else:
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

        state = get_fp32_state_dict_from_zero_checkpoint(checkpoint_dir, tag=tag)
    return state, cfg, tag


def tokenizer_files(tokenizer_dir: str) -> list[str]:
    """The tokenizer files an export copies; FileNotFoundError when the folder cannot serve one
    (checked before training starts, not after)."""
    if not os.path.isdir(tokenizer_dir):
        raise FileNotFoundError(f"tokenizer directory {tokenizer_dir!r} does not exist")
    names = [n for n in TOKENIZER_FILES if os.path.isfile(os.path.join(tokenizer_dir, n))]
    if not ({"sentencepiece.bpe.model", "tokenizer.json"} & set(names)):
        raise FileNotFoundError(
            f"tokenizer directory {tokenizer_dir!r} holds neither sentencepiece.bpe.model nor tokenizer.json"
        )
    return names


def copy_tokenizer(tokenizer_dir: str, out_dir: str) -> list[str]:
    names = tokenizer_files(tokenizer_dir)
    for n in names:
        shutil.copyfile(os.path.join(tokenizer_dir, n), os.path.join(out_dir, n))
    return names


@torch.no_grad()
def max_logit_difference(state: dict[str, torch.Tensor], cfg: ModelConfig, hf_dir: str, input_ids: torch.Tensor) -> float:
    """Largest |ours - HF| over the logits of input_ids (batch, seq), both in fp32 eval mode."""
    from transformers import XLMRobertaForMaskedLM

    ours = XLMREncoder(cfg)
    ours.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
    ours.eval()
    theirs = XLMRobertaForMaskedLM.from_pretrained(hf_dir, attn_implementation="eager").eval()
    mask = input_ids.ne(cfg.pad_id).long()
    a = ours.logits(ours.encode(input_ids, attention_mask=mask))
    b = theirs(input_ids=input_ids, attention_mask=mask).logits
    keep = mask.bool()
    return (a[keep] - b[keep]).abs().max().item()


def write_hf_folder(
    state: dict[str, torch.Tensor],
    cfg: ModelConfig,
    out_dir: str,
    *,
    tokenizer_dir: str | None = None,
    verify_ids: torch.Tensor | None = None,
    tolerance: float = 1e-4,
) -> dict:
    """Write config.json + model.safetensors (+ tokenizer files) to out_dir, atomically (temp dir +
    rename), after checking that HF reloads it with our logits on verify_ids."""
    from transformers import XLMRobertaForMaskedLM

    parent = os.path.dirname(os.path.abspath(out_dir)) or "."
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-", dir=parent)
    try:
        model = XLMRobertaForMaskedLM(hf_config(cfg))
        missing, unexpected = model.load_state_dict(to_hf_state_dict(state, cfg), strict=False)
        # tied: decoder.weight is the word embeddings, decoder.bias is lm_head.bias
        missing = [k for k in missing if k not in ("lm_head.decoder.weight", "lm_head.decoder.bias")]
        if missing or unexpected:
            raise ValueError(f"HF model does not match the export: missing {missing}, unexpected {unexpected}")
        model.save_pretrained(tmp, safe_serialization=True)
        tok_files = copy_tokenizer(tokenizer_dir, tmp) if tokenizer_dir else []
        if verify_ids is None:
            g = torch.Generator().manual_seed(0)
            verify_ids = torch.randint(cfg.unk_id + 1, cfg.mask_id, (2, min(32, cfg.max_seq_len)), generator=g)
            verify_ids[:, 0], verify_ids[:, -1] = cfg.bos_id, cfg.eos_id
        diff = max_logit_difference(state, cfg, tmp, verify_ids)
        if not diff <= tolerance:
            raise ValueError(f"exported model's logits differ from ours by {diff:.3g} (> {tolerance})")
        if os.path.exists(out_dir):
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
    log.info("exported to %s (max |logit diff| vs ours %.2e)", out_dir, diff)
    return {"out_dir": out_dir, "max_logit_diff": diff, "tokenizer_files": tok_files}


def export_checkpoint(
    checkpoint_dir: str, out_dir: str, *, tokenizer_dir: str | None = None, tag: str | None = None
) -> dict:
    """Consolidate a training checkpoint and write it as a HF XLMRobertaForMaskedLM folder."""
    if tokenizer_dir is not None:
        tokenizer_files(tokenizer_dir)
    state, cfg, tag = consolidated_state_dict(checkpoint_dir, tag)
    result = write_hf_folder(state, cfg, out_dir, tokenizer_dir=tokenizer_dir)
    return {**result, "tag": tag}
