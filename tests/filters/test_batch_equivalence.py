"""The batch path decides exactly what the per-document path decided (tests/filters/reference.py):
same kept documents and texts, same reasons, same counters in the same order, on every document
of the bundled real samples and on adversarial ones, whatever the batch boundaries."""

import random

import numpy as np
import pytest

from xlm_core.filters import FilterConfig, apply_filters
from xlm_core.filters import apply as apply_mod
from xlm_core.filters.ngrams import NGrams

from . import reference
from .helpers import WIKI_LANGUAGES, doc, outcome, prose, wet_docs, wiki_docs

# Thresholds low enough that documents reach, and fail, every rule (the defaults drop few).
STRICT = {"min_words": 5, "min_chars": 5, "max_symbol_word_ratio": 0.02, "min_alpha_words_ratio": 0.9,
          "max_bullet_lines_ratio": 0.2, "max_ellipsis_lines_ratio": 0.05, "dup_line_frac": 0.05,
          "dup_para_frac": 0.05, "dup_line_char_frac": 0.02, "dup_para_char_frac": 0.02,
          "top_ngram_max_fraction": [[2, 0.02], [3, 0.015], [4, 0.01]],
          "dup_ngram_max_fraction": [[5, 0.05], [6, 0.04], [7, 0.03], [8, 0.02], [9, 0.01], [10, 0.005]]}
# Only the n-gram rules, so every document's n-gram values are compared.
NGRAMS_ONLY = {"min_words": 1, "min_chars": 1, "gopher_quality": False, "dup_line_frac": 1.0,
               "dup_para_frac": 1.0, "dup_line_char_frac": 1.0, "dup_para_char_frac": 1.0,
               "top_ngram_max_fraction": [[1, 0.5], [2, 0.2], [3, 0.1], [4, 0.05], [5, 0.02]],
               "dup_ngram_max_fraction": [[6, 0.3], [7, 0.2], [8, 0.1], [9, 0.05], [10, 0.01], [12, 0.005]]}
STOP_WORDS = {"stop_words": ["the", "of", "and", "in", "to", "a", "is"], "min_stop_words": 3}


def assert_same(docs, cfg):
    assert outcome(apply_filters, docs, cfg) == outcome(reference.apply_filters, docs, cfg)


def config(lang, **overrides):
    return FilterConfig.from_spec({"defaults": overrides}, lang)


@pytest.mark.parametrize("lang", WIKI_LANGUAGES)
@pytest.mark.parametrize("overrides", [{}, STRICT, NGRAMS_ONLY], ids=["defaults", "strict", "ngrams"])
def test_wikipedia_samples(lang, overrides):
    assert_same(wiki_docs(lang), config(lang, **overrides))


@pytest.mark.parametrize("lang", ["en", "zh"])  # every word- (char-) based language has this config
@pytest.mark.parametrize("overrides", [{}, STRICT, NGRAMS_ONLY, STOP_WORDS],
                         ids=["defaults", "strict", "ngrams", "stop"])
def test_wet_sample(lang, overrides):
    """Every CC WET record (many scripts) judged as one language: word-based and char-based."""
    assert_same(wet_docs(lang), config(lang, **overrides))


def test_wikipedia_text_through_line_cleanup():
    docs = [d for lang in ("en", "ja", "uk") for d in wiki_docs(lang)]
    for d in docs:
        d.source = "commoncrawl"
    assert_same(docs, config("en", **STRICT))


@pytest.mark.parametrize("batch", [1, 2, 7, 64])
def test_batch_boundaries_do_not_matter(monkeypatch, batch):
    monkeypatch.setattr(apply_mod, "BATCH_DOCS", batch)
    assert_same(wet_docs("en")[:80], config("en", **STRICT))


def test_character_budget_splits_batches(monkeypatch):
    monkeypatch.setattr(apply_mod, "BATCH_CHARS", 20_000)
    assert_same(wet_docs("en"), config("en"))


def test_sort_collisions_take_the_exact_path(monkeypatch):
    """Keep only 4 hash bits in the n-gram sort key: nearly every document has windows that
    share them without being equal, and must be grouped exactly all the same."""
    monkeypatch.setattr(NGrams, "min_dropped_bits", 60)
    assert_same(wet_docs("en")[:120] + wiki_docs("ja"), config("en", **NGRAMS_ONLY))
    assert_same(wiki_docs("ja"), config("ja", **NGRAMS_ONLY))


SPACES = "\u00a0\u2003\u3000\u200b\u0085\u2028\u2029\u1680\u180e\u202f\u205f\ufeff\x1c\x1d\x1e\x1f\x0b\x0c\r\t"

ADVERSARIAL = [
    "", " ", "\n", "\n\n\n", " \t\r\n \u3000", "#", "...", "…", "a", "\x00", "\x00 \x00",
    "word " * 5000,  # one long line
    "x" * 20_000,  # one huge word
    "y" * 40_000,  # over max_chars
    "\n".join(["same line here"] * 30),
    "\n\n".join(["same paragraph\nof two lines"] * 10) + "\n\nother",
    # Unicode spaces: split() separates on some (NBSP, em space, ideographic space), not on ZWSP
    "alpha\u00a0beta gamma\u2003delta\u3000epsilon\u200bzeta " * 20,
    ("one" + SPACES) * 30,
    SPACES.join(prose(60, seed=9).split()),
    # bullets and ellipses, with leading and trailing spaces, across line kinds
    "\n".join(f"  • item {i} of the list" for i in range(20)),
    "\n".join(f"- point {i}\n* star {i}\n– dash {i}" for i in range(8)),
    "\n".join(f"line {i} trails off...   " for i in range(12)) + "\nend",
    "\n".join(f"line {i} trails off…\t" for i in range(12)),
    ".. .\n. ..\n..\n...\n....\n…\n" * 5,
    # paragraph breaks of every length, CRLF, leading/trailing blank lines
    "\n\n\n  first para  \n\n second\n\n\n third \n\n\n\n fourth\n\n\n\n\n fifth \n\n\n",
    "a line\r\nanother line\r\n\r\na paragraph\r\n" * 10,
    # ties for the most frequent n-gram: equal counts, different lengths
    "x yy x yy zzz wwww zzz wwww q rr q rr " * 3,
    "aa b aa b c ddd c ddd " * 6,
    # char-based scripts, and documents shorter than n for every n
    "北京是中华人民共和国的首都，也是全国的政治和文化中心。" * 6,
    "東京は日本の首都です。東京は日本の首都です。ひらがなカタカナ漢字" * 5,
    "ภาษาไทยเป็นภาษาที่มีวรรณยุกต์ และสระที่เขียนไว้รอบพยัญชนะ" * 4,
    "😀 🙃 😀 🙃 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 " * 10,  # supplementary planes
    "\ud800 lone \udc80 surrogates \udfff here " * 10,
    "Cookie settings\nſubscribe now\nPrivacy policy\nKELVIN cooKie\n© 2024\n" + prose(60),
    "İstanbul sign ın\nlog out\nSKIP TO MAIN CONTENT\nmentions LÉGALES\n" + prose(40),
    "隐私政策\n版权所有\nプライバシーポリシー\n" + "正文内容很长很长" * 20,
    "12345 67890 !!! ??? ### ...\n" * 10,
] + [" ".join(["tok"] * n) for n in range(1, 13)] + ["字" * n for n in range(1, 23)] + [
    " ".join(f"w{i}" for i in range(n)) for n in range(1, 13)]


def _random_docs(seed: int, n: int) -> list[str]:
    """Small vocabularies (many repeats and ties), random Unicode spaces, newlines, bullets."""
    rng = random.Random(seed)
    vocab = ["a", "bb", "ccc", "dd", "e", "ff", "ggg", "#", "...", "…", "•", "-", "1", "9x", "Ωμ", "字", "ก่", "é"]
    seps = [" ", " ", " ", "\n", "\n\n", "\n\n\n", "\t", "\u00a0", "\u3000", "\u200b", "\r\n", "  "]
    out = []
    for _ in range(n):
        size = rng.choice([0, 1, 2, 5, 9, 11, 20, 60, 200])
        words = rng.choices(vocab[:rng.randint(2, len(vocab))], k=size)
        out.append("".join(w + rng.choice(seps) for w in words))
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("overrides", [{}, {"min_words": 1, "min_chars": 1}, NGRAMS_ONLY, STRICT],
                         ids=["defaults", "short", "ngrams", "strict"])
@pytest.mark.parametrize("source", ["commoncrawl", "wikipedia"])
def test_adversarial_documents(lang, overrides, source):
    texts = ADVERSARIAL + _random_docs(seed=len(lang) + len(overrides), n=300)
    docs = [doc(t, lang, source) for t in texts]
    for d, i in zip(docs, range(len(docs))):
        d.id = str(i)
    cfg = config(lang, **overrides, max_chars=30_000)
    assert_same(docs, cfg)


class _FakeLM:
    """A KenLM stand-in: log10 P of a line falls with its length and its share of rare letters."""

    def score(self, line, bos=True, eos=True):
        return -0.3 * len(line.split()) - 0.05 * sum(c in "qxzjkvw" for c in line)


def test_perplexity_scores_and_drops_the_same(monkeypatch):
    from xlm_core.filters import perplexity

    monkeypatch.setattr(perplexity, "load_model", lambda path: _FakeLM())
    scored = outcome(apply_filters, wet_docs("en"), config("en", perplexity_model="fake.arpa"))
    cfg = config("en", perplexity_model="fake.arpa", max_perplexity=float(np.median([q for *_, q in scored[1]])))
    out = outcome(apply_filters, wet_docs("en"), cfg)
    assert out == outcome(reference.apply_filters, wet_docs("en"), cfg)
    assert any(k == "dropped.perplexity.too_high" for k, _ in out[0]) and out[1]
    assert all(quality is not None for _, _, quality in out[1])


@pytest.mark.parametrize("overrides", [{}, {"line_cleanup": False, "gopher_repetition": False},
                                       {"gopher_quality": False, "line_cleanup_sources": ["wikipedia"]}],
                         ids=["defaults", "no-cleanup-no-repetition", "cleanup-wikipedia"])
def test_sources_mixed_in_one_batch(overrides):
    """Web and Wikipedia documents interleaved: only some get line cleanup."""
    web, wiki = wet_docs("en"), wiki_docs("en") + wiki_docs("nl")
    docs = [d for pair in zip(web[:60], wiki * 3) for d in pair]
    assert_same(docs, config("en", **overrides))
