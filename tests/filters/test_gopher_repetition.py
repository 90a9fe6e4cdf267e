from collections import Counter

from xlm_core.filters import FilterConfig, apply_filters

from .helpers import doc, prose

CFG = FilterConfig(min_words=10, gopher_quality=False, line_cleanup=False)


def reason(text, cfg=CFG, language="en"):
    stats = Counter()
    list(apply_filters([doc(text, language)], cfg, stats))
    dropped = [k for k in stats if k.startswith("dropped.")]
    return dropped[0].removeprefix("dropped.") if dropped else None


def test_varied_text_passes():
    text = "\n\n".join(prose(60, seed=i) for i in range(5))
    assert reason(text) is None


def test_repeated_paragraphs():
    para = prose(40, seed=1)
    assert reason("\n\n".join([para] * 3 + [prose(40, seed=2)])).startswith("gopher_repetition.dup_para")


def test_repeated_lines():
    lines = [f"line number {w} about the river and the mountain" for w in "abcdefgh"]
    text = "\n".join(lines + ["menu home contact about us page"] * 6)
    assert reason(text).startswith("gopher_repetition.dup_line")


def test_top_ngram():
    words = prose(300, seed=3).split()
    for i in range(0, len(words), 4):
        words[i:i + 2] = ["buy", "now"]
    assert reason(" ".join(words)) == "gopher_repetition.top_2gram"


def test_duplicated_ngrams():
    base = prose(200, seed=4).replace("\n", " ").split()
    text = " ".join(base[:60] * 2 + base[60:])  # one 60-word passage twice: 5..10-grams repeat
    assert reason(text) == "gopher_repetition.dup_5gram"
