import gzip
from collections import Counter
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from xlm_core.filters import FilterConfig, apply_filters
from xlm_core.filters.lines import clean_lines

from .helpers import doc, prose

WET = Path(__file__).resolve().parents[2] / "data_specs/samples/commoncrawl/CC-MAIN-2026-12-wet-head263.warc.wet.gz"


def test_boilerplate_lines_go_prose_stays():
    body = prose(60)
    text = f"Skip to content\nAccept cookies\n{body}\n© 2024 Example Ltd. All rights reserved.\n| » |"
    stats = Counter()
    assert clean_lines(text, FilterConfig(), stats) == body
    assert stats == Counter({"lines_removed.boilerplate": 3, "lines_removed.no_letters": 1})


def test_long_paragraph_mentioning_cookies_survives():
    para = "This article explains how cookies were baked in the village " + prose(40, per_line=100)
    assert clean_lines(para, FilterConfig(), Counter()) == para


def test_only_web_sources_are_cleaned():
    text = prose(60) + "\nPrivacy policy"
    cfg = FilterConfig(min_words=10, gopher_quality=False, gopher_repetition=False)
    wiki = list(apply_filters([doc(text, source="wikipedia")], cfg, Counter()))
    web = list(apply_filters([doc(text, source="commoncrawl")], cfg, Counter()))
    assert wiki[0].text == text and web[0].text == prose(60)


def test_document_that_is_all_boilerplate_is_dropped():
    stats = Counter()
    list(apply_filters([doc("Log in\nSign up\nCookie settings")], FilterConfig(), stats))
    assert stats["dropped.length.no_words"] == 1


def test_real_wet_records_lose_lines_not_prose():
    records = []
    with gzip.open(WET, "rb") as f:
        for rec in ArchiveIterator(f):
            if rec.rec_type == "conversion":
                records.append(rec.content_stream().read().decode("utf-8", "replace"))
    stats = Counter()
    cleaned = [clean_lines(t, FilterConfig(), stats) for t in records]
    assert stats["lines_removed.boilerplate"] + stats["lines_removed.no_letters"] > 0
    before = sum(len(t) for t in records)
    after = sum(len(t) for t in cleaned)
    assert 0.5 * before < after < before  # boilerplate is a minority of the characters
