"""Run configs for 2-process gloo DeepSpeed runs on real text (bundled Wikipedia samples, byte ids)."""

from __future__ import annotations

import json
import os

import numpy as np

from .textdata import VOCAB, byte_rows

SEQ = 64


def make_run(
    root, *, stage: int = 2, steps: int = 10, out: str = "run", model: dict | None = None, tlm: bool = False, **train
) -> str:
    """Write en/nl streams (once per root) and a run.json; returns the run.json path. tlm: also
    en-nl "pairs" (aligned chunks of the two texts: not translations, but the layout is TLM's)."""
    root = str(root)
    paths = {}
    for lang in ("en", "nl"):
        p = os.path.join(root, f"{lang}.npy")
        if not os.path.exists(p):
            np.save(p, byte_rows(lang, 400, SEQ))
        paths[lang] = p
    cfg = {
        "model": {"size": "tiny", "vocab_size": VOCAB, "max_positions": 130, **(model or {})},
        "train": {
            "max_steps": steps, "zero_stage": stage, "micro_batch_size": 8, "global_batch_size": 32, "seq_len": SEQ,
            "lr": 2e-3, "warmup_steps": 2, "checkpoint_every": 5, "keep_last": 2, **train,
        },
        "data": {"mlm": paths, **({"tlm": _pairs(root)} if tlm else {})},
        "output_dir": os.path.join(root, out),
    }  # fmt: skip
    path = os.path.join(root, f"{out}.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


def _pairs(root: str) -> str:
    path = os.path.join(root, "pairs.jsonl")
    en, nl = byte_rows("en", 200, 30), byte_rows("nl", 200, 24)
    with open(path, "w") as f:
        for a, b in zip(en, nl):
            f.write(json.dumps({"ids1": a[1:-1].tolist(), "ids2": b[1:-1].tolist(), "lang1": "en", "lang2": "nl"}) + "\n")
    return path
