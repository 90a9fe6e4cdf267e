"""Readers of sentence-aligned corpora: Tatoeba-style TSV and Moses-style file pairs."""

from __future__ import annotations

import gzip
import io
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass

from xlm_core.io import fs_and_path
from xlm_core.parallel.iso import to_iso1


@dataclass(slots=True)
class Pair:
    """One aligned sentence pair; `l1`/`l2` are dataset language codes (ISO 639-1 where one exists)."""

    l1: str
    l2: str
    text1: str
    text2: str
    source_file: str
    offset: int  # 0-based line number in the source (TSV: data line incl. header)

    @property
    def name(self) -> str:
        return f"{self.l1}-{self.l2}"


def _open_text(uri: str) -> io.TextIOBase:
    fs, path = fs_and_path(uri)
    raw = fs.open(path, "rb")
    if path.endswith(".gz"):
        raw = gzip.GzipFile(fileobj=raw)
    return io.TextIOWrapper(raw, encoding="utf-8", newline="\n")


def read_tsv(uri: str, *, second_language: str = "en") -> Iterator[Pair]:
    """`lang <TAB> text <TAB> english` lines (the Tatoeba/LASER layout); a first line starting with
    `lang<TAB>` is a header. Raises ValueError naming the line on a malformed row."""
    name = os.path.basename(uri)
    with _open_text(uri) as f:
        for i, line in enumerate(f):
            line = line.rstrip("\n").rstrip("\r")
            if i == 0 and line.lower().startswith("lang\t"):
                continue
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                raise ValueError(
                    f"{uri}:{i + 1}: expected 3 tab-separated columns (lang, text, english), got {len(parts)}"
                )
            yield Pair(to_iso1(parts[0]), second_language, parts[1], parts[2], name, i)


def moses_languages(uri1: str, uri2: str) -> tuple[str, str]:
    """Languages from the suffixes of `corpus.de` / `corpus.en` (ISO 639-1 or -3)."""
    stems = [os.path.basename(u).removesuffix(".gz") for u in (uri1, uri2)]
    l1, l2 = (to_iso1(s.rsplit(".", 1)[-1]) if "." in s else "" for s in stems)
    if not l1 or not l2 or l1 == l2:
        raise ValueError(f"cannot tell the languages of {uri1!r} and {uri2!r}: name them corpus.<l1> / corpus.<l2>")
    return l1, l2


def read_moses(uri1: str, uri2: str) -> Iterator[Pair]:
    """Line i of `uri1` and line i of `uri2`; files of different length are an error. English,
    when it is one side, becomes side 2 (pairs are named `xx-en` whatever the file order)."""
    l1, l2 = moses_languages(uri1, uri2)
    swap = l1 == "en"
    name = os.path.basename(uri1).removesuffix(".gz").rsplit(".", 1)[0]
    with _open_text(uri1) as f1, _open_text(uri2) as f2:
        for i, (a, b) in enumerate(itertools.zip_longest(f1, f2)):
            if a is None or b is None:
                raise ValueError(f"{uri1} and {uri2} have different numbers of lines (one ends at line {i})")
            a, b = a.rstrip("\n"), b.rstrip("\n")
            yield Pair(l2, l1, b, a, name, i) if swap else Pair(l1, l2, a, b, name, i)
