"""Synthetic multilingual corpora with planted duplicates, written as unit Parquet files, and
the exact-Jaccard ground truth computed independently of xlm_core (plain Python sets)."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pyarrow.parquet as pq

from xlm_core.document import Document, to_table

# (language, first code point, last code point, written with spaces)
SCRIPTS = [
    ("en", 0x61, 0x7A, True),      # Latin
    ("uk", 0x430, 0x44F, True),    # Cyrillic
    ("el", 0x3B1, 0x3C9, True),    # Greek
    ("hi", 0x915, 0x939, True),    # Devanagari consonants
    ("zh", 0x4E00, 0x4FFF, False), # Han, no spaces
    ("th", 0xE01, 0xE2E, False),   # Thai, no spaces
]
CHAR_LANGS = {lang for lang, *_, spaces in SCRIPTS if not spaces}


def _vocab(rng: random.Random, lo: int, hi: int, spaces: bool) -> list[str]:
    if not spaces:
        return [chr(c) for c in range(lo, hi + 1)]
    return ["".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(2, 8))) for _ in range(4000)]


def _sample(rng, vocab, n):
    # Zipf-like: a few frequent tokens, a long tail, as in real text.
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(vocab))]
    return rng.choices(vocab, weights, k=n)


def _join(tokens, spaces):
    return " ".join(tokens) if spaces else "".join(tokens)


def _edit(rng, tokens, vocab, frac, block):
    """Edit `frac` of the tokens: one contiguous block (replace) or scattered substitutions."""
    tokens = list(tokens)
    k = max(1, round(frac * len(tokens)))
    if block:
        start = rng.randrange(0, len(tokens) - k)
        tokens[start:start + k] = _sample(rng, vocab, k)
    else:
        for i in rng.sample(range(len(tokens)), k):
            tokens[i] = rng.choice(vocab)
    return tokens


def make_corpus(seed: int, originals: int = 100, variants: int = 40, copies: int = 10):
    """{language: [text, ...]} in corpus order; per language `originals` random documents,
    `variants` of them edited (5-10% of tokens, block or scattered), `copies` exact copies."""
    rng = random.Random(seed)
    corpus = {}
    for lang, lo, hi, spaces in SCRIPTS:
        vocab = _vocab(rng, lo, hi, spaces)
        length = (200, 400) if spaces else (400, 800)
        base = [_sample(rng, vocab, rng.randint(*length)) for _ in range(originals)]
        docs = [_join(t, spaces) for t in base]
        for i in rng.sample(range(originals), variants):
            docs.append(_join(_edit(rng, base[i], vocab, rng.uniform(0.05, 0.10), rng.random() < 0.5), spaces))
        for i in rng.sample(range(originals), copies):
            docs.append(docs[i])
        rng.shuffle(docs)
        corpus[lang] = docs
    return corpus


def write_units(corpus: dict, out_dir: Path, n_units: int = 3) -> tuple[list[str], dict]:
    """Interleave all languages into `n_units` unit files. Returns the paths and
    {(unit, row): (language, index in corpus[language])}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [(lang, i) for lang, docs in corpus.items() for i in range(len(docs))]
    random.Random(0).shuffle(rows)
    paths, where = [], {}
    for u in range(n_units):
        part = rows[u::n_units]
        docs = [Document(id=f"{u}-{r}", text=corpus[lang][i], language=lang, source="commoncrawl",
                         source_file=f"unit{u}.warc.wet.gz", offset=r) for r, (lang, i) in enumerate(part)]
        where.update({(u, r): li for r, li in enumerate(part)})
        path = out_dir / f"unit-{u:03d}.parquet"
        pq.write_table(to_table(docs), path)
        paths.append(str(path))
    return paths, where


def shingle_set(text: str, char_based: bool, n: int = 5) -> set:
    toks = [c for c in text if not c.isspace()] if char_based else text.split()
    if len(toks) < n:
        return {tuple(toks)} if toks else set()
    return {tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)}


def true_pairs(texts: list[str], char_based: bool, threshold: float) -> set[tuple[int, int]]:
    """Index pairs (i < j) with exact shingle Jaccard >= threshold."""
    sets = [shingle_set(t, char_based) for t in texts]
    out = set()
    for i, j in itertools.combinations(range(len(sets)), 2):
        a, b = sets[i], sets[j]
        inter = len(a & b)
        if inter and inter / (len(a) + len(b) - inter) >= threshold:
            out.add((i, j))
    return out
