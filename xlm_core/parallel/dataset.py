"""`PairDataset`: tokenized sentence pairs for TLM, read in O(1) from token streams.

Layout read here (written by `xlm_core.parallel.tokenize`):
  {root}/manifest.json                 vocab sha256, dtype, one entry per language pair
  {root}/{l1}-{l2}/{l1}.bin|.idx       side 1, one "document" per sentence, no special tokens
  {root}/{l1}-{l2}/{l2}.bin|.idx       side 2, aligned: document i of both streams is pair i
Ids use the XLM-R layout of `xlm_core.vocab.specials`."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from xlm_core.tokenize.dataset import load_stream_manifest
from xlm_core.tokenize.stream import CorruptStreamError, StreamRecord, TokenStream, Verify
from xlm_core.vocab.specials import BOS_ID, EOS_ID, PAD_ID, UNK_ID

MANIFEST = "manifest.json"
MANIFEST_KIND = "xlm-parallel-token-streams"


class PairDataset:
    """All pairs of every (or the chosen) language pair, pair by pair in manifest order.

    `ds[i]` -> (ids_l1, ids_l2, lang1, lang2): int64 ids without special tokens and the two
    ISO 639-1 codes. `tlm_example(i)` builds the model input the XLM-R way."""

    def __init__(
        self,
        root: str,
        *,
        pairs: Sequence[str] | None = None,
        vocab: str | None = None,
        verify: Verify = "size",
    ):
        """`pairs`: names like "de-en" (default: all). `vocab`: refuse streams made with another
        vocabulary (sha256, `.model` file or tokenizer folder)."""
        root_path, self.manifest = load_stream_manifest(root, MANIFEST_KIND, "parallel token stream", vocab)
        self.vocab_size: int = self.manifest["vocab"]["vocab_size"]
        self.bos_id, self.pad_id, self.eos_id, self.unk_id = BOS_ID, PAD_ID, EOS_ID, UNK_ID
        self.mask_id = self.vocab_size - 1
        dtype = np.dtype(self.manifest["dtype"])

        entries = {e["pair"]: e for e in self.manifest["pairs"]}
        wanted = list(pairs) if pairs is not None else list(entries)
        unknown = sorted(set(wanted) - set(entries))
        if unknown:
            raise ValueError(f"language pairs {unknown} are not in {os.path.join(root_path, MANIFEST)} (it has {sorted(entries)})")
        self.pairs: tuple[str, ...] = tuple(wanted)
        self._sides: list[tuple[TokenStream, TokenStream, str, str]] = []
        self.pair_ranges: dict[str, range] = {}
        starts = [0]
        for name in self.pairs:
            e = entries[name]
            l1, l2 = e["l1"], e["l2"]
            pair_dir = os.path.join(root_path, name)
            s1 = TokenStream(pair_dir, StreamRecord.from_json(e["streams"][l1]), dtype, verify=verify)
            s2 = TokenStream(pair_dir, StreamRecord.from_json(e["streams"][l2]), dtype, verify=verify)
            if len(s1) != len(s2):
                raise CorruptStreamError(f"{pair_dir}: {len(s1)} {l1} sentences but {len(s2)} {l2} sentences")
            self._sides.append((s1, s2, l1, l2))
            self.pair_ranges[name] = range(starts[-1], starts[-1] + len(s1))
            starts.append(starts[-1] + len(s1))
        self._starts = np.asarray(starts, dtype=np.int64)  # (n_pairs_kinds + 1,)

    def __len__(self) -> int:
        return int(self._starts[-1])

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray, str, str]:
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"pair {i} out of range ({len(self)} pairs)")
        k = int(np.searchsorted(self._starts, i, side="right")) - 1
        s1, s2, l1, l2 = self._sides[k]
        j = i - int(self._starts[k])
        return np.array(s1.document(j), dtype=np.int64), np.array(s2.document(j), dtype=np.int64), l1, l2

    def tlm_example(self, i: int, max_len: int = 512) -> tuple[np.ndarray, np.ndarray, str, str]:
        """(ids, segment, lang1, lang2): `<s> a </s> </s> b </s>` as XLM-R joins a pair, and
        `segment` (same shape) 0 over the l1 part, 1 over the l2 part (for language embeddings
        and TLM position resets). Each side is cut to fit `max_len` (longest side first)."""
        a, b, l1, l2 = self[i]
        room = max_len - 4
        if room < 2:
            raise ValueError(f"max_len must be >= 6 for a TLM pair, got {max_len}")
        if len(a) + len(b) > room:  # keep the shorter side whole when it fits in half the room
            half = room // 2
            if len(a) <= half:
                b = b[: room - len(a)]
            elif len(b) <= half:
                a = a[: room - len(b)]
            else:
                a, b = a[:half], b[: room - half]
        ids = np.concatenate([[self.bos_id], a, [self.eos_id, self.eos_id], b, [self.eos_id]]).astype(np.int64)
        segment = np.zeros(len(ids), dtype=np.int64)
        segment[len(a) + 2 :] = 1
        return ids, segment, l1, l2
