"""Fine-tune an exported XLM-R folder for 3-way NLI: sequence-pair classification on `<s>`.

The model contract is a Hugging Face folder (config.json for XLM-R, weights, tokenizer files), so
`XLMRobertaForSequenceClassification.from_pretrained` builds the classifier; a masked-LM export
gets a fresh head, a fine-tuned folder keeps its head if it predicts the same three labels.
Everything that can be wrong with the folder is checked before any compute (`check_model_folder`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import random
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from xlm_core.xnli.config import XnliConfig
from xlm_core.xnli.data import LABELS, NliPair

log = logging.getLogger(__name__)

_TOKENIZER_FILES = ("tokenizer.json", "sentencepiece.bpe.model")
_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
# XLM-R position ids start after padding_idx (1), so 2 positions are never usable.
_POSITION_OFFSET = 2


@dataclass(frozen=True, slots=True)
class ModelFolder:
    path: str
    vocab_size: int
    max_positions: int
    has_head: bool
    """True when the folder already holds a sequence-classification head (kept as is)."""


def check_model_folder(path: str, max_length: int | None = None) -> ModelFolder:
    """Fail with one clear message if `path` is not a usable XLM-R folder for 3-way NLI."""
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"model folder {path!r} does not exist")
    config_file = root / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"model folder {path!r} has no config.json")
    config = json.loads(config_file.read_text())
    if config.get("model_type") != "xlm-roberta":
        raise ValueError(
            f"model folder {path!r}: config.json model_type is {config.get('model_type')!r}, "
            "expected 'xlm-roberta'"
        )
    if not any((root / f).is_file() for f in _WEIGHT_FILES):
        raise FileNotFoundError(f"model folder {path!r} has no weights ({' or '.join(_WEIGHT_FILES)})")
    if not any((root / f).is_file() for f in _TOKENIZER_FILES):
        raise FileNotFoundError(
            f"model folder {path!r} has no tokenizer ({' or '.join(_TOKENIZER_FILES)}); "
            "export the tokenizer with the model (tokenizer.save_pretrained)"
        )
    has_head = any("SequenceClassification" in a for a in config.get("architectures") or [])
    if has_head:
        _check_head_labels(path, config)
    if int(config.get("type_vocab_size", 1)) > 1:
        # XLM-style language embeddings: the export names no language -> id map, so every pair
        # runs with token type 0, as XLM-R (which has none) does.
        log.warning(
            "model folder %s has %s token types (language embeddings?); XNLI uses type 0 for every language",
            path,
            config["type_vocab_size"],
        )
    max_positions = int(config.get("max_position_embeddings", 514)) - _POSITION_OFFSET
    if max_length is not None and max_length > max_positions:
        raise ValueError(
            f"spec field xnli.max_length: {max_length} exceeds the model's {max_positions} "
            f"usable positions (max_position_embeddings in {path}/config.json)"
        )
    return ModelFolder(
        path=str(root), vocab_size=int(config["vocab_size"]), max_positions=max_positions, has_head=has_head
    )


def _check_head_labels(path: str, config: dict) -> None:
    id2label = config.get("id2label") or {}
    names = [str(id2label[k]).lower() for k in sorted(id2label, key=int)]
    if names != list(LABELS):
        raise ValueError(
            f"model folder {path!r} has a classification head for labels {names or '(unnamed)'} "
            f"but the NLI data has {list(LABELS)} (in this order); start from the pretrained "
            "(masked-LM) export instead"
        )


def load_tokenizer(path: str, vocab_size: int):
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # transformers raises many types for a broken tokenizer
        raise ValueError(f"model folder {path!r}: tokenizer does not load: {exc}") from exc
    if len(tokenizer) > vocab_size:
        raise ValueError(
            f"model folder {path!r}: tokenizer has {len(tokenizer)} tokens but the model's "
            f"vocab_size is {vocab_size}; the checkpoint and the tokenizer do not belong together"
        )
    return tokenizer


def load_classifier(path: str):
    from transformers import XLMRobertaForSequenceClassification

    return XLMRobertaForSequenceClassification.from_pretrained(
        path,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={name: i for i, name in enumerate(LABELS)},
        local_files_only=True,
    )


def encode(tokenizer, pairs: list[NliPair], max_length: int) -> list[list[int]]:
    """Token ids `<s> premise </s></s> hypothesis </s>` per pair, truncated longest-first."""
    enc = tokenizer(
        [p.premise for p in pairs],
        [p.hypothesis for p in pairs],
        truncation=True,
        max_length=max_length,
    )
    return enc["input_ids"]


def _batch(ids: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)  # (batch, seq)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, x in enumerate(ids):
        input_ids[i, : len(x)] = torch.tensor(x)
        mask[i, : len(x)] = 1
    return input_ids, mask


@torch.inference_mode()
def predict(model, ids: list[list[int]], pad_id: int, batch_size: int) -> list[int]:
    """Predicted label index per pair, in input order."""
    model.eval()
    # Sorting by length keeps padding (wasted compute) small.
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = [0] * len(ids)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        input_ids, mask = _batch([ids[i] for i in chunk], pad_id)
        logits = model(input_ids=input_ids, attention_mask=mask).logits  # (batch, 3)
        for i, pred in zip(chunk, logits.argmax(-1).tolist()):
            out[i] = pred
    return out


def accuracy(pairs: list[NliPair], preds: list[int]) -> float:
    return sum(p.label == y for p, y in zip(pairs, preds)) / max(1, len(pairs))


def selection_score(accs: dict[str, float], config: XnliConfig) -> float:
    if config.selection == "en":
        return accs[config.train_language]
    return sum(accs.values()) / len(accs)


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Use `count` intra-op threads inside the block (None: leave torch's setting)."""
    before = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True, slots=True)
class FinetuneResult:
    best_model: str
    best_epoch: int
    best_score: float
    history: list[dict]


def finetune(
    model_path: str,
    out_dir: str,
    train_pairs: list[NliPair],
    selection_sets: dict[str, list[NliPair]],
    config: XnliConfig,
) -> FinetuneResult:
    """Train for `config.epochs`, evaluate the selection set after each epoch and keep the best
    epoch's model (with its tokenizer) as `<out_dir>/best_model`."""
    with torch_threads(config.threads):
        return _finetune(model_path, out_dir, train_pairs, selection_sets, config)


def _finetune(
    model_path: str,
    out_dir: str,
    train_pairs: list[NliPair],
    selection_sets: dict[str, list[NliPair]],
    config: XnliConfig,
) -> FinetuneResult:
    folder = check_model_folder(model_path, config.max_length)
    if not train_pairs:
        raise ValueError("no training pairs (spec fields xnli.train / xnli.dev_for_training)")
    tokenizer = load_tokenizer(model_path, folder.vocab_size)
    torch.manual_seed(config.seed)
    model = load_classifier(model_path)

    train_ids = encode(tokenizer, train_pairs, config.max_length)
    train_labels = [p.label for p in train_pairs]
    sel_ids = {lang: encode(tokenizer, pairs, config.max_length) for lang, pairs in selection_sets.items()}

    steps_per_epoch = math.ceil(len(train_ids) / config.batch_size)
    total = steps_per_epoch * config.epochs
    warmup = int(config.warmup_ratio * total)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    # Linear warm-up to the peak, then linear decay to 0 at the last step.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / warmup if s < warmup else max(0.0, (total - s) / max(1, total - warmup))
    )
    rng = random.Random(config.seed)
    best_model = os.path.join(out_dir, "best_model")
    best_epoch, best_score = 0, -1.0
    history: list[dict] = []
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = list(range(len(train_ids)))
        rng.shuffle(order)
        t0, loss_sum = time.monotonic(), 0.0
        for start in range(0, len(order), config.batch_size):
            chunk = order[start : start + config.batch_size]
            input_ids, mask = _batch([train_ids[i] for i in chunk], tokenizer.pad_token_id)
            labels = torch.tensor([train_labels[i] for i in chunk])  # (batch,)
            loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            loss_sum += loss.item() * len(chunk)
        accs = {
            lang: accuracy(selection_sets[lang], predict(model, ids, tokenizer.pad_token_id, config.eval_batch_size))
            for lang, ids in sel_ids.items()
        }
        score = selection_score(accs, config)
        train_loss = loss_sum / len(order)
        history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "selection_score": score,
                "dev_accuracy": accs,
                "seconds": round(time.monotonic() - t0, 2),
            }
        )
        log.info("epoch %d: train loss %.4f, selection (%s) %.4f", epoch, train_loss, config.selection, score)
        if score > best_score:
            _save_atomic(model, tokenizer, best_model)
            best_epoch, best_score = epoch, score
    return FinetuneResult(best_model=best_model, best_epoch=best_epoch, best_score=best_score, history=history)


def _save_atomic(model, tokenizer, path: str) -> None:
    """Write the folder under a temp name and swap it in, so `path` is always a complete model."""
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    old = f"{path}.old-{uuid.uuid4().hex[:8]}"
    if os.path.exists(path):
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)
