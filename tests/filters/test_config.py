import jsonschema
import pytest

from xlm_core.filters import SPEC_SCHEMA, FilterConfig

SPEC = {
    "keep_dropped": True,
    "defaults": {"min_words": 20, "top_ngram_max_fraction": [[2, 0.3]]},
    "per_language": {"zh": {"min_chars": 40}, "en": {"stop_words": ["The", "and"], "min_stop_words": 2}},
}


def test_spec_fragment_validates_the_example():
    jsonschema.validate(SPEC, SPEC_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"defaults": {"min_words": "many"}}, SPEC_SCHEMA)


def test_per_language_overrides_defaults():
    en = FilterConfig.from_spec(SPEC, "en")
    assert (en.min_words, en.keep_dropped, en.length_unit) == (20, True, "words")
    assert en.stop_words == frozenset({"the", "and"}) and en.min_stop_words == 2
    assert en.top_ngram_max_fraction == ((2, 0.3),)
    zh = FilterConfig.from_spec(SPEC, "zh")
    assert (zh.length_unit, zh.min_chars, zh.min_stop_words) == ("chars", 40, 0)


@pytest.mark.parametrize("lang,unit", [("ja", "chars"), ("th", "chars"), ("sw", "words"), ("ru", "words")])
def test_char_based_languages(lang, unit):
    assert FilterConfig.from_spec({}, lang).length_unit == unit


def test_unknown_field_names_the_spec_path():
    with pytest.raises(ValueError, match=r"filters\.per_language\.de\.min_wrods"):
        FilterConfig.from_spec({"per_language": {"de": {"min_wrods": 3}}}, "de")
    with pytest.raises(ValueError, match="length_unit"):
        FilterConfig.from_spec({"defaults": {"length_unit": "bytes"}}, "en")
