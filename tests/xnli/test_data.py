"""xlm_core/xnli/data.py: XNLI layouts, training-file layouts, label mapping, errors."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.xnli.tiny import SICK, XNLI_DEV, XNLI_TEST
from xlm_core.xnli.data import (
    LABELS,
    XNLI_LANGUAGES,
    read_multinli,
    read_sick,
    read_training_file,
    read_xnli,
    read_xnli_mt,
    split_dev_for_training,
)

OFFICIAL_HEADER = [
    "language", "gold_label", "sentence1_binary_parse", "sentence2_binary_parse", "sentence1_parse",
    "sentence2_parse", "sentence1", "sentence2", "promptID", "pairID", "genre", "label1", "label2",
    "label3", "label4", "label5", "sentence1_tokenized", "sentence2_tokenized", "match",
]  # fmt: skip


def _sample_rows(langs=("en", "fr", "zh"), per_language=4):
    rows = {}
    with gzip.open(XNLI_DEV, "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            lang, label, s1, s2 = line.rstrip("\n").split("\t")
            if lang in langs and len(rows.setdefault(lang, [])) < per_language:
                rows[lang].append((label, s1, s2))
    return rows


def write_official(path, rows, gz=False):
    """XNLI-1.0 layout: every real column, parses and tokenisations filled from the sentence."""
    lines = ["\t".join(OFFICIAL_HEADER)]
    for lang, items in rows.items():
        for k, (label, s1, s2) in enumerate(items):
            fields = {
                "language": lang, "gold_label": label, "sentence1": s1, "sentence2": s2,
                "sentence1_binary_parse": "( " + s1 + " )", "sentence2_binary_parse": "( " + s2 + " )",
                "sentence1_parse": "(ROOT (S " + s1 + "))", "sentence2_parse": "(ROOT (S " + s2 + "))",
                "promptID": str(100 + k), "pairID": str(1000 + k), "genre": "facetoface",
                "label1": label, "label2": label, "label3": "neutral", "label4": "", "label5": "",
                "sentence1_tokenized": " ".join(s1.split()), "sentence2_tokenized": " ".join(s2.split()),
                "match": "True",
            }  # fmt: skip
            lines.append("\t".join(fields[c] for c in OFFICIAL_HEADER))
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return str(path)


def test_official_layout_selects_columns_by_name(tmp_path):
    rows = _sample_rows()
    # Unbalanced quotes are common in XNLI; QUOTE_NONE must keep them verbatim.
    rows["en"][0] = (rows["en"][0][0], '"Well, I was n\'t even thinking', rows["en"][0][2])
    uri = write_official(tmp_path / "xnli.dev.tsv", rows)
    got = read_xnli(uri, ("en", "fr", "zh"))
    assert list(got) == ["en", "fr", "zh"]
    for lang in got:
        assert [(LABELS[p.label], p.premise, p.hypothesis) for p in got[lang]] == rows[lang]
        assert [p.pair_id for p in got[lang]] == ["1000", "1001", "1002", "1003"]
    assert got["en"][0].premise.startswith('"Well')


def test_official_layout_gzipped(tmp_path):
    uri = write_official(tmp_path / "xnli.test.tsv.gz", _sample_rows(("de",), 3), gz=True)
    assert len(read_xnli(uri, ["de"])["de"]) == 3


def test_four_column_bundled_files():
    dev = read_xnli(XNLI_DEV, XNLI_LANGUAGES)
    test = read_xnli(XNLI_TEST, XNLI_LANGUAGES)
    assert {lang: len(v) for lang, v in test.items()} == {lang: 500 for lang in XNLI_LANGUAGES}
    assert len(dev["en"]) == 2490 and len(dev["sw"]) == 500
    # Row k of every language is the same translated pair with the same label.
    assert [p.label for p in test["sw"]] == [p.label for p in test["en"]]
    assert test["zh"][0].pair_id == "0" and test["zh"][-1].pair_id == "499"
    assert dev["ar"][0].premise == "وقال، ماما، لقد عدت للمنزل."
    assert LABELS[dev["ar"][0].label] == "neutral"


def test_unknown_label_names_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text(
        "language\tgold_label\tsentence1\tsentence2\n"
        "en\tentailment\ta\tb\n"
        "en\tmaybe\tc\td\n"
    )
    with pytest.raises(ValueError, match=r"bad\.tsv:3: unknown label 'maybe'"):
        read_xnli(str(path))


def test_missing_language_lists_present(tmp_path):
    uri = write_official(tmp_path / "xnli.dev.tsv", _sample_rows(("en", "fr"), 2))
    with pytest.raises(ValueError, match=r"no XNLI rows for language\(s\) sw, ur; the file has en, fr"):
        read_xnli(uri, ["en", "sw", "ur"])


def test_missing_column_is_an_error(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("language\tlabel\tsentence1\tsentence2\nen\tneutral\ta\tb\n")
    with pytest.raises(ValueError, match=r"x\.tsv:1: header lacks column\(s\) gold_label"):
        read_xnli(str(path))


def test_multinli_jsonl_and_tsv(tmp_path):
    rows = [
        {"gold_label": "neutral", "sentence1": "A", "sentence2": "B", "pairID": "1n"},
        {"gold_label": "-", "sentence1": "C", "sentence2": "D", "pairID": "2"},
        {"gold_label": "contradiction", "sentence1": "E", "sentence2": "F", "pairID": "3c"},
    ]
    jl = tmp_path / "multinli_1.0_train.jsonl"
    jl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = read_multinli(str(jl))
    assert got.kind == "multinli" and got.skipped == 1
    assert [(p.premise, p.label, p.pair_id) for p in got.pairs] == [("A", 1, "1n"), ("E", 2, "3c")]
    tsv = tmp_path / "train.tsv"  # GLUE MNLI order: columns found by name
    tsv.write_text(
        "index\tpromptID\tpairID\tgenre\tsentence1\tsentence2\tlabel1\tgold_label\n"
        "0\t31193\t31193n\tgovernment\tA \"quoted\tB\tneutral\tneutral\n"
    )
    got = read_training_file(str(tsv))
    assert got.kind == "multinli" and got.pairs[0].premise == 'A "quoted' and got.pairs[0].label == 1


def test_xnli_mt_contradictory(tmp_path):
    path = tmp_path / "multinli.train.fr.tsv"
    path.write_text("premise\thypo\tlabel\nIl pleut .\tIl fait beau .\tcontradictory\nA\tB\tentailment\n")
    got = read_training_file(str(path))
    assert got.kind == "xnli-mt"
    assert [(p.language, LABELS[p.label]) for p in got.pairs] == [("fr", "contradiction"), ("fr", "entailment")]
    with pytest.raises(ValueError, match="cannot tell the language"):
        read_xnli_mt(str(tmp_path / "other.tsv"))


def test_sick_upper_case_labels():
    got = read_sick(SICK)
    assert got.kind == "sick" and len(got.pairs) == 9927
    counts = [sum(p.label == i for p in got.pairs) for i in range(3)]
    assert counts == [2857, 5611, 1459]  # entailment, neutral, contradiction
    assert read_training_file(SICK).kind == "sick"


def test_dev_for_training_removes_translations_everywhere():
    dev = read_xnli(XNLI_DEV, ["en", "fr"])
    moved, kept = split_dev_for_training(dev, 2200, "en")
    assert len(moved) == 2200 and len(kept["en"]) == 290
    taken = {p.pair_id for p in moved}
    assert all(p.pair_id not in taken for p in kept["fr"])
    assert len(kept["fr"]) == 290  # fr has 500 rows; rows 290..499 are translations of moved pairs
    with pytest.raises(ValueError, match="xnli.dev_for_training"):
        split_dev_for_training(dev, 2490, "en")


def test_multinli_from_an_fsspec_uri():
    import fsspec

    with fsspec.open("memory://nli/multinli_1.0_dev_matched.jsonl.gz", "wt", compression="gzip") as f:
        f.write(json.dumps({"gold_label": "entailment", "sentence1": "A", "sentence2": "B", "pairID": "9e"}) + "\n")
    got = read_training_file("memory://nli/multinli_1.0_dev_matched.jsonl.gz")
    assert got.kind == "multinli" and [(p.pair_id, p.label) for p in got.pairs] == [("9e", 0)]
