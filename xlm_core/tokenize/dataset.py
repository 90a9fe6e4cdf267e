"""`PackedDataset`: fixed-length MLM samples read in O(1) from the token streams of `xlm vocab`.

Layout read here (written by `xlm_core.tokenize.shard` / `xlm_core.tokenize.manifest`):
  {root}/manifest.json                      vocab sha256, dtype, shards, per-language totals
  {root}/{lang}/part-00000.bin|.idx         one stream per dataset shard (see `stream.py`)
A sample is `<s> doc </s> doc </s> ...` (see `pack.py`), ids in the XLM-R layout of
`xlm_core.vocab.specials`: <s>=0, <pad>=1, </s>=2, <unk>=3, <mask>=vocab_size-1."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from xlm_core.io import fs_and_path, read_json, sha256_file
from xlm_core.tokenize.pack import pack_spans
from xlm_core.tokenize.stream import (
    CorruptStreamError,
    StreamError,
    StreamRecord,
    TokenStream,
    Verify,
    VocabMismatchError,
)
from xlm_core.vocab.specials import BOS_ID, EOS_ID, PAD_ID, UNK_ID

MANIFEST = "manifest.json"
MANIFEST_KIND = "xlm-token-streams"


def model_sha256(vocab: str) -> str:
    """sha256 of a vocabulary given as a sha256 hex string, a SentencePiece `.model` file, or a
    folder holding one (our vocab dir or an exported Hugging Face tokenizer folder)."""
    if len(vocab) == 64 and all(c in "0123456789abcdef" for c in vocab):
        return vocab
    from xlm_core.vocab.model import resolve_model_file  # lazy: sentencepiece is not needed to read streams

    return sha256_file(resolve_model_file(vocab))[0]


def check_vocab(manifest: dict, vocab: str | None, where: str) -> None:
    """Refuse streams tokenized with another vocabulary than `vocab` (None: no check)."""
    if vocab is None:
        return
    want, got = model_sha256(vocab), manifest["vocab"]["sha256"]
    if want != got:
        raise VocabMismatchError(
            f"{where} was tokenized with vocabulary sha256 {got}, not with {vocab!r} (sha256 {want}): "
            "re-run `xlm vocab` with this vocabulary or load the matching one"
        )


def load_stream_manifest(root: str, kind: str, what: str, vocab: str | None, hint: str = "") -> tuple[str, dict]:
    """(local root path, manifest) of a token-stream folder: the manifest must exist, be of
    `kind` and (if `vocab` is given) have been made with that vocabulary."""
    _, root_path = fs_and_path(root)
    manifest_path = os.path.join(root_path, MANIFEST)
    if not os.path.isfile(manifest_path):
        raise FileNotFoundError(f"no {what} manifest at {manifest_path}{hint}")
    manifest = read_json(manifest_path)
    if manifest.get("kind") != kind:
        raise StreamError(f"{manifest_path} is not a {what} manifest")
    check_vocab(manifest, vocab, root)
    return root_path, manifest


class PackedDataset:
    """Packed samples of every (or the chosen) language, ordered language by language, then
    shard by shard. `ds[i]` -> (L,) int64 with L <= seq_len, `ds[i][0] == bos_id`;
    `pad=True` pads every sample to exactly seq_len with `pad_id`.

    For ∝ n^α language sampling, `language_ranges[lang]` gives the sample indices of a language
    and `language_probs(alpha)` the probabilities from its token counts."""

    def __init__(
        self,
        root: str,
        *,
        seq_len: int | None = None,
        languages: Sequence[str] | None = None,
        vocab: str | None = None,
        verify: Verify = "size",
        pad: bool = False,
    ):
        """`seq_len`: tokens per sample, <s> included (default: the manifest's, set by `tokenize.seq_len`, else 512).
        `vocab`: the vocabulary the caller will use (sha256, `.model` file, or tokenizer folder);
        loading refuses streams made with another one. `verify="sha256"` re-hashes every file."""
        root_path, self.manifest = load_stream_manifest(root, MANIFEST_KIND, "token stream", vocab,
                                                        " (run `xlm vocab`)")
        self.root = root_path
        self.seq_len: int = seq_len or self.manifest.get("seq_len", 512)
        self.pad = pad
        self.vocab_size: int = self.manifest["vocab"]["vocab_size"]
        self.bos_id, self.pad_id, self.eos_id, self.unk_id = BOS_ID, PAD_ID, EOS_ID, UNK_ID
        self.mask_id = self.vocab_size - 1
        dtype = np.dtype(self.manifest["dtype"])

        available = sorted(self.manifest["languages"])
        wanted = list(languages) if languages is not None else available
        unknown = sorted(set(wanted) - set(available))
        if unknown:
            raise ValueError(f"languages {unknown} are not in {os.path.join(root_path, MANIFEST)} (it has {available})")
        self.languages: tuple[str, ...] = tuple(wanted)

        self._streams: list[TokenStream] = []
        self._spans: list[np.ndarray] = []  # per stream: (n_samples, 2) token spans
        counts = [0]
        self.language_ranges: dict[str, range] = {}
        self.language_tokens: dict[str, int] = {}
        for lang in self.languages:
            first = sum(counts)
            shards = sorted(
                (s for s in self.manifest["shards"] if s["language"] == lang), key=lambda s: s["stream"]["bin"]
            )
            for shard in shards:
                stream = TokenStream(root_path, StreamRecord.from_json(shard["stream"]), dtype, verify=verify)
                self._spans.append(self._load_spans(shard, stream, verify))
                self._streams.append(stream)
                counts.append(len(self._spans[-1]))
            self.language_ranges[lang] = range(first, sum(counts))
            self.language_tokens[lang] = int(self.manifest["languages"][lang]["tokens"])
        self._starts = np.cumsum(counts, dtype=np.int64)  # (n_streams + 1,): first sample of each stream

    def _load_spans(self, shard: dict, stream: TokenStream, verify: Verify) -> np.ndarray:
        """The spans cached by the tokenize step when they were made for this seq_len, else computed."""
        pack = shard.get("pack")
        if not pack or pack["seq_len"] != self.seq_len:
            return pack_spans(stream.offsets, self.seq_len)
        path = os.path.join(self.root, pack["path"])
        size = os.path.getsize(path) if os.path.isfile(path) else -1
        if size != pack["bytes"] or size != pack["samples"] * 16:
            raise CorruptStreamError(f"pack file {path} has {size} bytes, the manifest recorded {pack['bytes']}")
        if verify == "sha256" and sha256_file(path)[0] != pack["sha256"]:
            raise CorruptStreamError(f"pack file {path} differs from the manifest (sha256)")
        if not pack["samples"]:
            return np.zeros((0, 2), dtype=np.int64)
        return np.memmap(path, dtype="<i8", mode="r", shape=(pack["samples"], 2))

    def __len__(self) -> int:
        return int(self._starts[-1])

    def __getitem__(self, i: int) -> np.ndarray:
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"sample {i} out of range ({len(self)} samples)")
        k = int(np.searchsorted(self._starts, i, side="right")) - 1  # the stream holding sample i
        start, end = (int(x) for x in self._spans[k][i - self._starts[k]])
        body = self._streams[k].tokens[start:end]
        out = np.full(self.seq_len if self.pad else end - start + 1, self.pad_id, dtype=np.int64)
        out[0] = self.bos_id
        out[1 : end - start + 1] = body
        return out

    def language_of(self, i: int) -> str:
        for lang, r in self.language_ranges.items():
            if i in r:
                return lang
        raise IndexError(f"sample {i} out of range ({len(self)} samples)")

    def language_probs(self, alpha: float) -> dict[str, float]:
        """p_l ∝ n_l^α over the loaded languages, n_l = tokens of language l."""
        n = np.array([self.language_tokens[lang] for lang in self.languages], dtype=np.float64)
        q = (n / n.sum()) ** alpha
        return dict(zip(self.languages, (q / q.sum()).tolist()))

    def collate(self, samples: Sequence[np.ndarray]) -> np.ndarray:
        """Right-pad samples with `pad_id` to (batch, max length)."""
        out = np.full((len(samples), max(len(s) for s in samples)), self.pad_id, dtype=np.int64)
        for row, s in zip(out, samples):
            row[: len(s)] = s
        return out
