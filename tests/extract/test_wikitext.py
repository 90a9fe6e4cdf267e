"""Wikitext -> plain text policy (xlm_core/extract/wikitext.py)."""

from __future__ import annotations

import bz2
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from xlm_core.extract.wikitext import WikiExtractConfig, WikitextConverter, wikitext_to_text

SAMPLES = Path(__file__).resolve().parents[2] / "data_specs" / "samples" / "wiki"
MARKUP = re.compile(r"\{\{|\}\}|\[\[|\]\]|<ref|</ref|\{\||^\|[-}]|<!--|__[A-Z]+__", re.M)


def test_links_keep_their_visible_text():
    assert wikitext_to_text("[[Paris]] and [[Lyon|the city]] and [[bus]]es") == "Paris and the city and buses"


def test_templates_refs_comments_and_magic_words_dropped():
    text = "{{Infobox x|a={{nested|b}}}}Rome<ref name=a>cite {{cite web|url=x}}</ref> is old<ref name=a/>.<!-- hidden -->__NOTOC__"
    assert wikitext_to_text(text) == "Rome is old."


def test_files_categories_and_interlanguage_links_dropped():
    text = (
        "[[File:X.jpg|thumb|A caption with [[a link]]]]Text. [[画像:Y.png|thumb|cap]]"
        "[[Category:Cities]] [[fr:Paris]] [[:Category:Cities|see the category]]"
    )
    assert wikitext_to_text(text) == "Text. see the category"


def test_localised_namespace_prefixes_dropped():
    convert = WikitextConverter(WikiExtractConfig(), frozenset({"категорія", "файл"}))
    assert convert("Київ.[[Категорія:Міста]][[Файл:Kyiv|міні|Київ]]") == "Київ."


def test_tables_dropped_even_nested_or_indented():
    text = "Before.\n{| class=wikitable\n|-\n| a\n{|\n| inner\n|}\n|}\nAfter.\n:{| \n| x\n|}\nEnd."
    assert wikitext_to_text(text) == "Before.\n\nAfter.\n\nEnd."


def test_unclosed_table_keeps_the_prose_after_it():
    assert "prose" in wikitext_to_text("{| class=x\n| cell\nprose")


def test_headings_are_paragraphs_and_empty_sections_dropped():
    text = "Lead.\n== History ==\n=== Early ===\nOld times.\n== References ==\n<references/>\n{{Reflist}}"
    assert wikitext_to_text(text) == "Lead.\n\nHistory\n\nEarly\n\nOld times."


def test_headings_can_be_dropped():
    text = "Lead.\n== History ==\nOld times."
    assert wikitext_to_text(text, config=WikiExtractConfig(keep_headings=False)) == "Lead.\n\nOld times."


def test_list_items_are_lines_without_markers():
    text = "Intro:\n* one\n** two [[x|deux]]\n# three\n; term : def"
    assert wikitext_to_text(text) == "Intro:\none\ntwo deux\nthree\nterm\ndef"
    assert wikitext_to_text(text, config=WikiExtractConfig(keep_lists=False)) == "Intro:"


def test_style_entities_external_links_and_whitespace():
    text = "'''Bold''' and ''it''&nbsp;x &amp; y [https://a.org label] [https://b.org]\n\n\n\n  next   para  "
    assert wikitext_to_text(text) == "Bold and it x & y label\n\nnext para"


def _sample_texts(lang: str, limit: int = 6) -> list[str]:
    texts = []
    with bz2.open(SAMPLES / f"{lang}wiki-sample-pages-articles.xml.bz2") as f:
        for _, el in ET.iterparse(f):
            if el.tag.endswith("}text") and el.text and not el.text.lower().startswith("#redirect"):
                texts.append(el.text)
                if len(texts) == limit:
                    break
    return texts


@pytest.mark.parametrize("lang", ["en", "ja", "uk", "vi"])
def test_real_articles_have_no_markup_left(lang):
    convert = WikitextConverter(WikiExtractConfig())
    outs = [convert(t) for t in _sample_texts(lang)]
    assert sum(len(o) for o in outs) > 10_000
    for out in outs:
        assert not MARKUP.search(out), MARKUP.search(out)
        assert "\n\n\n" not in out and out == out.strip()


def test_stray_tags_and_multiline_links_rendered_as_text():
    text = "A [[Target page\n|label]] and</div> text <ref>unclosed"
    assert wikitext_to_text(text) == "A label and text unclosed"


def test_rows_of_template_built_tables_dropped():
    text = "{{s-start}}\n{{s-bef|before=[[X]]}}\n|-\n| cell [[Y]]\n! header\n{{s-end}}\nText | with a bar."
    assert wikitext_to_text(text) == "Text | with a bar."
