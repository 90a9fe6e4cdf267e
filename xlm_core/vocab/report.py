"""Per-language report of a vocabulary: fertility, <unk> and byte-fallback rates, vocabulary share.

Measured on sentences of each language (the flow uses the head of each language's α-sample).
  fertility          tokens per whitespace word (meaningless for zh/ja/th: see tokens_per_char)
  tokens_per_char    tokens per character, comparable across scripts
  unk_rate           <unk> tokens / tokens
  byte_rate          byte-fallback pieces / tokens (0 without byte fallback)
  vocab_share        distinct pieces the language uses / vocabulary size
  vocab_exclusive    pieces no other reported language uses / vocabulary size"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xlm_core.io import atomic_open, join, write_json
from xlm_core.vocab.model import Vocabulary

COLUMNS = (
    ("language", "language"),
    ("sentences", "sentences"),
    ("words", "words"),
    ("tokens", "tokens"),
    ("fertility", "tokens/word"),
    ("tokens_per_char", "tokens/char"),
    ("unk_rate", "unk rate"),
    ("byte_rate", "byte-fallback rate"),
    ("vocab_share", "vocab share"),
    ("vocab_exclusive", "exclusive vocab share"),
)


def build_report(vocab: Vocabulary, texts: dict[str, Sequence[str]], *, sampling: dict | None = None) -> dict:
    """Report over `texts` (language -> sentences). `sampling` (formula vs realised shares) is
    carried into the report as is."""
    used: dict[str, np.ndarray] = {}
    rows = []
    for lang in sorted(texts):
        sents = list(texts[lang])
        tokens, _ = vocab.encode_concat(sents, eos=False)
        ids = tokens.astype(np.int64)
        n = max(len(ids), 1)
        words = sum(len(s.split()) for s in sents)
        chars = sum(len(s) for s in sents)
        used[lang] = np.unique(ids)
        rows.append(
            {
                "language": lang,
                "sentences": len(sents),
                "words": words,
                "characters": chars,
                "tokens": int(len(ids)),
                "fertility": len(ids) / max(words, 1),
                "tokens_per_char": len(ids) / max(chars, 1),
                "unk_rate": float(np.count_nonzero(ids == vocab.unk_id)) / n,
                "byte_rate": float(np.isin(ids, vocab.byte_ids).sum()) / n,
                "vocab_share": len(used[lang]) / vocab.size,
            }
        )
    for row in rows:
        others = [u for lang, u in used.items() if lang != row["language"]]
        mine = used[row["language"]]
        exclusive = np.setdiff1d(mine, np.concatenate(others)) if others else mine
        row["vocab_exclusive"] = len(exclusive) / vocab.size
    return {
        "vocab": {
            "sha256": vocab.sha256,
            "model_type": vocab.model_type,
            "vocab_size": vocab.size,
            "byte_fallback": vocab.byte_fallback,
        },
        "languages": rows,
        "sampling": sampling or {},
    }


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if v < 10 else f"{v:.2f}"
    return str(v)


def to_markdown(report: dict) -> str:
    v = report["vocab"]
    lines = [
        f"# Vocabulary report ({v['model_type']}, {v['vocab_size']} ids, byte fallback {v['byte_fallback']})",
        "",
        f"sha256 `{v['sha256']}`",
        "",
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(_fmt(row[key]) for key, _ in COLUMNS) + " |" for row in report["languages"]]
    if report.get("sampling"):
        lines += [
            "",
            "## α-sampling",
            "",
            "| language | available | formula share | target | sampled | realised share |",
            "|---|---|---|---|---|---|",
        ]
        for lang, s in sorted(report["sampling"].items()):
            lines.append(
                f"| {lang} | {s['available']} | {s['formula_share']:.4f} | {s['target']} | {s['sampled']} | "
                f"{s['realised_share']:.4f} |"
            )
    return "\n".join(lines) + "\n"


def write_report(report: dict, out_dir: str) -> dict[str, str]:
    """`report.json` + `report.md` in `out_dir`; returns their URIs."""
    paths = {"json": join(out_dir, "report.json"), "markdown": join(out_dir, "report.md")}
    write_json(paths["json"], report)
    with atomic_open(paths["markdown"], "wb") as f:
        f.write(to_markdown(report).encode())
    return paths
