from collections import Counter

import pytest

from xlm_core.filters import FilterConfig, apply_filters

from .helpers import doc, prose

CFG = FilterConfig(min_words=10, gopher_repetition=False, line_cleanup=False)


def reason(text, cfg=CFG, language="en"):
    stats = Counter()
    list(apply_filters([doc(text, language)], cfg, stats))
    dropped = [k for k in stats if k.startswith("dropped.")]
    return dropped[0].removeprefix("dropped.") if dropped else None


def test_plain_prose_passes():
    assert reason(prose(200)) is None


@pytest.mark.parametrize("text,expected", [
    (" ".join(["a b c"] * 40), "gopher_quality.mean_word_length_low"),
    (" ".join(["internationalisation"] * 60), "gopher_quality.mean_word_length_high"),
    (prose(100) + " #tag" * 20, "gopher_quality.symbol_ratio"),
    ("\n".join("• " + prose(8, seed=i) for i in range(20)), "gopher_quality.bullet_lines"),
    ("\n".join(prose(30, seed=i, per_line=40) + " …" for i in range(20)), "gopher_quality.ellipsis_lines"),
    (prose(30) + " " + " ".join(["12345"] * 40), "gopher_quality.alpha_words"),
])
def test_each_rule_drops_with_its_reason(text, expected):
    assert reason(text) == expected


def test_stop_words_rule_is_per_language():
    cfg = FilterConfig.from_spec({"defaults": {"min_words": 10, "gopher_repetition": False},
                                  "per_language": {"en": {"stop_words": ["the", "of"], "min_stop_words": 2}}}, "en")
    assert reason("river mountain people " * 20, cfg) == "gopher_quality.stop_words"
    assert reason("the river of the mountain " * 20, cfg) is None


def test_word_length_rules_skip_char_based_languages():
    zh = "北京是中华人民共和国的首都也是全国的政治和文化中心" * 5
    cfg = FilterConfig.from_spec({"defaults": {"min_chars": 10, "gopher_repetition": False}}, "zh")
    assert reason(zh, cfg, "zh") is None
