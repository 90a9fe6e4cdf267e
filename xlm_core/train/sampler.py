"""Language sampling with p_l ∝ n_l^α (XLM: α = 0.5 for training, XLM-R: 0.3), and a deterministic
per-language walk over the samples that resumes from saved cursors."""

from __future__ import annotations

import numpy as np


def language_probs(sizes: dict[str, int], alpha: float) -> dict[str, float]:
    """p_l = n_l^α / Σ n_k^α. α = 1: proportional to size; α → 0: uniform."""
    if not sizes:
        raise ValueError("no languages to sample from")
    empty = [k for k, n in sizes.items() if n <= 0]
    if empty:
        raise ValueError(f"language stream(s) {empty} are empty")
    if not 0 <= alpha <= 1:
        raise ValueError(f"train.alpha={alpha} must be within [0, 1]")
    w = {k: float(n) ** alpha for k, n in sizes.items()}
    total = sum(w.values())
    return {k: v / total for k, v in w.items()}


class StreamWalker:
    """Visits every sample of one stream once per epoch, in a seeded order, sharded over ranks:
    rank r reads global positions r, r+W, r+2W, ... of the concatenated epoch permutations.
    Its only state is the cursor, so resuming needs nothing else."""

    def __init__(self, size: int, *, seed: int, stream_index: int, rank: int, world_size: int, cursor: int = 0):
        self.size, self.seed, self.stream_index = size, seed, stream_index
        self.rank, self.world_size, self.cursor = rank, world_size, cursor
        self._epoch, self._perm = -1, np.empty(0, dtype=np.int64)

    def next(self) -> int:
        pos = self.cursor * self.world_size + self.rank
        self.cursor += 1
        epoch, i = divmod(pos, self.size)
        if epoch != self._epoch:
            self._epoch = epoch
            self._perm = np.random.default_rng([self.seed, self.stream_index, epoch]).permutation(self.size)
        return int(self._perm[i])


class LanguageSampler:
    """Which language each row of a batch comes from: a seeded draw per (step, rank)."""

    def __init__(self, sizes: dict[str, int], alpha: float, seed: int):
        probs = language_probs(sizes, alpha)
        self.languages = sorted(probs)
        self.p = np.array([probs[k] for k in self.languages])
        self.seed = seed

    def draw(self, n: int, *, micro_step: int, rank: int) -> list[str]:
        rng = np.random.default_rng([self.seed, 0x1A96, micro_step, rank])
        return [self.languages[i] for i in rng.choice(len(self.languages), size=n, p=self.p)]
