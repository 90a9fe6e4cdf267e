"""Default thresholds on real Wikipedia pages (bundled samples): clean encyclopedic text must
pass, in a spaced language and in one written without spaces."""

import itertools
from collections import Counter
from pathlib import Path

import pytest

from xlm_core.extract.wikipedia import iter_wikipedia
from xlm_core.filters import FilterConfig, apply_filters

WIKI = Path(__file__).resolve().parents[2] / "data_specs/samples/wiki"


@pytest.mark.parametrize("lang", ["en", "ja", "uk"])
def test_wikipedia_pages_pass_default_filters(lang):
    pages = list(itertools.islice(
        iter_wikipedia(WIKI / f"{lang}wiki-sample-pages-articles.xml.bz2", language=lang, dump="sample"), 40))
    pages = [p for p in pages if len(p.text) > 2000]  # articles, not stubs
    assert len(pages) >= 5
    stats = Counter()
    kept = list(apply_filters(pages, FilterConfig.from_spec({}, lang), stats))
    assert len(kept) >= 0.85 * len(pages), stats
