"""Shingles of documents as 64-bit hashes: word n-grams, or character n-grams for languages
without spaces. Normalised as datatrove/CCNet do (NFKC, lowercase, punctuation and digits
dropped) so the same text always gives the same shingles, on any machine.

Output is flat, ready for a batch MinHash: `hashes` (total,) uint64 and `offsets` (docs + 1,)
int64, document d owning hashes[offsets[d]:offsets[d+1]]. A document shorter than n tokens has
one shingle of all its tokens; a document with no token has none."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .hashing import combine, hash_strings, mix64

_EMPTY = np.zeros(0, np.uint64)


def _normalize(texts: pa.Array, char_based: bool) -> pa.Array:
    t = pc.utf8_lower(pc.utf8_normalize(texts, form="NFKC"))
    # Digits go with punctuation, so "price 100" and "price 250" share shingles. Chars: spaces go
    # too (a shingle is n letters); words: these split like a space.
    return pc.replace_substring_regex(t, r"[\p{P}\p{S}\p{N}\s]+" if char_based else r"[\p{P}\p{S}\p{N}]+",
                                      "" if char_based else " ")


def _tokens(texts: pa.Array, char_based: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Token hashes (tokens,) uint64 and per-document token offsets (docs + 1,) int64."""
    norm = _normalize(texts, char_based)
    if char_based:
        # One token per code point: its UTF-32 value, salted with the seed and mixed.
        cps = [np.frombuffer(s.encode("utf-32-le"), np.uint32) for s in norm.to_pylist()]
        lengths = np.array([len(c) for c in cps], np.int64)
        flat = np.concatenate(cps).astype(np.uint64) if cps else _EMPTY
        tok = mix64(flat + np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15))
    else:
        lists = pc.utf8_split_whitespace(norm)
        offs = lists.offsets.to_numpy()
        words = lists.flatten()
        # Arrow splits "" into [""] and keeps empty edge tokens: drop empty tokens.
        nonempty = pc.greater(pc.binary_length(words), 0).to_numpy(zero_copy_only=False)
        doc = np.repeat(np.arange(len(offs) - 1), np.diff(offs))[nonempty]
        lengths = np.bincount(doc, minlength=len(offs) - 1).astype(np.int64)
        tok = hash_strings(words.filter(pa.array(nonempty)), seed)
    offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return tok, offsets


def shingle_hashes(texts: pa.Array, n: int, char_based: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, offsets) of the n-gram shingles of each text (see module docstring)."""
    tok, toff = _tokens(texts, char_based, seed)
    lengths = np.diff(toff)
    total = len(tok)
    n_docs = len(lengths)
    # Window starting at token i covers tokens i..i+n-1: valid when they are in one document.
    n_win = max(total - n + 1, 0)
    doc_of_tok = np.repeat(np.arange(n_docs), lengths)
    if n_win:
        win = combine([tok[k:k + n_win] for k in range(n)])  # (n_win,)
        valid = doc_of_tok[:n_win] == doc_of_tok[n - 1:n - 1 + n_win]
        win, win_doc = win[valid], doc_of_tok[:n_win][valid]
    else:
        win, win_doc = _EMPTY, np.zeros(0, np.int64)
    short = np.flatnonzero((lengths > 0) & (lengths < n))
    if len(short):
        # Rare: documents shorter than one shingle get one shingle of all their tokens.
        extra = np.array([combine([tok[toff[d] + k:toff[d] + k + 1] for k in range(lengths[d])])[0]
                          for d in short], np.uint64)
        win = np.concatenate([win, extra])
        win_doc = np.concatenate([win_doc, short])
        order = np.argsort(win_doc, kind="stable")
        win, win_doc = win[order], win_doc[order]
    counts = np.bincount(win_doc, minlength=n_docs)
    offsets = np.zeros(n_docs + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    return win, offsets


def unique_per_doc(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct shingles per document (for exact Jaccard), same flat layout. Hashes are
    cut to 44 bits so (doc << 44 | hash) sorts everything in one pass; with 2^-44 collision odds
    per pair the Jaccard stays exact for all practical purposes. Needs < 2^20 documents."""
    n_docs = len(offsets) - 1
    doc = np.repeat(np.arange(n_docs, dtype=np.uint64), np.diff(offsets))
    key = np.sort((doc << np.uint64(44)) | (hashes >> np.uint64(20)))
    first = np.ones(len(key), bool)
    first[1:] = key[1:] != key[:-1]
    key = key[first]
    counts = np.bincount((key >> np.uint64(44)).astype(np.int64), minlength=n_docs)
    out_off = np.zeros(n_docs + 1, np.int64)
    np.cumsum(counts, out=out_off[1:])
    return key & np.uint64((1 << 44) - 1), out_off
