"""MediaWiki XML dumps -> Documents (xlm_core/extract/wikipedia.py), on the bundled real excerpts."""

from __future__ import annotations

import bz2
import io
import logging
from collections import Counter
from pathlib import Path

import pytest

from xlm_core.document import document_id
from xlm_core.extract.wikipedia import iter_wikipedia
from xlm_core.extract.wikitext import WikiExtractConfig

SAMPLES = Path(__file__).resolve().parents[2] / "data_specs" / "samples" / "wiki"
EN = SAMPLES / "enwiki-sample-pages-articles.xml.bz2"
NL = SAMPLES / "nlwiki-sample-pages-articles.xml.bz2"
EN_ARTICLES = ["Anarchism", "Autism", "Albedo", "A", "Alabama", "Achilles", "Abraham Lincoln"]


def extract(src, language="en", **kw):
    stats = Counter()
    docs = list(iter_wikipedia(src, language=language, dump="20160501", stats=stats, **kw))
    return docs, stats


def test_en_sample_articles_redirects_and_namespaces():
    docs, stats = extract(EN)
    assert [d.title for d in docs] == EN_ARTICLES
    # 12 pages: 4 main-namespace redirects, 1 redirect in the Wikipedia: namespace.
    assert stats == Counter({"read": 12, "dropped.redirect": 4, "dropped.namespace": 1})
    lincoln = docs[-1]
    assert lincoln.id == document_id("wikipedia", "enwiki:307")
    assert lincoln.url == "https://en.wikipedia.org/wiki/Abraham_Lincoln"
    assert lincoln.offset == 10  # page ordinal in the file, skipped pages included
    assert (lincoln.source, lincoln.language, lincoln.dump) == ("wikipedia", "en", "20160501")
    assert lincoln.source_file == str(EN)
    assert lincoln.date.startswith("2016-")
    assert "Lincoln" in lincoln.text and len(lincoln.text) > 20_000
    for d in docs:
        for markup in ("{{", "[[", "<ref", "{|", "|}", "]]", "}}"):
            assert markup not in d.text, (d.title, markup)


@pytest.mark.parametrize("lang", ["bn", "el", "hy", "ja", "mr", "uk", "vi"])
def test_every_sample_language_drops_its_non_articles(lang):
    docs, stats = extract(SAMPLES / f"{lang}wiki-sample-pages-articles.xml.bz2", language=lang)
    # Each excerpt holds its dump's first 4 non-article pages and first 4 redirects.
    assert stats["dropped.namespace"] == 4 and stats["dropped.redirect"] == 4
    assert len(docs) >= 8 and all(d.language == lang and d.text for d in docs)
    assert all(d.url.startswith(f"https://{lang}.wikipedia.org/wiki/") for d in docs)
    assert len({d.id for d in docs}) == len(docs)


def test_export_0_9_and_pages_without_text():
    docs, stats = extract(NL, language="nl")
    assert len(docs) == 19 and docs[0].title == "Albert Speer"
    assert stats == Counter({"read": 23, "dropped.redirect": 1, "dropped.empty": 3})


def test_export_0_11_plain_xml_and_multistream(tmp_path):
    xml = bz2.decompress(EN.read_bytes()).replace(b"export-0.10/", b"export-0.11/")
    plain = tmp_path / "enwiki.xml"
    plain.write_bytes(xml)
    # Multistream: header + first pages in one bz2 stream, the rest in others, concatenated.
    cut1, cut2 = xml.index(b"<page>", 40_000), xml.index(b"<page>", 400_000)
    multi = b"".join(bz2.compress(p, 1) for p in (xml[:cut1], xml[cut1:cut2], xml[cut2:]))
    for src in (plain, io.BytesIO(multi)):
        docs, stats = extract(src)
        assert [d.title for d in docs] == EN_ARTICLES
        assert stats["read"] == 12


def test_namespaces_and_redirects_are_configurable():
    config = WikiExtractConfig(namespaces=(0, 4), skip_redirects=False)
    docs, stats = extract(EN, config=config)
    assert len(docs) == 12 and "dropped.redirect" not in stats
    assert docs[0].title == "AccessibleComputing"


def test_truncated_bz2_keeps_pages_before_the_cut(tmp_path, caplog):
    # bz2 loses the whole block being read at the cut, so cut a multistream file (as the real
    # dumps are: 100 pages per stream) inside its last stream.
    xml = bz2.decompress(EN.read_bytes())
    at = xml.index(b"<page>", 400_000)
    head, tail = bz2.compress(xml[:at]), bz2.compress(xml[at:])
    cut = tmp_path / "cut.xml.bz2"
    cut.write_bytes(head + tail[: len(tail) // 2])
    with caplog.at_level(logging.WARNING):
        docs, stats = extract(cut)
    assert 0 < len(docs) < len(EN_ARTICLES)
    assert [d.title for d in docs] == EN_ARTICLES[: len(docs)]
    assert stats["errors.truncated"] == 1
    assert str(cut) in caplog.text and "page ordinal" in caplog.text


def test_cut_plain_xml_is_truncation(tmp_path):
    xml = bz2.decompress(EN.read_bytes())
    docs, stats = extract(io.BytesIO(xml[: xml.index(b"<title>Alabama")]))
    assert [d.title for d in docs] == EN_ARTICLES[:4]
    assert stats["errors.truncated"] == 1 and "errors.malformed_xml" not in stats


def test_malformed_xml_keeps_pages_before_the_error(caplog):
    xml = bz2.decompress(EN.read_bytes())
    at = xml.index(b"<title>Alabama")
    broken = xml[:at] + b"<title>Alabama & <<broken" + xml[at + 14 :]
    with caplog.at_level(logging.WARNING):
        docs, stats = extract(io.BytesIO(bz2.compress(broken)))
    assert [d.title for d in docs] == EN_ARTICLES[:4]
    assert stats["errors.malformed_xml"] == 1
    assert "malformed_xml at page ordinal 8" in caplog.text


def test_corrupt_bz2_data_is_counted():
    xml = bz2.decompress(EN.read_bytes())
    at = xml.index(b"<page>", 400_000)
    tail = bytearray(bz2.compress(xml[at:], 1))
    tail[len(tail) // 2 : len(tail) // 2 + 64] = bytes(64)
    docs, stats = extract(io.BytesIO(bz2.compress(xml[:at], 1) + bytes(tail)))
    assert 3 <= len(docs) < len(EN_ARTICLES)  # the pages of the intact blocks
    assert [d.title for d in docs] == EN_ARTICLES[: len(docs)]
    assert stats["errors.corrupt_compression"] == 1


def test_empty_file_is_counted_not_fatal(tmp_path):
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    docs, stats = extract(empty)
    assert docs == [] and stats == Counter({"errors.truncated": 1})
