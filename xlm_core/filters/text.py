"""A batch of documents as flat arrays: every text's code points in one array, and words, lines
and paragraphs as (start, end) code point offsets into it, with per-document bounds. The rules
then reduce over segments with numpy instead of looping over Python strings.

Tokenisation is that of the per-document definitions the rules were written against:
words are `text.split()` (Python's whitespace), or for languages written without spaces every
char that is not a space and whose Unicode category is L*, N* or M* (a zh/ja/th "word" is one
letter or digit, so one config shape serves every script); lines are the non-blank pieces of
`text.strip()` split on runs of "\\n"; paragraphs those split on runs of two or more "\\n".
Character classes come from Python's own `str.isspace`, `str.isalpha` and `unicodedata`, one
table lookup per code point, so they agree with those definitions for every code point."""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Scripts without word separators; the spec may extend this per language (`length_unit: chars`).
CHAR_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo"})

SPACE, ALPHA, CHAR_WORD = 1, 2, 4  # bits of char_classes()
_NEWLINE = 10

_table = np.zeros(0, np.uint8)  # code point -> class bits, grown on demand
_table_lock = threading.Lock()


def _classes(lo: int, hi: int) -> np.ndarray:
    chars = list(map(chr, range(lo, hi)))
    space = np.fromiter(map(str.isspace, chars), bool, hi - lo)
    alpha = np.fromiter(map(str.isalpha, chars), bool, hi - lo)
    lnm = np.fromiter((unicodedata.category(c)[0] in "LNM" for c in chars), bool, hi - lo)
    return (space * SPACE | alpha * ALPHA | (lnm & ~space) * CHAR_WORD).astype(np.uint8)


def class_table(top: int) -> np.ndarray:
    """Class bits of code points [0, top) at least. Built lazily, a plane at a time past the
    common scripts (~30 ms for the BMP), since a Python predicate per code point is slow."""
    global _table
    table = _table
    if top <= len(table):
        return table
    with _table_lock:
        if top > len(_table):
            size = 0x3400 if top <= 0x3400 else min(0x110000, -(-top // 0x10000) * 0x10000)
            _table = np.concatenate([_table, _classes(len(_table), size)])
        return _table


def char_classes(cps: np.ndarray) -> np.ndarray:
    """(chars,) uint8 class bits of code points `cps`."""
    if len(cps) == 0:
        return np.zeros(0, np.uint8)
    return class_table(int(cps.max()) + 1)[cps]


@dataclass(frozen=True, slots=True)
class Segments:
    """Pieces of the flat text: piece i is code points [start[i], end[i]); the pieces of
    document d are [bounds[d], bounds[d + 1]). Sorted and disjoint."""

    start: np.ndarray  # (S,) int64
    end: np.ndarray  # (S,) int64
    bounds: np.ndarray  # (D + 1,) int64

    @property
    def counts(self) -> np.ndarray:  # (D,)
        return np.diff(self.bounds)

    @property
    def doc(self) -> np.ndarray:  # (S,) document of each piece
        return np.repeat(np.arange(len(self.bounds) - 1), self.counts)

    @property
    def lengths(self) -> np.ndarray:  # (S,) code points
        return self.end - self.start


class FlatText:
    """`texts` joined by "\\n" (a space and a line break, so no word or line spans two
    documents) as one code point array; segments are computed when first asked for."""

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.n_docs = len(texts)
        # UTF-32: code point i is bytes [4i, 4i + 4), so segments slice the buffer directly.
        # surrogatepass: a lone surrogate (undecodable input) is a code point like any other.
        self.buf = "\n".join(texts).encode("utf-32-le", "surrogatepass")
        self.cps = np.frombuffer(self.buf, np.uint32)  # (C,)
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        self.doc_start = np.zeros(len(texts) + 1, np.int64)  # (D + 1,); sentinel C + 1
        np.cumsum(lengths + 1, out=self.doc_start[1:])
        self.lengths = lengths

    @cached_property
    def classes(self) -> np.ndarray:  # (C,) uint8
        return char_classes(self.cps)

    def _bounds(self, start: np.ndarray) -> np.ndarray:
        return np.searchsorted(start, self.doc_start)

    @cached_property
    def tokens(self) -> Segments:
        """Maximal runs of non-space code points: the words of `str.split()`."""
        nonspace = np.zeros(len(self.cps) + 2, bool)  # padded: a run at either end has 2 edges
        np.equal(self.classes & SPACE, 0, out=nonspace[1:-1])
        edges = np.flatnonzero(nonspace[1:] != nonspace[:-1])
        start, end = edges[0::2], edges[1::2]
        return Segments(start, end, self._bounds(start))

    def words(self, char_based: bool) -> Segments:
        if not char_based:
            return self.tokens
        pos = np.flatnonzero(self.classes & CHAR_WORD)
        return Segments(pos, pos + 1, self._bounds(pos))

    @cached_property
    def region(self) -> tuple[np.ndarray, np.ndarray]:
        """(D,) start and end of each `text.strip()` in the flat text (blank text: empty)."""
        tok = self.tokens
        has = tok.counts > 0
        start = self.doc_start[:-1].copy()
        end = start.copy()
        start[has] = tok.start[tok.bounds[:-1][has]]
        end[has] = tok.end[tok.bounds[1:][has] - 1]
        return start, end

    def _non_blank(self, start: np.ndarray, end: np.ndarray) -> Segments:
        """Pieces [start, end) that hold a non-space code point, cut to their document's
        stripped text (only the first and last piece of a document change)."""
        tok = self.tokens
        i = np.searchsorted(tok.start, start)
        keep = np.zeros(len(start), bool)
        inside = i < len(tok.start)
        keep[inside] = tok.start[i[inside]] < end[inside]
        start, end = start[keep], end[keep]
        doc = np.searchsorted(self.doc_start, start, side="right") - 1
        rs, re_ = self.region
        start = np.maximum(start, rs[doc])
        end = np.minimum(end, re_[doc])
        return Segments(start, end, self._bounds(start))

    @cached_property
    def newlines(self) -> np.ndarray:  # (L,) positions of "\n", document separators included
        return np.flatnonzero(self.cps == _NEWLINE)

    @cached_property
    def raw_lines(self) -> Segments:
        """Every `text.split("\\n")` piece, blank ones included."""
        nl = self.newlines
        start = np.concatenate([[0], nl + 1])
        end = np.concatenate([nl, [len(self.cps)]])
        return Segments(start, end, self._bounds(start))

    @cached_property
    def lines(self) -> Segments:
        raw = self.raw_lines
        return self._non_blank(raw.start, raw.end)

    @cached_property
    def paragraphs(self) -> Segments:
        nl = self.newlines
        # A paragraph break is a run of 2+ newlines; a document separator always breaks.
        cut = np.zeros(len(nl), bool)
        adjacent = np.diff(nl) == 1
        cut[:-1] |= adjacent
        cut[1:] |= adjacent
        cut[np.searchsorted(nl, self.doc_start[1:-1] - 1)] = True
        at = nl[cut]
        start = np.concatenate([[0], at + 1])
        end = np.concatenate([at, [len(self.cps)]])
        nonempty = start < end
        return self._non_blank(start[nonempty], end[nonempty])

    def first_nonspace(self, seg: Segments) -> np.ndarray:
        """(S,) position of the first non-space code point of each (non-blank) piece."""
        return self.tokens.start[np.searchsorted(self.tokens.start, seg.start)]

    def last_nonspace(self, seg: Segments) -> np.ndarray:
        """(S,) position of the last non-space code point of each (non-blank) piece."""
        return self.tokens.end[np.searchsorted(self.tokens.end, seg.end, side="right") - 1] - 1

    @cached_property
    def _narrow(self) -> tuple[np.ndarray, int]:
        """The code points in the narrowest width (1, 2 or 4 bytes) that holds them all: one to
        one, so equal slices are equal strings, and there are fewer bytes to hash."""
        top = int(self.cps.max()) if len(self.cps) else 0
        for dtype in (np.uint8, np.uint16):
            if top <= np.iinfo(dtype).max:
                return self.cps.astype(dtype), np.dtype(dtype).itemsize
        return self.cps, 4

    def pieces(self, seg: Segments) -> pa.Array:
        """The pieces as an Arrow binary array (their code points, `_narrow` wide)."""
        if len(seg.start) == 0:
            return pa.array([], pa.binary())
        data, width = self._narrow
        # Interleaved offsets [s0, e0, s1, e1, ...]: element 2i is piece i, 2i+1 the gap after
        # it; `take` then copies the pieces alone into a compact array.
        offsets = np.empty(2 * len(seg.start), np.int64)
        offsets[0::2] = seg.start * width
        offsets[1::2] = seg.end * width
        kind, otype = (pa.binary(), np.int32) if data.nbytes < 2**31 else (pa.large_binary(), np.int64)
        arr = pa.Array.from_buffers(kind, len(offsets) - 1,
                                    [None, pa.py_buffer(offsets.astype(otype)), pa.py_buffer(data)])
        return arr.take(pa.array(np.arange(0, len(arr), 2)))

    def keys(self, seg: Segments) -> np.ndarray:
        """(S,) int64 over the whole batch: equal keys <=> equal strings."""
        if len(seg.start) == 0:
            return np.zeros(0, np.int64)
        return pc.dictionary_encode(self.pieces(seg)).indices.to_numpy().astype(np.int64)

    def first_seen(self, seg: Segments) -> tuple[np.ndarray, np.ndarray]:
        """Per-document first-occurrence numbering of the pieces' strings, see first_seen()."""
        return first_seen(self.pieces(seg), seg.bounds)

    def repeats(self, seg: Segments) -> np.ndarray:
        """(S,) bool: the piece equals an earlier piece of its document."""
        out = np.zeros(len(seg.start), bool)
        if len(seg.start) < 2:
            return out
        # Only pieces whose (document, length, first code point) is shared can repeat; lines
        # and paragraphs rarely share it, so few are hashed.
        sig = ((seg.doc.astype(np.uint64) << np.uint64(40)) ^ (seg.lengths.astype(np.uint64) << np.uint64(21))
               ^ self.cps[seg.start].astype(np.uint64))
        _, inverse, counts = np.unique(sig, return_inverse=True, return_counts=True)
        cand = np.flatnonzero(counts[inverse] > 1)
        if len(cand):
            sub = Segments(seg.start[cand], seg.end[cand], np.searchsorted(cand, seg.bounds))
            out[cand] = ~self.first_seen(sub)[1]
        return out

    def strings(self, seg: Segments, index: np.ndarray) -> list[str]:
        """Python strings of pieces `index`."""
        return [self.buf[4 * s:4 * e].decode("utf-32-le", "surrogatepass")
                for s, e in zip(seg.start[index].tolist(), seg.end[index].tolist())]


def per_doc(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """(D,) int64 sums of `values` (S,) (ints or bools) over each document's pieces."""
    cum = np.zeros(len(values) + 1, np.int64)
    np.cumsum(values, out=cum[1:])
    return cum[bounds[1:]] - cum[bounds[:-1]]


def first_seen(values: pa.Array, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-document first-occurrence numbering of `values` (S,) (documents: `bounds` (D + 1,)):
    (ids (S,) int64, is_first (S,) bool), ids counting 0, 1, 2, ... in order of first
    occurrence within the document, as `ids.setdefault(value, len(ids))` over its pieces.

    One Arrow dictionary_encode per document: it numbers by first occurrence, exactly, and a
    document's table is small enough to stay in cache (~2x faster than one table for all)."""
    ids = np.zeros(len(values), np.int64)
    distinct = np.zeros(len(bounds) - 1, np.int64)
    b = bounds.tolist()
    for d in range(len(b) - 1):
        if b[d + 1] > b[d]:
            enc = pc.dictionary_encode(values.slice(b[d], b[d + 1] - b[d]))
            ids[b[d]:b[d + 1]] = enc.indices.to_numpy()
            distinct[d] = len(enc.dictionary)
    # Numbered on from the documents before, first occurrences are where the ids rise.
    v = ids + np.repeat(np.cumsum(distinct) - distinct, np.diff(bounds))
    is_first = np.ones(len(v), bool)
    if len(v) > 1:
        is_first[1:] = v[1:] > np.maximum.accumulate(v)[:-1]
    return ids, is_first
