import logging
from collections import Counter

import pytest

from xlm_core.filters import FilterConfig, apply_filters

from .helpers import doc

# A real ARPA file: a bigram model that likes "the river" and hates everything else (<unk>).
ARPA = """\\data\\
ngram 1=5
ngram 2=2

\\1-grams:
-0.30\t<s>\t-0.1
-0.30\t</s>\t0
-0.40\tthe\t-0.1
-0.50\triver\t-0.1
-6.00\t<unk>\t0

\\2-grams:
-0.10\tthe river
-0.20\triver the

\\end\\
"""

CFG = dict(min_words=1, gopher_quality=False, gopher_repetition=False, line_cleanup=False)


def test_perplexity_scores_and_drops(tmp_path):
    pytest.importorskip("kenlm")
    model = tmp_path / "en.arpa"
    model.write_text(ARPA)
    cfg = FilterConfig(**CFG, perplexity_model=str(model), max_perplexity=100.0)
    stats = Counter()
    kept = list(apply_filters([doc("The river, the river."), doc("zyx qwv plk")], cfg, stats))
    assert [d.text for d in kept] == ["The river, the river."]
    assert 1.0 < kept[0].quality < 10.0
    assert stats["dropped.perplexity.too_high"] == 1


def test_no_model_skips_with_a_message(caplog):
    with caplog.at_level(logging.INFO, logger="xlm_core.filters.perplexity"):
        kept = list(apply_filters([doc("some words", language="xx-test")], FilterConfig(**CFG), Counter()))
    assert len(kept) == 1 and kept[0].quality is None
    assert "perplexity filter skipped for 'xx-test'" in caplog.text
