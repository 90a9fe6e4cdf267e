"""Line-level cleanup of web text: drop navigation/legal boilerplate lines and lines without a
single letter, keep the rest verbatim. Only short lines are judged as boilerplate, so a paragraph
that merely mentions "cookies" survives."""

from __future__ import annotations

import re
from collections import Counter

from .config import FilterConfig

# Phrases of site chrome (C4 / FineWeb line rules and what the CC WET sample shows), several
# languages. Matched case-insensitively anywhere in a short line.
BOILERPLATE = re.compile(
    "|".join(
        [
            r"\bcookies?\b", r"javascript", r"privacy policy", r"terms (of|and) (use|service|conditions)",
            r"all rights reserved", r"©", r"\bcopyright\b", r"lorem ipsum", r"\bsign (in|up)\b",
            r"\blog ?(in|out)\b", r"\bsubscribe\b", r"newsletter", r"click here", r"read more",
            r"skip to (main )?content", r"\bshare (this|on)\b", r"follow us", r"powered by",
            r"datenschutz", r"impressum", r"mentions légales", r"politique de confidentialité",
            r"política de privacidad", r"todos los derechos reservados", r"tous droits réservés",
            r"alle rechte vorbehalten", r"隐私政策", r"版权所有", r"プライバシーポリシー",
        ]
    ),
    re.IGNORECASE,
)


def clean_lines(text: str, cfg: FilterConfig, stats: Counter) -> str:
    """Text without boilerplate lines; blank lines are kept so paragraphs stay paragraphs."""
    out = []
    for line in text.split("\n"):
        s = line.strip()
        if not s:
            out.append(line)
            continue
        if not any(c.isalpha() for c in s):
            stats["lines_removed.no_letters"] += 1
            continue
        if len(s.split()) <= cfg.boilerplate_max_words and BOILERPLATE.search(s):
            stats["lines_removed.boilerplate"] += 1
            continue
        out.append(line)
    # Runs of blank lines left by removed lines collapse to one paragraph break.
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
