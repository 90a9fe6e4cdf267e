from collections import Counter

from tests.tokenize.helpers import TATOEBA
from xlm_core.langid import LangIdConfig, LanguageIdentifier
from xlm_core.parallel.clean import clean_pairs
from xlm_core.parallel.config import ParallelConfig
from xlm_core.parallel.ingest import Pair, read_tsv


def _pairs(lang):
    return [p for p in read_tsv(str(TATOEBA)) if p.l1 == lang]


def test_duplicates_length_outliers_and_wrong_language_are_dropped():
    de = _pairs("de")[:40]
    fr = _pairs("fr")[0]
    dup = Pair("de", "en", de[3].text1, "  " + de[3].text2, "x", 999)  # same pair after whitespace normalisation
    wrong_side = Pair("de", "en", fr.text1, fr.text2, "x", 1000)  # French labelled as German
    too_long = Pair("de", "en", de[5].text1 * 6, de[5].text2, "x", 1001)
    c = Counter()
    kept = clean_pairs(de + [dup, wrong_side, too_long], ParallelConfig(), LanguageIdentifier(LangIdConfig()), c)
    assert c["dropped.duplicate"] == 1 and c["dropped.length_ratio"] == 1 and c["dropped.lid_l1"] >= 1
    assert all(p.offset < 999 for p in kept)
    assert c["read"] == 43 and c["kept"] == len(kept) >= 35


def test_length_ratio_is_relative_to_the_language_pair():
    """Hindi takes ~2.7x the UTF-8 bytes of its English translation: not an outlier for hi-en."""
    c = Counter()
    kept = clean_pairs(_pairs("hi"), ParallelConfig(), None, c)
    assert c["dropped.length_ratio"] <= 3 and len(kept) >= 295


def test_skip_lid_keeps_languages_the_model_misses():
    lid = LanguageIdentifier(LangIdConfig())
    strict, lenient = Counter(), Counter()
    clean_pairs(_pairs("sw"), ParallelConfig(), lid, strict)
    clean_pairs(_pairs("sw"), ParallelConfig(skip_lid=("sw",)), lid, lenient)
    assert strict["dropped.lid_l1"] > 200 and lenient["dropped.lid_l1"] == 0 and lenient["kept"] > 250
