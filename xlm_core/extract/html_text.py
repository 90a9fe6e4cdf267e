"""HTML -> plain text with a maintained extractor: resiliparse if installed, else trafilatura.

Neither is a core dependency (WET files already hold text); raw WARC HTML needs the `html`
extra (`pip install xlm-pipeline[html]`, i.e. resiliparse).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable

HtmlToText = Callable[[str], str]


def html_extractor(*, main_content: bool = True) -> HtmlToText:
    """A function from decoded HTML to plain text (blocks on their own lines)."""
    try:
        from resiliparse.extract.html2text import extract_plain_text
    except ImportError:
        pass
    else:

        def resiliparse_text(html: str) -> str:
            return extract_plain_text(html, preserve_formatting=True, main_content=main_content)

        return resiliparse_text
    try:
        import trafilatura
    except ImportError:
        raise ImportError(
            "HTML extraction from WARC response records needs resiliparse (preferred) or "
            "trafilatura: install the 'html' extra, e.g. `pip install 'xlm-pipeline[html]'` "
            "(or `pip install resiliparse`), or read WET files instead (warc.html=false)"
        ) from None

    def trafilatura_text(html: str) -> str:
        return trafilatura.extract(html, favor_recall=not main_content) or ""

    return trafilatura_text


def html_charset(body: bytes, content_type: str | None) -> str:
    """Charset of an HTML payload: the HTTP header's, else resiliparse's detector (it reads
    <meta charset> and guesses), else UTF-8. Always a Python codec name."""
    charset = None
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
    if not charset:
        try:
            from resiliparse.parse.encoding import detect_encoding
        except ImportError:
            charset = "utf-8"
        else:
            charset = detect_encoding(body[:65536])
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return "utf-8"
