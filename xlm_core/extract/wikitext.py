"""Wikitext -> plain text for pretraining, with mwparserfromhell.

Policy (what a reader of the rendered article sees as running prose, nothing else):
- dropped: templates and parser functions (`{{...}}`, infoboxes, navboxes, citations, magic
  words such as `{{DISPLAYTITLE:..}}`), template arguments `{{{..}}}`, `<ref>` footnotes and
  `<references/>`, tables (`{| .. |}` and `<table>`), HTML comments, behaviour switches
  (`__NOTOC__`), file/image/media links (with their captions), category links, interlanguage
  links (`[[fr:Paris]]`), external links without a label, bare URLs in brackets, and the tags
  whose content is not prose (`<gallery>`, `<math>`, `<syntaxhighlight>`, `<timeline>`, ...;
  see `WikiExtractConfig.drop_tags`).
- kept: the visible text of wiki links (`[[Paris|the city]]` -> "the city", `[[Paris]]` ->
  "Paris", link trails as written), labels of external links, the content of formatting tags
  (`<b>`, `<span>`, `''italic''`, ...), HTML entities decoded.
- headings: kept as their own paragraph (the heading text only, no `==`) when
  `keep_headings` is set (the default) and the section below kept some text; a heading
  whose section ends up empty (e.g. "References", "External links" once refs and templates are
  gone) is dropped. Unset `keep_headings` to drop every heading.
- table rows left by tables that a template opens (lines starting with `|` or `!`) are dropped;
  brackets of links left unbalanced in the source are removed.
- lists: one item per line, list markers (`*`, `#`, `;`, `:`) removed (`keep_lists=False`
  drops list lines altogether).
- whitespace: runs of horizontal whitespace (including no-break spaces) become one space, lines
  are stripped, runs of blank lines become one blank line, so paragraphs are separated by
  exactly one blank line and the text has no leading/trailing whitespace.

Speed: the mwparserfromhell parse is the hot spot (its cost grows with the number of nodes), so
constructs that are dropped anyway are cut first with linear regex/scan passes that are safe
on their own (comments, refs, tables, innermost-first templates, dropped tags); what is left is
parsed once, without style-tag parsing (`''`/`'''` are removed as text, which avoids the
parser's backtracking on unbalanced quotes).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

import mwparserfromhell
from mwparserfromhell.nodes import (
    Argument,
    Comment,
    ExternalLink,
    Heading,
    HTMLEntity,
    Tag,
    Template,
    Text,
    Wikilink,
)

# Canonical names of the namespaces whose links are not prose; the dump's localised names are
# added by the caller from <siteinfo> (see `link_prefixes_from_siteinfo`).
CANONICAL_DROPPED_LINK_PREFIXES = frozenset({"file", "image", "media", "category"})

DEFAULT_DROP_TAGS = (
    "ref", "references", "gallery", "math", "chem", "ce", "score", "timeline", "imagemap",
    "graph", "templatedata", "templatestyles", "mapframe", "maplink", "syntaxhighlight",
    "source", "inputbox", "categorytree", "hiero", "indicator", "section", "table",
    "includeonly", "style", "script",
)  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class WikiExtractConfig:
    """How Wikipedia pages become documents (one per article)."""

    namespaces: tuple[int, ...] = (0,)
    """Page namespaces to keep (0 = articles); other pages are counted as dropped.namespace."""
    skip_redirects: bool = True
    """Drop redirect pages (counted as dropped.redirect); their text is only a link."""
    keep_headings: bool = True
    """Keep section headings as their own paragraph (only when their section kept text)."""
    keep_lists: bool = True
    """Keep list items, one per line; False drops every list line."""
    drop_tags: tuple[str, ...] = DEFAULT_DROP_TAGS
    """HTML/extension tags dropped with their content; other tags keep their content."""
    drop_link_namespaces: tuple[int, ...] = (-2, 6, 14)
    """Namespaces (Media, File, Category) whose links are dropped; their localised names are
    read from the dump's <siteinfo>."""
    min_chars: int = 1
    """Pages whose extracted text is shorter are counted as dropped.empty."""


# --- pre-passes: each removes a construct the policy drops anyway --------------------------
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_REF_SELF_CLOSING = re.compile(r"<ref\b[^>]*?/>", re.I)
_REF_PAIRED = re.compile(r"<ref\b[^>]*?>.*?</ref\s*>", re.I | re.S)
# Innermost template (no braces inside): repeated until nothing matches, so nesting is removed
# from the inside out in linear passes (depth is rarely above 5).
_INNER_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
# [[target]] / [[target|label]] with nothing nested and on one line.
_SIMPLE_LINK = re.compile(r"\[\[([^\[\]{}|\n<>]*)(?:\|([^\[\]{}\n<>]*))?\]\]")
_BEHAVIOUR_SWITCH = re.compile(r"__[^\W_]\w*?__")
# List markers (*, #, ;, :) at line starts, with the space after them.
_LIST_MARKER = re.compile(r"^[*#:;]+[ \t]*", re.M)
# "; term : definition" renders as two lines.
_DEFINITION = re.compile(r"^(;[^:\n]*?)[ \t]*:", re.M)
# Media files linked under a namespace alias the siteinfo does not list ([[画像:x.jpg|..]]).
_MEDIA_FILE = re.compile(
    r"\.(?:jpe?g|png|gif|svg|tiff?|webp|xcf|ogg|oga|ogv|webm|mp3|mp4|wav|flac|mid|pdf|djvu|stl)\s*$",
    re.I,
)
_INTERLANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*|simple")
_LIST_LINE = "\x03"
# Leftovers the parser leaves as text: links whose target spans lines ([[A\n|b]]) and
# unmatched tags (a stray </div>, an unclosed <ref>). Rendered as their label / nothing.
_LEFTOVER_LINK = re.compile(r"\[\[(?:[^\[\]|]*\|)?([^\[\]]*)\]\]")
_LEFTOVER_TAG = re.compile(
    r"</?(?:ref|references|div|span|p|table|tr|td|th|tbody|thead|caption|center|small|big|font|"
    r"sup|sub|b|i|u|s|em|strong|abbr|blockquote|br|hr|li|ul|ol|dl|dt|dd|code|tt|poem|nowiki|"
    r"gallery|includeonly|noinclude|onlyinclude)\b[^<>]*>",
    re.I,
)
# Rows and cells of tables opened by a template ({{s-start}} ... |- ... {{s-end}}): outside a
# table no prose line starts with "|" or "!".
_TABLE_RESIDUE = re.compile(r"[|!]")


def _drop_tag_pattern(tags: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(sorted((re.escape(t) for t in tags if t != "ref"), key=len, reverse=True))
    # Paired tags only, no nesting of the same tag (true for these extension tags); a tag left
    # unclosed is left to the parser.
    return re.compile(rf"<({names})\b[^>]*?(?:/>|>.*?</\1\s*>)", re.I | re.S)


def _strip_tables(text: str) -> str:
    """Remove `{| ... |}` tables (nested ones too). Table syntax starts lines; an opener never
    closed is kept as text (removing to the end of the page would lose prose) and the lines
    after it are scanned again."""
    if "{|" not in text:
        return text
    lines = text.split("\n")
    out: list[str] = []
    start = 0
    while start < len(lines):
        depth = 0
        opened_at = -1
        i = start
        while i < len(lines):
            s = lines[i].lstrip(" \t:")  # ":{|" is an indented table
            if s.startswith("{|"):
                if depth == 0:
                    opened_at = i
                depth += 1
            elif depth and s.startswith("|}"):
                depth -= 1
                if depth == 0:
                    out.append("")  # a table separates paragraphs
            elif not depth:
                out.append(lines[i])
            i += 1
        if not depth:
            break
        out.append(lines[opened_at])  # unclosed: keep its first line, rescan the rest
        start = opened_at + 1
    return "\n".join(out)


def _replace_links(text: str, is_dropped: Callable[[str], bool]) -> str:
    """Links without nested markup, by their visible text (the parser's Python tree builder
    costs ~100x more per link); repeated so that a file link whose caption held a link becomes
    simple and is dropped whole."""

    def visible(m: re.Match[str]) -> str:
        title, label = m.group(1).strip(), m.group(2)
        if title.startswith(":"):  # [[:Category:X]] is a visible link to the category page
            title = title[1:]
        elif is_dropped(title):
            return ""
        return label if label and label.strip() else title

    while "[[" in text:
        text, n = _SIMPLE_LINK.subn(visible, text)
        if not n:
            break
    return text


def _strip_templates(text: str) -> str:
    while "{{" in text:
        text, n = _INNER_TEMPLATE.subn("", text)
        if not n:
            break
    return text


def link_prefixes_from_siteinfo(namespaces: dict[int, str], keys: tuple[int, ...]) -> frozenset[str]:
    """Lower-cased link prefixes to drop: canonical names plus the dump's localised ones."""
    local = {namespaces[k].lower() for k in keys if namespaces.get(k)}
    return CANONICAL_DROPPED_LINK_PREFIXES | local


class WikitextConverter:
    """Converts the wikitext of one wiki (its localised namespace names) under one config."""

    __slots__ = ("config", "_drop_prefixes", "_drop_tags", "_drop_tag_re")

    def __init__(self, config: WikiExtractConfig, drop_link_prefixes: frozenset[str] | None = None):
        self.config = config
        self._drop_prefixes = drop_link_prefixes or CANONICAL_DROPPED_LINK_PREFIXES
        self._drop_tags = frozenset(t.lower() for t in config.drop_tags)
        self._drop_tag_re = _drop_tag_pattern(config.drop_tags)

    def __call__(self, wikitext: str) -> str:
        text = self._prepass(wikitext)
        code = mwparserfromhell.parse(text, skip_style_tags=True)
        parts: list[str] = []
        self._walk(code.nodes, parts)
        return self._layout("".join(parts))

    def _prepass(self, text: str) -> str:
        if "<!--" in text:
            text = _COMMENT.sub("", text)
        if "<" in text:
            text = _REF_SELF_CLOSING.sub("", text)
            text = _REF_PAIRED.sub("", text)
            text = self._drop_tag_re.sub("", text)
        text = _strip_tables(text)
        text = _strip_templates(text)
        text = _replace_links(text, self._is_dropped_link)
        if "__" in text:
            text = _BEHAVIOUR_SWITCH.sub("", text)
        if "''" in text:  # bold ''' and italic '' ('''''= both) are style only
            text = text.replace("'''", "").replace("''", "")
        if "\n;" in text or text.startswith(";"):
            text = _DEFINITION.sub("\\1\n:", text)
        # Without list markers the parser builds no Tag node per item (its costliest node).
        return _LIST_MARKER.sub("" if self.config.keep_lists else _LIST_LINE, text)

    def _walk(self, nodes, out: list[str]) -> None:
        # Heading text is wrapped in \x00level\x01 ... \x02 markers so `_layout` can drop headings
        # of empty sections; the markers cannot occur in XML text.
        for node in nodes:
            if isinstance(node, Text):
                out.append(node.value)
            elif isinstance(node, Wikilink):
                self._link(node, out)
            elif isinstance(node, Tag):
                self._tag(node, out)
            elif isinstance(node, Heading):
                if self.config.keep_headings:
                    out.append(f"\n\n\x00{node.level}\x01")
                    self._walk(node.title.nodes, out)
                    out.append("\x02\n\n")
                else:
                    out.append("\n")
            elif isinstance(node, HTMLEntity):
                out.append(html.unescape(str(node)))
            elif isinstance(node, ExternalLink):
                if node.title is not None and node.brackets:
                    self._walk(node.title.nodes, out)
            elif isinstance(node, (Template, Argument, Comment)):
                continue

    def _is_dropped_link(self, title: str) -> bool:
        """File/category/interlanguage links are not prose."""
        prefix, sep, _ = title.partition(":")
        if not sep:
            return False
        p = prefix.strip().lower()
        return p in self._drop_prefixes or bool(_INTERLANGUAGE.fullmatch(p) or _MEDIA_FILE.search(title))

    def _link(self, node: Wikilink, out: list[str]) -> None:
        title = str(node.title).strip()
        if title.startswith(":"):
            title = title[1:]
        elif self._is_dropped_link(title):
            return
        if node.text is not None and str(node.text).strip():
            self._walk(node.text.nodes, out)
        else:
            out.append(title)

    def _tag(self, node: Tag, out: list[str]) -> None:
        name = str(node.tag).strip().lower()
        if node.wiki_markup:  # "----" rule, or a list marker the pre-pass left (";a : b")
            if name == "hr":
                out.append("\n")
            return
        if name == "br":
            out.append("\n")
        elif name in self._drop_tags:
            return
        elif node.contents is not None:
            self._walk(node.contents.nodes, out)

    def _layout(self, text: str) -> str:
        if "[[" in text or "]]" in text:
            text = _LEFTOVER_LINK.sub(r"\1", text)
            text = text.replace("[[", "").replace("]]", "")  # unbalanced in the source
        if "<" in text:
            text = _LEFTOVER_TAG.sub("", text)
        drop_lists = not self.config.keep_lists
        lines: list[str] = []
        for line in text.split("\n"):
            # str.split() collapses every Unicode space (tabs, no-break spaces) and strips,
            # several times faster than a whitespace regex over the page.
            line = " ".join(line.split())
            if line:
                if _TABLE_RESIDUE.match(line) or (drop_lists and _LIST_LINE in line):
                    continue
            elif not lines or not lines[-1]:
                continue  # one blank line between paragraphs, none at the start
            lines.append(line)
        text = "\n".join(lines).strip()
        if not self.config.keep_headings or "\x00" not in text:
            return text
        return _drop_empty_sections(text)


_HEADING_LINE = re.compile(r"\x00(\d)\x01(.*?)\x02", re.S)


def _drop_empty_sections(text: str) -> str:
    """Paragraphs out; a heading is kept only if text follows it before the next heading of the
    same or a higher level."""
    paras = [p for p in text.split("\n\n") if p.strip()]
    kept: list[str] = []
    # Walk backwards: `has_text[l]` says whether any prose follows at a level deeper than l.
    has_text_below = [False] * 8
    for para in reversed(paras):
        m = _HEADING_LINE.fullmatch(para.strip())
        if m is None:
            if "\x00" in para:  # a heading glued to text by a single newline
                para = _HEADING_LINE.sub(lambda mm: mm.group(2).strip(), para)
            kept.append(para)
            has_text_below = [True] * 8
            continue
        level = min(int(m.group(1)), 7)
        title = " ".join(m.group(2).split())
        if has_text_below[level] and title:
            kept.append(title)
        # Text below this heading no longer counts for headings of this level or deeper.
        for lv in range(level, 8):
            has_text_below[lv] = False
    return "\n\n".join(reversed(kept))


def wikitext_to_text(
    wikitext: str,
    *,
    config: WikiExtractConfig | None = None,
    drop_link_prefixes: frozenset[str] | None = None,
) -> str:
    """Plain text of one page's wikitext under the module's policy (see module docstring).
    For many pages build one `WikitextConverter` and reuse it."""
    return WikitextConverter(config or WikiExtractConfig(), drop_link_prefixes)(wikitext)
