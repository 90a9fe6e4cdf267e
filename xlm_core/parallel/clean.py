"""Cleaning of one language pair's sentence pairs: language check, exact duplicates, lengths.

Order matters for the counters only, not for what is kept: empty -> too long -> duplicate ->
length ratio -> language ID (the model runs last, on the fewest pairs)."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from xlm_core.parallel.config import ParallelConfig
from xlm_core.parallel.ingest import Pair

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def clean_pairs(pairs: list[Pair], config: ParallelConfig, lid, counters: Counter) -> list[Pair]:
    """Kept pairs of one language pair, in input order. `lid` is an `xlm_core.langid.LanguageIdentifier`
    (None: no language check). `counters` gets read / kept / dropped.<reason>."""
    counters["read"] += len(pairs)
    seen: set[tuple[str, str]] = set()
    survivors: list[Pair] = []
    for p in pairs:
        p.text1, p.text2 = normalise(p.text1), normalise(p.text2)
        if not p.text1 or not p.text2:
            counters["dropped.empty"] += 1
            continue
        if max(len(p.text1.encode()), len(p.text2.encode())) > config.max_bytes:
            counters["dropped.too_long"] += 1
            continue
        key = (p.text1, p.text2)
        if key in seen:
            counters["dropped.duplicate"] += 1
            continue
        seen.add(key)
        survivors.append(p)
    survivors = _length_ratio(survivors, config, counters)
    if lid is not None and survivors:
        survivors = _language_check(survivors, config, lid, counters)
    counters["kept"] += len(survivors)
    return survivors


def _length_ratio(pairs: list[Pair], config: ParallelConfig, counters: Counter) -> list[Pair]:
    if not pairs:
        return pairs
    # log(bytes1 / bytes2): compared with the pair's median, because scripts differ in bytes per meaning
    ratios = np.array([math.log(len(p.text1.encode()) / len(p.text2.encode())) for p in pairs])
    keep = np.abs(ratios - np.median(ratios)) <= math.log(config.max_length_ratio)
    counters["dropped.length_ratio"] += int((~keep).sum())
    return [p for p, k in zip(pairs, keep) if k]


def _language_check(pairs: list[Pair], config: ParallelConfig, lid, counters: Counter) -> list[Pair]:
    l1, l2 = pairs[0].l1, pairs[0].l2
    ok = np.ones(len(pairs), dtype=bool)
    for side, lang in ((1, l1), (2, l2)):
        if lang in config.skip_lid:
            continue
        preds = lid.predict([p.text1 if side == 1 else p.text2 for p in pairs])
        threshold = config.threshold_for(lang)
        side_ok = np.array([label == lang and prob >= threshold for label, prob in preds])
        counters[f"dropped.lid_{'l1' if side == 1 else 'l2'}"] += int((ok & ~side_ok).sum())
        ok &= side_ok
    return [p for p, k in zip(pairs, ok) if k]
