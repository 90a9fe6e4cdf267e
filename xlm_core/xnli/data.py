"""NLI data readers: XNLI dev/test, MultiNLI, XNLI-MT (translate-train) and SICK.

Every reader selects columns by header name, reads TSV with `csv.QUOTE_NONE` (XNLI and MultiNLI
contain unbalanced quotes), accepts plain or compressed files by extension and any fsspec URI, and
maps labels once through `label_id`, so an unknown label fails with the file and line number.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import fsspec

log = logging.getLogger(__name__)

LABELS = ("entailment", "neutral", "contradiction")
"""Class index -> name; the order of the XNLI/MultiNLI datasets and of the classifier head."""

# XNLI-MT writes "contradictory"; SICK writes upper case (handled by lower()).
_LABEL_IDS = {"entailment": 0, "neutral": 1, "contradiction": 2, "contradictory": 2}

XNLI_LANGUAGES = ("en", "fr", "es", "de", "el", "bg", "ru", "tr", "ar", "vi", "th", "zh", "hi", "sw", "ur")
"""The 15 XNLI languages in the column order of the XNLI and XLM-R papers."""

# MultiNLI marks pairs without annotator consensus with "-"; they are not training data.
_NO_CONSENSUS = "-"

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True, slots=True)
class NliPair:
    premise: str
    hypothesis: str
    label: int
    """Index into LABELS."""
    language: str
    pair_id: str
    """pairID where the file has one, else the row's position within its language; equal ids in
    two XNLI languages are translations of each other."""


@dataclass(frozen=True, slots=True)
class NliFile:
    """One training file, read."""

    uri: str
    kind: str
    """`multinli`, `xnli-mt`, `sick` or `xnli`."""
    pairs: tuple[NliPair, ...]
    skipped: int = 0
    """Rows without a gold label (MultiNLI "-")."""


def label_id(raw: str, uri: str, line: int) -> int:
    try:
        return _LABEL_IDS[raw.strip().lower()]
    except KeyError:
        raise ValueError(
            f"{uri}:{line}: unknown label {raw!r} (expected one of {', '.join(LABELS)})"
        ) from None


def _open_text(uri: str):
    return fsspec.open(uri, "rt", compression="infer", encoding="utf-8", newline="")


def _tsv(uri: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: value}) for each data row of a headed TSV file."""
    with _open_text(uri) as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{uri}: empty file, expected a header with {', '.join(required)}")
        header = [h.strip() for h in header]
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(
                f"{uri}:1: header lacks column(s) {', '.join(missing)}; it has {', '.join(header)}"
            )
        index = {name: header.index(name) for name in header}
        for fields in reader:
            if not fields or fields == [""]:
                continue
            if len(fields) < len(header):
                raise ValueError(
                    f"{uri}:{reader.line_num}: {len(fields)} columns, the header has {len(header)}"
                )
            yield reader.line_num, {name: fields[i] for name, i in index.items()}


def read_xnli(uri: str, languages: tuple[str, ...] | list[str] | None = None) -> dict[str, list[NliPair]]:
    """XNLI dev or test: {language: pairs in file order}.

    Reads the official XNLI-1.0 layout (language, gold_label, parses, sentence1, sentence2,
    promptID, pairID, genre, label1..5, tokenized sentences, match) and the 4-column variant
    (language, gold_label, sentence1, sentence2). With `languages`, every one of them must be
    present; a missing one is an error that lists what the file has."""
    by_lang: dict[str, list[NliPair]] = {}
    for line, row in _tsv(uri, ("language", "gold_label", "sentence1", "sentence2")):
        lang = row["language"].strip()
        if languages is not None and lang not in languages:
            continue
        rows = by_lang.setdefault(lang, [])
        pair_id = row.get("pairID") or str(len(rows))
        rows.append(
            NliPair(
                premise=row["sentence1"],
                hypothesis=row["sentence2"],
                label=label_id(row["gold_label"], uri, line),
                language=lang,
                pair_id=pair_id,
            )
        )
    if languages is not None:
        missing = [lang for lang in languages if lang not in by_lang]
        if missing:
            present = sorted(_languages_in(uri))
            raise ValueError(
                f"{uri}: no XNLI rows for language(s) {', '.join(missing)}; "
                f"the file has {', '.join(present) if present else 'no rows'}"
            )
        return {lang: by_lang[lang] for lang in languages}
    return by_lang


def _languages_in(uri: str) -> set[str]:
    return {row["language"].strip() for _, row in _tsv(uri, ("language",))}


def read_multinli(uri: str) -> NliFile:
    """MultiNLI train/dev as jsonl (`multinli_1.0_train.jsonl`) or TSV (`multinli_1.0_train.txt`,
    GLUE `MNLI/train.tsv`): columns gold_label, sentence1, sentence2."""
    if _first_char(uri) == "{":
        rows = _jsonl(uri)
    else:
        rows = _tsv(uri, ("gold_label", "sentence1", "sentence2"))
    pairs, skipped = [], 0
    for line, row in rows:
        raw = str(row.get("gold_label", "")).strip()
        if raw == _NO_CONSENSUS:
            skipped += 1
            continue
        pairs.append(
            NliPair(
                premise=row["sentence1"],
                hypothesis=row["sentence2"],
                label=label_id(raw, uri, line),
                language="en",
                pair_id=str(row.get("pairID") or line),
            )
        )
    if skipped:
        log.info("%s: skipped %d pairs without gold label (%r)", uri, skipped, _NO_CONSENSUS)
    return NliFile(uri=uri, kind="multinli", pairs=tuple(pairs), skipped=skipped)


def _jsonl(uri: str) -> Iterator[tuple[int, dict]]:
    with _open_text(uri) as f:
        for line, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{uri}:{line}: not JSON ({exc.msg})") from None
            for key in ("gold_label", "sentence1", "sentence2"):
                if key not in row:
                    raise ValueError(f"{uri}:{line}: no {key!r} field")
            yield line, row


def read_xnli_mt(uri: str, language: str | None = None) -> NliFile:
    """XNLI-MT 1.0 machine-translated MultiNLI (`multinli.train.<lang>.tsv`: premise, hypo,
    label; contradiction is spelled "contradictory"). The language comes from the file name
    unless given."""
    if language is None:
        m = re.search(r"multinli\.train\.([a-z]{2})\.tsv", uri)
        if not m:
            raise ValueError(
                f"{uri}: cannot tell the language of this XNLI-MT file from its name "
                "(expected multinli.train.<lang>.tsv)"
            )
        language = m.group(1)
    pairs = [
        NliPair(
            premise=row["premise"],
            hypothesis=row["hypo"],
            label=label_id(row["label"], uri, line),
            language=language,
            pair_id=str(line),
        )
        for line, row in _tsv(uri, ("premise", "hypo", "label"))
    ]
    return NliFile(uri=uri, kind="xnli-mt", pairs=tuple(pairs))


def read_sick(uri: str) -> NliFile:
    """SICK (pair_ID, sentence_A, sentence_B, relatedness_score, entailment_judgment in upper case)."""
    pairs = [
        NliPair(
            premise=row["sentence_A"],
            hypothesis=row["sentence_B"],
            label=label_id(row["entailment_judgment"], uri, line),
            language="en",
            pair_id=row.get("pair_ID") or str(line),
        )
        for line, row in _tsv(uri, ("sentence_A", "sentence_B", "entailment_judgment"))
    ]
    return NliFile(uri=uri, kind="sick", pairs=tuple(pairs))


def read_training_file(uri: str) -> NliFile:
    """Any supported training file, its layout recognised from its first line."""
    first = _first_line(uri)
    if first.lstrip().startswith("{"):
        return read_multinli(uri)
    header = {h.strip() for h in first.rstrip("\r\n").split("\t")}
    if "entailment_judgment" in header:
        return read_sick(uri)
    if {"premise", "hypo", "label"} <= header:
        return read_xnli_mt(uri)
    if "language" in header and "gold_label" in header:
        pairs = [p for rows in read_xnli(uri).values() for p in rows]
        return NliFile(uri=uri, kind="xnli", pairs=tuple(pairs))
    if {"gold_label", "sentence1", "sentence2"} <= header:
        return read_multinli(uri)
    raise ValueError(
        f"{uri}:1: unrecognised NLI layout (header {sorted(header)}); expected MultiNLI "
        "(gold_label, sentence1, sentence2 or jsonl), XNLI-MT (premise, hypo, label), "
        "SICK (entailment_judgment) or XNLI (language, gold_label, sentence1, sentence2)"
    )


def _first_line(uri: str) -> str:
    with _open_text(uri) as f:
        return f.readline()


def _first_char(uri: str) -> str:
    return _first_line(uri).lstrip()[:1]


def split_dev_for_training(
    dev: dict[str, list[NliPair]], count: int, train_language: str = "en"
) -> tuple[list[NliPair], dict[str, list[NliPair]]]:
    """Move the last `count` train-language dev pairs into training data.

    XNLI rows are translations of each other, so the moved pairs' ids are removed from the dev set
    of every language: no translation of a training pair is left for model selection."""
    if count <= 0:
        return [], dev
    source = dev[train_language]
    if count >= len(source):
        raise ValueError(
            f"spec field xnli.dev_for_training: {count} would leave no {train_language} dev pairs "
            f"for model selection (the dev file has {len(source)})"
        )
    moved = source[len(source) - count :]
    taken = {p.pair_id for p in moved}
    kept = {lang: [p for p in pairs if p.pair_id not in taken] for lang, pairs in dev.items()}
    return list(moved), kept
