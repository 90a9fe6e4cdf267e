"""Real text for training tests: Wikipedia article text from the bundled sample dumps, byte-level
tokenised into a tiny vocabulary (4 specials + 256 bytes; <mask> = VOCAB - 1)."""

from __future__ import annotations

import bz2
import functools
import os
import re

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WIKI = os.path.join(REPO, "data_specs", "samples", "wiki")
VOCAB = 300
BOS, PAD, EOS = 0, 1, 2


@functools.cache
def wiki_text(lang: str, max_bytes: int = 400_000) -> bytes:
    """Plain-ish article text (XML and most markup stripped) of one sample dump."""
    with bz2.open(os.path.join(WIKI, f"{lang}wiki-sample-pages-articles.xml.bz2"), "rb") as f:
        raw = f.read(max_bytes * 3).decode("utf-8", "ignore")
    texts = re.findall(r"<text[^>]*>(.*?)</text>", raw, flags=re.S)
    body = "\n".join(texts)
    body = re.sub(r"\{\{.*?\}\}|<[^>]+>|&[a-z]+;|\[\[|\]\]|'''|''", " ", body, flags=re.S)
    body = re.sub(r"[ \t]+", " ", body)
    return body.encode("utf-8")[:max_bytes]


def byte_rows(lang: str, n_rows: int, seq_len: int) -> np.ndarray:
    """(n_rows, seq_len) int32: `<s>` + seq_len-2 bytes (+4) + `</s>`, consecutive chunks of the text."""
    data = np.frombuffer(wiki_text(lang), dtype=np.uint8).astype(np.int32) + 4
    body = seq_len - 2
    n_rows = min(n_rows, len(data) // body)
    rows = np.empty((n_rows, seq_len), dtype=np.int32)
    rows[:, 0], rows[:, -1] = BOS, EOS
    rows[:, 1:-1] = data[: n_rows * body].reshape(n_rows, body)
    return rows
