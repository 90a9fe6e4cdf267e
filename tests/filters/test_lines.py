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
    [(cleaned, removed)] = clean_lines([text], FilterConfig())
    assert cleaned == body
    assert removed == (("lines_removed.boilerplate", 3), ("lines_removed.no_letters", 1))


def test_long_paragraph_mentioning_cookies_survives():
    para = "This article explains how cookies were baked in the village " + prose(40, per_line=100)
    assert clean_lines([para], FilterConfig()) == [(para, ())]


def test_blank_lines_left_by_removed_lines_collapse():
    text = "first\n\n© Example Ltd\n\n\nsecond\n12345\n"
    assert clean_lines([text, "  ", ""], FilterConfig()) == [
        ("first\n\nsecond", (("lines_removed.boilerplate", 1), ("lines_removed.no_letters", 1))),
        ("", ()), ("", ())]


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
    results = clean_lines(records, FilterConfig())
    cleaned = [text for text, _ in results]
    assert sum(n for _, removed in results for _, n in removed) > 0
    before = sum(len(t) for t in records)
    after = sum(len(t) for t in cleaned)
    assert 0.5 * before < after < before  # boilerplate is a minority of the characters
