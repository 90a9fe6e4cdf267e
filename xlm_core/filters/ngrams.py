"""Word n-grams of a batch of documents, for the Gopher repetition rules: per document, the
characters covered by its most frequent n-gram and by its repeated n-grams.

An n-gram is the 64-bit `combine` hash of its words' ids (ids numbered by first occurrence in
the document), exactly as the per-document rules hashed it, so the same n-grams count as equal
(hash collisions included) and ties break the same way. The words of all documents lie in one
flat array and a window is named by the position of its first word; windows that would cross
a document boundary are left out. Instead of one `np.unique` per document and n, one pass over
all windows finds the few that can repeat, and one small sort groups those."""

from __future__ import annotations

import numpy as np

from ..dedup.hashing import _M1, _M2

_MAX = np.iinfo(np.uint64).max
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_SALT = np.uint64(0x9E3779B97F4A7C15)
_CHUNK = 1 << 15  # windows per bucket count: <= 2^16 counts (512 kB) stay in L2


def _mix64(x: np.ndarray) -> np.ndarray:
    """dedup.hashing.mix64 in place (no temporaries on arrays of millions)."""
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


class NGrams:
    """`ids` (N,) word ids, `bounds` (D + 1,) word range of each document, `lens` (N,) word
    lengths in characters."""

    # Low hash bits dropped from the sort key; raised by the tests to force the collision path.
    min_dropped_bits = 0

    def __init__(self, ids: np.ndarray, bounds: np.ndarray, lens: np.ndarray):
        n_words = len(ids)
        self.ids = ids.astype(np.uint64)
        self.lens = lens
        self.bounds = bounds
        self.n_docs = len(bounds) - 1
        self.cum = np.zeros(n_words + 1, np.int64)  # (N + 1,) characters before word i
        np.cumsum(lens, out=self.cum[1:])
        self.doc = np.repeat(np.arange(self.n_docs, dtype=np.int32), np.diff(bounds))  # (N,)
        self.room = bounds[1:][self.doc] - np.arange(n_words)  # (N,) words from i to its doc's end
        # (N,) low 32 bits of a per-document salt: keeps documents of a chunk apart in buckets
        self.salt32 = (self.doc.astype(np.uint64) * _SALT).view(np.uint32)[0::2].copy()
        self._acc = np.zeros(n_words + 1, np.uint64)
        self._k = 0

    def restrict(self, keep: np.ndarray) -> NGrams:
        """The n-grams of documents `keep` (D,) bool only (renumbered), with the columns folded
        so far: documents an earlier rule dropped cost nothing in the later ones."""
        words = np.repeat(keep, np.diff(self.bounds))
        bounds = np.zeros(int(keep.sum()) + 1, np.int64)
        np.cumsum(np.diff(self.bounds)[keep], out=bounds[1:])
        out = NGrams(self.ids[words], bounds, self.lens[words])
        # Accumulator i belongs to the window at word i; windows past a kept document's end
        # are never read, so those past the old array's end may hold anything.
        pos = np.flatnonzero(words)[:max(len(out.ids) - self._k + 1, 0)]  # N - k + 1 windows
        inside = pos < len(self._acc)
        out._acc = np.zeros(len(pos), np.uint64)
        out._acc[inside] = self._acc[pos[inside]]
        out._k = self._k
        return out

    @property
    def totals(self) -> np.ndarray:  # (D,) characters in words per document
        return self.cum[self.bounds[1:]] - self.cum[self.bounds[:-1]]

    def _state(self, n: int) -> np.ndarray:
        """(N - n + 1,) `combine`'s accumulator after n words from each position; the n-gram
        hash is mix64 of it, a bijection, so equal accumulators <=> equal hashes. One column
        is folded in per n (the state after k columns holds N - k + 1 windows), so n-grams
        extend (n - 1)-grams instead of starting over."""
        if n < self._k:
            self._acc, self._k = np.zeros(len(self.ids) + 1, np.uint64), 0
        while self._k < n:
            acc = self._acc[:len(self.ids) - self._k]
            acc ^= self.ids[self._k:]
            _mix64(acc)
            acc += _M1
            self._acc = acc
            self._k += 1
        return self._acc

    def _candidates(self, acc: np.ndarray) -> np.ndarray:
        """Windows that may repeat: those whose (document, low bits of acc) bucket holds 2+
        windows, an exact necessary condition that leaves the sort a few percent of them.
        Counted a chunk of whole documents at a time, so the counts stay in cache."""
        m = len(acc)
        # Chunk edges: the first document start at or after every CHUNK windows.
        edges = np.unique(np.concatenate([[0], np.minimum(self.bounds[np.searchsorted(
            self.bounds, np.arange(_CHUNK, m, _CHUNK))], m), [m]]))
        lo = acc.view(np.uint32)[0::2] ^ self.salt32[:m]  # low 32 bits (little-endian)
        out = []
        for a, b in zip(edges[:-1].tolist(), edges[1:].tolist()):
            bits = (b - a).bit_length() + 1  # at least twice the windows
            bucket = (lo[a:b] & np.uint32((1 << bits) - 1)).astype(np.intp)
            out.append(np.flatnonzero(np.bincount(bucket, minlength=1 << bits)[bucket] > 1) + a)
        return np.concatenate(out) if out else np.zeros(0, np.int64)

    def _group(self, n: int, acc: np.ndarray):
        """Repeated n-grams: (heads (G,) first occurrence of each n-gram seen 2+ times in its
        document, sizes (G,) its count, repeats (R,) the later occurrences, messy: documents
        whose n-grams the sort could not group), windows named by their first word."""
        cand = self._candidates(acc)
        cand = cand[self.room[cand] >= n]  # windows inside their document
        # Sort key: high bits over the candidate's rank. Within equal high bits windows stay in
        # rank order, i.e. position order: document order, and first occurrence first.
        c = len(cand)
        k = int(max(c - 1, 1)).bit_length()
        drop = max(k, self.min_dropped_bits)
        value, doc = acc[cand], self.doc[cand]
        key = ((value >> np.uint64(drop)) << np.uint64(k)) | np.arange(c, dtype=np.uint64)
        key.sort()
        rank = (key & np.uint64((1 << k) - 1)).astype(np.intp)
        order, value, doc = cand[rank], value[rank], doc[rank]
        same_doc = doc[1:] == doc[:-1]
        same = same_doc & (value[1:] == value[:-1])
        # Equal high bits, different values, same document: adjacency no longer groups that
        # document's n-grams (probability ~ c^2 / 2^(64 - k) per batch); it is redone exactly.
        hi = key >> np.uint64(k)
        messy = np.unique(doc[1:][same_doc & ~same & (hi[1:] == hi[:-1])])
        link = np.zeros(c, bool)  # sorted window repeats the one before it
        link[1:] = same
        heads = np.flatnonzero(~link[:-1] & link[1:])
        tails = np.flatnonzero(link & np.append(~link[1:], True))
        return order[heads], tails - heads + 1, order[link], messy

    def _windows(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(D,) windows per document and (D,) bool: the document has one."""
        counts = np.maximum(np.diff(self.bounds) - n + 1, 0)
        return counts, counts > 0

    def top_chars(self, n: int) -> np.ndarray:
        """(D,) count x characters of each document's most frequent n-gram (ties: the smallest
        hash, as np.unique + argmax; its first occurrence's characters); 0 without n words."""
        out = np.zeros(self.n_docs, np.int64)
        counts, has = self._windows(n)
        if not has.any():
            return out
        acc = self._state(n)
        heads, sizes, _, messy = self._group(n, acc)
        h = _mix64(acc.copy())  # (M,) the n-gram hashes, for ties
        h[self.room[:len(h)] < n] = _MAX  # windows crossing a document end never win
        best_count = has.astype(np.int64)
        best = np.full(self.n_docs, -1, np.int64)  # first word of the chosen n-gram
        if len(heads):
            head_doc = self.doc[heads]
            np.maximum.at(best_count, head_doc, sizes)
            top = sizes == best_count[head_doc]
            min_hash = np.full(self.n_docs, _MAX, np.uint64)
            np.minimum.at(min_hash, head_doc[top], h[heads[top]])
            chosen = top & (h[heads] == min_hash[head_doc])
            best[head_doc[chosen]] = heads[chosen]
        # Documents whose n-grams are all distinct: the window with the smallest hash.
        starts = self.bounds[:-1][has]
        min_hash = np.minimum.reduceat(h, starts)
        hits = np.flatnonzero(h[starts[0]:] == np.repeat(min_hash, np.diff(np.append(starts, len(h))))) + starts[0]
        hits = hits[(best_count[self.doc[hits]] == 1) & (self.room[hits] >= n)]
        best[self.doc[hits]] = hits
        docs = np.flatnonzero(best >= 0)
        p = best[docs]
        out[docs] = best_count[docs] * (self.cum[p + n] - self.cum[p])
        for d in messy.tolist():
            out[d] = self._exact_top(h[self.bounds[d]:self.bounds[d] + counts[d]], self.bounds[d], n)
        return out

    def dup_chars(self, n: int) -> np.ndarray:
        """(D,) characters of the words inside any repeat (not the first occurrence) of an
        n-gram, each word counted once."""
        out = np.zeros(self.n_docs, np.int64)
        counts, has = self._windows(n)
        if not has.any():
            return out
        acc = self._state(n)
        _, _, repeats, messy = self._group(n, acc)
        starts = np.sort(repeats)  # (R,)
        if len(starts):
            # Union of the equal-length spans [s, s + n): each adds what lies before the next.
            ends = np.minimum(starts + n, np.append(starts[1:], np.iinfo(np.int64).max))
            chars = np.bincount(self.doc[starts], weights=self.cum[ends] - self.cum[starts],
                                minlength=self.n_docs)
            out[:] = chars.astype(np.int64)
        for d in messy.tolist():
            out[d] = self._exact_dup(acc[self.bounds[d]:self.bounds[d] + counts[d]], self.bounds[d], n)
        return out

    # The per-document definitions, for the rare documents the sort could not group.
    def _exact_top(self, g: np.ndarray, base: int, n: int) -> int:
        _, first, counts = np.unique(g, return_index=True, return_counts=True)
        best = int(np.argmax(counts))
        pos = base + int(first[best])
        return int(counts[best]) * int(self.cum[pos + n] - self.cum[pos])

    def _exact_dup(self, g: np.ndarray, base: int, n: int) -> int:
        _, first, inverse = np.unique(g, return_index=True, return_inverse=True)
        starts = np.flatnonzero(np.arange(len(g)) != first[inverse])
        size = len(g) + n - 1  # the document's words
        depth = np.cumsum(np.bincount(starts, minlength=size + 1) - np.bincount(starts + n, minlength=size + 1))
        covered = np.flatnonzero(depth[:size] > 0) + base
        return int((self.cum[covered + 1] - self.cum[covered]).sum())
