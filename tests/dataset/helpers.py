"""Spec builders for the build tests, over the real samples bundled in data_specs/samples."""

from __future__ import annotations

import filecmp
from pathlib import Path

import yaml

from tests.conftest import SAMPLES

WIKI = {lang: str(SAMPLES / "wiki" / f"{lang}wiki-sample-pages-articles.xml.bz2") for lang in ("en", "nl", "uk")}
WET = str(SAMPLES / "commoncrawl" / "CC-MAIN-2026-12-wet-head263.warc.wet.gz")
LANGS = ["en", "nl", "uk", "ru", "zh", "de", "ja"]


def small_spec(tmp_path: Path, output: str, *, wiki=WIKI, wet=WET, name="small", **extra) -> str:
    sources = [{"type": "wikipedia", "language": lang, "dump": "20230501", "files": [path]}
               for lang, path in wiki.items()]
    if wet:
        sources.append({"type": "commoncrawl", "crawl": "CC-MAIN-2026-12", "files": [wet]})
    spec = {"name": name, "languages": LANGS, "sources": sources, "output": output,
            "shards": {"max_bytes": 200_000}, **extra}
    path = tmp_path / f"{name}-{abs(hash(output)) % 10**8}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return str(path)


def same_tree(a: Path, b: Path) -> list[str]:
    """Relative paths whose bytes differ (or exist on one side only) between two version dirs."""
    fa = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    fb = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    diff = sorted(fa ^ fb)
    diff += [f for f in sorted(fa & fb) if not filecmp.cmp(a / f, b / f, shallow=False)]
    return diff
