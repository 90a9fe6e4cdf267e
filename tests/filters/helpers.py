"""Documents for the filter tests."""

from __future__ import annotations

import random

from xlm_core.document import Document

_WORDS = ("river mountain people history village music language school family garden "
          "winter summer market museum bridge station library forest island harbour "
          "the of and to in is was for on with as by at from that which").split()


def doc(text: str, language: str = "en", source: str = "commoncrawl") -> Document:
    return Document(id=str(hash(text)), text=text, source=source, source_file="unit.warc.gz",
                    language=language)


def prose(n_words: int, seed: int = 0, per_line: int = 12) -> str:
    """Plausible text: varied words, short lines ending with a full stop."""
    rng = random.Random(seed)
    words = [rng.choice(_WORDS) for _ in range(n_words)]
    lines = [" ".join(words[i:i + per_line]) + "." for i in range(0, n_words, per_line)]
    return "\n".join(lines)
