"""Batches for one rank: language-sampled MLM rows from the packed streams, TLM rows from parallel
pairs, masked; everything derived from (seed, micro-step, rank) plus per-stream cursors, which are
the only state a checkpoint needs to resume the same data order."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import torch

from xlm_core.model.config import ModelConfig
from xlm_core.train.config import DataConfig, TrainConfig
from xlm_core.train.masking import MaskingConfig, mask_tokens
from xlm_core.train.sampler import LanguageSampler, StreamWalker
from xlm_core.train.tlm import Pair, build_tlm_batch


PAIR_STREAM = 2**31 - 1  # seed component of the pair order (language streams use 0, 1, ...)


class _Slice:
    """Samples [r.start, r.stop) of a dataset, as a sequence (one language of a PackedDataset)."""

    def __init__(self, ds, r: range):
        self.ds, self.r = ds, r

    def __len__(self) -> int:
        return len(self.r)

    def __getitem__(self, i: int) -> np.ndarray:
        return self.ds[self.r.start + i]


def open_mlm_streams(data: DataConfig, seq_len: int, vocab_size: int) -> dict[str, Sequence[np.ndarray]]:
    if isinstance(data.mlm, dict):
        streams = {lang: np.load(path, mmap_mode="r") for lang, path in data.mlm.items()}
        for lang, arr in streams.items():
            if arr.ndim != 2:
                raise ValueError(f"data.mlm[{lang!r}]: expected a (n_samples, seq_len) array, got shape {arr.shape}")
    else:
        from xlm_core.tokenize.dataset import PackedDataset

        ds = PackedDataset(data.mlm, seq_len=seq_len, languages=data.languages, vocab=data.vocab)
        if ds.vocab_size != vocab_size:
            raise ValueError(
                f"data.mlm streams were tokenized with a {ds.vocab_size}-token vocabulary but model.vocab_size={vocab_size}"
            )
        streams = {lang: _Slice(ds, r) for lang, r in ds.language_ranges.items()}
    if data.languages is not None:
        missing = sorted(set(data.languages) - set(streams))
        if missing:
            raise ValueError(f"data.languages {missing} have no stream in data.mlm (it has {sorted(streams)})")
        streams = {k: v for k, v in streams.items() if k in data.languages}
    return streams


def open_pairs(data: DataConfig, vocab_size: int) -> Sequence[Pair] | None:
    if data.tlm is None:
        return None
    if data.tlm.endswith(".jsonl"):
        with open(data.tlm) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        return [(np.asarray(r["ids1"]), np.asarray(r["ids2"]), r["lang1"], r["lang2"]) for r in rows]
    from xlm_core.parallel.dataset import PairDataset

    ds = PairDataset(data.tlm, vocab=data.vocab)
    if ds.vocab_size != vocab_size:
        raise ValueError(f"data.tlm pairs were tokenized with a {ds.vocab_size}-token vocabulary but model.vocab_size={vocab_size}")
    return ds


class RankBatches:
    """`batch(k)`: the k-th micro-batch of this rank, a dict of (micro_batch, seq_len) tensors
    ready for `XLMREncoder.forward`."""

    def __init__(
        self,
        model: ModelConfig,
        train: TrainConfig,
        streams: dict[str, Sequence[np.ndarray]],
        pairs: Sequence[Pair] | None,
        *,
        rank: int,
        world_size: int,
    ):
        if train.tlm_ratio > 0 and pairs is None:
            raise ValueError(f"train.tlm_ratio={train.tlm_ratio} needs parallel data (data.tlm)")
        self.model, self.train, self.rank = model, train, rank
        self.streams, self.pairs = streams, pairs
        self.sampler = LanguageSampler({k: len(v) for k, v in streams.items()}, train.alpha, train.seed)
        self.walkers = {
            lang: StreamWalker(len(streams[lang]), seed=train.seed, stream_index=i, rank=rank, world_size=world_size)
            for i, lang in enumerate(self.sampler.languages)
        }
        self.pair_walker = (
            StreamWalker(len(pairs), seed=train.seed, stream_index=PAIR_STREAM, rank=rank, world_size=world_size)
            if pairs is not None and len(pairs)
            else None
        )
        self.masking = MaskingConfig(
            vocab_size=model.vocab_size,
            special_ids=(model.bos_id, model.pad_id, model.eos_id),
            first_normal_id=model.unk_id + 1,
            mask_prob=train.mask_prob,
        )
        self.lang_index = self._lang_index()

    def _lang_index(self) -> dict[str, int] | None:
        if self.model.num_languages == 0:
            return None
        langs = set(self.streams)
        if self.pairs is not None and hasattr(self.pairs, "pairs"):
            langs |= {x for p in self.pairs.pairs for x in p.split("-")}
        elif self.pairs is not None:
            langs |= {x for p in self.pairs for x in p[2:4]}
        langs = sorted(langs)
        if len(langs) > self.model.num_languages:
            raise ValueError(f"model.num_languages={self.model.num_languages} but the data has {len(langs)} languages: {langs}")
        return {lang: i for i, lang in enumerate(langs)}

    def state(self) -> dict:
        return {
            "cursors": {k: w.cursor for k, w in self.walkers.items()},
            "pair_cursor": self.pair_walker.cursor if self.pair_walker else 0,
        }

    def load_state(self, state: dict) -> None:
        for k, c in state["cursors"].items():
            self.walkers[k].cursor = c
        if self.pair_walker:
            self.pair_walker.cursor = state["pair_cursor"]

    def is_tlm(self, k: int) -> bool:
        if self.train.tlm_ratio == 0:
            return False
        return np.random.default_rng([self.train.seed, 0x71A, k, self.rank]).random() < self.train.tlm_ratio

    def _mlm(self, k: int) -> dict[str, torch.Tensor]:
        n, t, cfg = self.train.micro_batch_size, self.train.seq_len, self.model
        langs = self.sampler.draw(n, micro_step=k, rank=self.rank)
        ids = torch.full((n, t), cfg.pad_id, dtype=torch.long)
        types = torch.zeros((n, t), dtype=torch.long)
        for r, lang in enumerate(langs):
            i = self.walkers[lang].next()
            row = np.asarray(self.streams[lang][i])
            row = row[row != cfg.pad_id] if len(row) > t else row  # a pre-padded sample may be longer only by pads
            if len(row) > t:
                raise ValueError(f"data.mlm[{lang!r}] sample {i} has {len(row)} tokens, more than train.seq_len={t}")
            ids[r, : len(row)] = torch.from_numpy(row.astype(np.int64))
            if self.lang_index is not None:
                types[r] = self.lang_index[lang]
        return {"input_ids": ids, "token_type_ids": types, "attention_mask": ids.ne(cfg.pad_id).long()}

    def _tlm(self) -> dict[str, torch.Tensor]:
        pairs = [self.pairs[self.pair_walker.next()] for _ in range(self.train.micro_batch_size)]
        return build_tlm_batch(pairs, self.train.seq_len, self.model, self.lang_index)

    def batch(self, k: int) -> dict[str, torch.Tensor]:
        tlm = self.is_tlm(k)
        b = self._tlm() if tlm else self._mlm(k)
        ids = b["input_ids"]
        hi, lo = int(ids.max()), int(ids.min())
        if hi >= self.model.vocab_size or lo < 0:
            src = "data.tlm" if tlm else "data.mlm"
            raise ValueError(
                f"{src} holds token id {hi if hi >= self.model.vocab_size else lo} outside model.vocab_size={self.model.vocab_size}: "
                "the streams were made with another vocabulary"
            )
        g = torch.Generator().manual_seed(int(np.random.default_rng([self.train.seed, 0x3A5C, k, self.rank]).integers(2**62)))
        b["input_ids"], b["labels"] = mask_tokens(ids, self.masking, g)
        if not b["attention_mask"].eq(0).any():
            b["attention_mask"] = None  # packed, no padding: lets SDPA use flash attention on CUDA
        return b
