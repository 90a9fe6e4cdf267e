import random

import numpy as np
import pytest

from xlm_core.dedup.hashing import combine, mix64
from xlm_core.filters.ngrams import NGrams

from . import reference


def batch(seed: int, n_docs: int = 60):
    """Documents of random words from tiny vocabularies: repeats, ties, docs shorter than n."""
    rng = random.Random(seed)
    docs = []
    for _ in range(n_docs):
        vocab = [rng.choice("abcdefg") * rng.randint(1, 4) for _ in range(rng.randint(1, 6))]
        docs.append([rng.choice(vocab) for _ in range(rng.choice([0, 1, 2, 3, 4, 9, 10, 11, 40, 300]))])
    ids = np.concatenate([reference._Grams(d).ids for d in docs if d] or [np.zeros(0, np.uint64)])
    lens = np.array([len(w) for d in docs for w in d], np.int64)
    bounds = np.concatenate([[0], np.cumsum([len(d) for d in docs])])
    return docs, NGrams(ids, bounds, lens)


def test_state_is_combine():
    ids = np.random.default_rng(0).integers(0, 50, 1000).astype(np.uint64)
    grams = NGrams(ids, np.array([0, 1000]), np.ones(1000, np.int64))
    for n in (1, 2, 5, 3, 10):  # also going back to a smaller n
        want = combine([ids[k:k + 1000 - n + 1] for k in range(n)])
        assert np.array_equal(mix64(grams._state(n).copy()), want)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dropped_bits", [0, 58])
def test_top_and_dup_chars_equal_the_per_document_values(monkeypatch, seed, dropped_bits):
    monkeypatch.setattr(NGrams, "min_dropped_bits", dropped_bits)
    docs, grams = batch(seed)
    for n in (1, 2, 3, 4, 5, 10, 11):
        top, dup = grams.top_chars(n), grams.dup_chars(n)
        for d, words in enumerate(docs):
            ref = reference._Grams(words)
            assert top[d] == ref.top_chars(n), (n, d)
            assert dup[d] == ref.dup_chars(n), (n, d)


def test_ties_break_on_the_smallest_hash():
    # "x yy" and "zzz wwww" both occur twice (3 and 7 characters): which one counts shows.
    words = "x yy x yy zzz wwww zzz wwww".split()
    ref = reference._Grams(words)
    grams = NGrams(ref.ids, np.array([0, len(words)]), ref.lens)
    assert grams.top_chars(2)[0] == ref.top_chars(2) in (2 * 3, 2 * 7)


@pytest.mark.parametrize("seed", range(3))
def test_restrict_keeps_the_folded_state(seed):
    docs, grams = batch(seed)
    grams.top_chars(3)  # fold 3 columns, then drop documents
    keep = np.array([random.Random(seed + d).random() < 0.5 for d in range(len(docs))])
    sub = grams.restrict(keep)
    kept = [d for d, k in zip(docs, keep) if k]
    for n in (3, 4, 6, 2):
        assert sub.top_chars(n).tolist() == [reference._Grams(d).top_chars(n) for d in kept]
        assert sub.dup_chars(n).tolist() == [reference._Grams(d).dup_chars(n) for d in kept]
