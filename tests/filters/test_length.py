from collections import Counter

from xlm_core.filters import FilterConfig, apply_filters

from .helpers import doc, prose

CFG = FilterConfig(min_words=50, gopher_quality=False, gopher_repetition=False, line_cleanup=False)


def run(docs, cfg=CFG):
    stats = Counter()
    return [d.text for d in apply_filters(docs, cfg, stats)], stats


def test_short_and_long_documents_are_dropped_by_reason():
    cfg = FilterConfig(min_words=50, max_words=200, gopher_quality=False, gopher_repetition=False)
    kept, stats = run([doc(prose(10)), doc(prose(100)), doc(prose(300))], cfg)
    assert len(kept) == 1
    assert stats == Counter(read=3, kept=1, **{"dropped.length.too_short": 1, "dropped.length.too_long": 1})


def test_zero_word_document_is_a_counted_drop():
    kept, stats = run([doc(""), doc("   \n\n "), doc("... !!! ???")])
    assert kept == []
    assert stats["dropped.length.no_words"] == 2
    assert stats["dropped.length.too_short"] == 1  # 3 punctuation tokens: words, but too few


def test_one_50mb_line_is_dropped_before_tokenizing():
    big = "word " * 10_000_000  # 50 MB, one line
    kept, stats = run([doc(big), doc(prose(60))])
    assert len(kept) == 1 and stats["dropped.length.too_many_chars"] == 1


def test_languages_without_spaces_count_characters():
    zh = "北京是中华人民共和国的首都，也是全国的政治和文化中心。" * 3  # ~75 letters, no spaces
    cfg = FilterConfig.from_spec({"defaults": {"min_chars": 60, "gopher_repetition": False}}, "zh")
    kept, _ = run([doc(zh, "zh")], cfg)
    assert len(kept) == 1  # 1 whitespace "word" would have failed min_words
    cfg = FilterConfig.from_spec({"defaults": {"min_chars": 100, "gopher_repetition": False}}, "zh")
    kept, stats = run([doc(zh, "zh")], cfg)
    assert kept == [] and stats["dropped.length.too_short"] == 1
