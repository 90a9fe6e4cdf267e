import gzip

import pytest

from tests.tokenize.helpers import TATOEBA
from xlm_core.parallel.ingest import moses_languages, read_moses, read_tsv
from xlm_core.parallel.iso import to_iso1


def test_iso639_3_codes_map_to_dataset_codes():
    assert [to_iso1(c) for c in ("ara", "cmn", "swh", "deu", "ell", "urd", "zh", "ast")] == [
        "ar",
        "zh",
        "sw",
        "de",
        "el",
        "ur",
        "zh",
        "ast",
    ]


def test_tatoeba_tsv_is_read_with_mapped_languages():
    pairs = list(read_tsv(str(TATOEBA)))
    assert len(pairs) == 4200
    assert {p.name for p in pairs} == {
        f"{to_iso1(c)}-en" for c in "ara bul deu ell spa fra hin rus swh tha tur urd vie cmn".split()
    }
    with gzip.open(TATOEBA, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    first = pairs[0]
    assert lines[first.offset].split("\t")[1:] == [first.text1, first.text2]


def test_malformed_tsv_line_is_named(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("lang\tsentence\tenglish\ndeu\tHallo\tHello\ndeu\tonly two\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv:3: expected 3 tab-separated columns"):
        list(read_tsv(str(path)))


def test_moses_pairs_put_english_second(tmp_path):
    (tmp_path / "corpus.eng").write_text("Hello.\nThank you.\n", encoding="utf-8")
    (tmp_path / "corpus.deu").write_text("Hallo.\nDanke.\n", encoding="utf-8")
    pairs = list(read_moses(str(tmp_path / "corpus.eng"), str(tmp_path / "corpus.deu")))
    assert [(p.l1, p.l2, p.text1, p.text2, p.offset) for p in pairs] == [
        ("de", "en", "Hallo.", "Hello.", 0),
        ("de", "en", "Danke.", "Thank you.", 1),
    ]


def test_moses_files_of_different_length_are_refused(tmp_path):
    (tmp_path / "c.de").write_text("a\nb\nc\n", encoding="utf-8")
    (tmp_path / "c.en").write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(ValueError, match="different numbers of lines"):
        list(read_moses(str(tmp_path / "c.de"), str(tmp_path / "c.en")))
    with pytest.raises(ValueError, match="cannot tell the languages"):
        moses_languages(str(tmp_path / "c.de"), str(tmp_path / "other.de"))
