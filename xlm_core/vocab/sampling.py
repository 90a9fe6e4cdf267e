"""α-sampling of training sentences for the shared vocabulary (XLM / XLM-R, Conneau & Lample 2019).

Language l with n_l sentences gets the share q_l = p_l^α / Σ_k p_k^α of the sentence budget, where
p_l = n_l / Σ_k n_k. Shares are turned into whole sentence counts by largest remainder, so the
realised proportions equal the formula's up to one sentence per language. A language with fewer
sentences than its target is repeated (every sentence k times, plus a random subset once more);
one with more is subsampled without replacement. Choices come from a generator seeded with
(seed, crc32(language)): the same shards and seed give the same sample, language by language,
whatever the order the tasks run in.

Two passes over a language's shards: `count_sentences`, then `sample_language` (after the plan
fixed every target). Both stream the Parquet `text` column; memory is O(target), not O(corpus)."""

from __future__ import annotations

import hashlib
import logging
import re
import zlib
from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow.parquet as pq

from xlm_core.io import atomic_open, fs_and_path

log = logging.getLogger(__name__)

# Sentence ends: Latin/Cyrillic/Greek punctuation followed by space, or CJK / Devanagari (danda) /
# Urdu full stops that need no space after them.
_SENTENCE_END = re.compile(r"(?<=[.!?…;])\s+|(?<=[。！？।۔])\s*")
_SPACE = re.compile(r"\s+")


def split_sentences(text: str) -> list[str]:
    """Lines of `text`, each split at sentence ends; whitespace collapsed, empty pieces dropped."""
    out = []
    for line in text.splitlines():
        for s in _SENTENCE_END.split(line):
            s = _SPACE.sub(" ", s).strip()
            if s:
                out.append(s)
    return out


def iter_texts(shards: Iterable[str], batch_rows: int = 1024) -> Iterator[str]:
    """The `text` column of Parquet shards, in order, streamed by record batch."""
    for uri in shards:
        fs, path = fs_and_path(uri)
        with fs.open(path, "rb") as f:
            for batch in pq.ParquetFile(f).iter_batches(columns=["text"], batch_size=batch_rows):
                yield from batch.column(0).to_pylist()


def iter_sentences(shards: Iterable[str]) -> Iterator[str]:
    for text in iter_texts(shards):
        yield from split_sentences(text)


def count_sentences(shards: list[str]) -> int:
    return sum(1 for _ in iter_sentences(shards))


def plan(counts: dict[str, int], *, alpha: float, budget: int) -> dict[str, dict]:
    """Per language: available sentences, formula share q_l, and integer target (Σ = budget)."""
    empty = sorted(lang for lang, n in counts.items() if n == 0)
    if empty:
        raise ValueError(
            f"no sentences for language(s) {', '.join(empty)}: their shards are empty; "
            "drop them from vocab.languages or rebuild the dataset"
        )
    if budget < len(counts):
        raise ValueError(f"vocab.sentences: budget {budget} is smaller than the {len(counts)} languages")
    langs = sorted(counts)
    n = np.array([counts[lang] for lang in langs], dtype=np.float64)
    q = (n / n.sum()) ** alpha
    q /= q.sum()
    raw = q * budget
    target = np.maximum(np.floor(raw).astype(np.int64), 1)
    # Largest remainder: hand the sentences lost to flooring to the biggest fractional parts.
    for i in np.argsort(-(raw - np.floor(raw)), kind="stable")[: budget - int(target.sum())]:
        target[i] += 1
    return {
        lang: {"available": counts[lang], "formula_share": float(q[i]), "target": int(target[i])}
        for i, lang in enumerate(langs)
    }


def _rng(seed: int, language: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(language.encode())])


def repeat_counts(available: int, target: int, *, seed: int, language: str) -> tuple[int, np.ndarray]:
    """(k, extra): every sentence is taken k times, and those at sorted indices `extra` once more."""
    k, r = divmod(target, available)
    extra = np.sort(_rng(seed, language).choice(available, size=r, replace=False))
    return k, extra


def _cut(sentence: str, max_bytes: int) -> str:
    b = sentence.encode()
    if len(b) < max_bytes:
        return sentence
    return b[: max_bytes - 1].decode("utf-8", errors="ignore")


def sample_language(
    language: str,
    shards: list[str],
    *,
    available: int,
    target: int,
    seed: int,
    out_uri: str,
    max_sentence_bytes: int = 4192,
) -> dict:
    """Write the sampled sentences of one language to `out_uri`, one per line (atomically).
    `available` must be the `count_sentences` of the same shards: a mismatch means the shards
    changed between the passes, and the sample would silently differ, so it raises."""
    k, extra = repeat_counts(available, target, seed=seed, language=language)
    if target > available:
        log.warning(
            "%s: %d sentences for a target of %d: sampled with repetition (x%.2f)",
            language,
            available,
            target,
            target / available,
        )
    extra_list = extra.tolist()
    written = unique = chars = 0
    h = hashlib.sha256()
    j = 0  # next position in extra_list
    seen = 0
    with atomic_open(out_uri, "wb") as f:
        for i, sentence in enumerate(iter_sentences(shards)):
            seen = i + 1
            times = k
            if j < len(extra_list) and extra_list[j] == i:
                times += 1
                j += 1
            if not times:
                continue
            line = (_cut(sentence, max_sentence_bytes) + "\n").encode()
            f.write(line * times)
            h.update(line * times)
            written += times
            unique += 1
            chars += times * (len(line) - 1)
    if seen != available:
        raise ValueError(f"{language}: shards now hold {seen} sentences, the plan counted {available}")
    return {
        "language": language,
        "available": available,
        "target": target,
        "sampled": written,
        "unique": unique,
        "repeat": k if k else None,
        "characters": chars,
        "path": out_uri,
        "sha256": h.hexdigest(),
    }


def realised(plan_: dict[str, dict], samples: dict[str, dict]) -> dict[str, dict]:
    """Formula vs realised share (by sentences and by characters) per language."""
    total = sum(s["sampled"] for s in samples.values())
    total_chars = sum(s["characters"] for s in samples.values()) or 1
    out = {}
    for lang, p in plan_.items():
        s = samples[lang]
        out[lang] = {
            **p,
            "sampled": s["sampled"],
            "unique": s["unique"],
            "realised_share": s["sampled"] / total,
            "realised_char_share": s["characters"] / total_chars,
            "upsampled": s["sampled"] > p["available"],
        }
    return out
