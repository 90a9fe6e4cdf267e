"""Synthetic Common Crawl: WET files of novel text in the 15 XNLI languages, with planted exact
copies, near copies, junk pages and off-language pages, and a sidecar saying which is which.

    .venv/bin/python bench/synth_crawl.py --scale 1 --out /tmp/crawl [--files N] [--seed 0] [--check-lid 200]

Text: per language, a word-bigram model (characters, order 2, for zh/th/ja) fitted on the real
sentences of ../shared/data (XNLI 1.0 dev + test premises and hypotheses, Tatoeba/LASER), sampled
with a seeded RNG, mixed with 10% unigram jumps so sentences are new text, not training sentences
replayed. Every line of every clean page is new across the whole crawl (checked against a set of
64-bit line hashes), so exact line dedup has nothing to remove but what was planted. Wikipedia is
not used: its excerpts cover 3 of the 15 languages and would make those statistically different.

Pages (proportions of the records at any scale):
- clean, ~80%: 2-3 paragraphs (one per line) of 2-4 sentences, languages skewed like a web crawl
  (en 4×, de fr es ru zh 2×, vi 1.5×, sw ur 0.5×, the others 1×).
- exact copies, 5%: the text of an earlier clean page under another URL/record id.
- near copies, 5%: each has an original (a clean page of 2 paragraphs × 3 long sentences, listed
  as clean) and, up to one file's worth of records later, a copy with one word (characters for zh/th) replaced in
  every line, more until the 5-gram Jaccard (normalised as xlm_core.dedup.shingles does) is
  <= 0.88; every line differs, so line dedup cannot remove the copy piecemeal and the pair is a
  MinHash case. The Jaccard of each pair is in the sidecar.
- junk, 6%: `nav` (menu/link lines), `symbols` (symbol strings), `repeated` (one line 15 times),
  `too_short` (one sentence), `lorem` (lorem ipsum), 1.2% each.
- off-language, 4%: it, pt, nl, pl, ja pages (Tatoeba models): language ID should drop them.

Files: `CC-MAIN-2026-12-synth-s<seed>-<nnnnn>.warc.wet.gz`, a `warcinfo` record then `conversion`
records (WARC-Target-URI, WARC-Date, WARC-Record-ID, WARC-Refers-To, WARC-Block-Digest,
Content-Type, Content-Length), CRLF headers, one gzip member per record, as CC writes them; no
WARC-Identified-Content-Language (the label would be the answer). Sidecar `truth.json`: the
parameters, per-file counts, clean record ids per language, and each planted record with what it
copies. Record ids are the WARC-Record-ID header values, so a build's document id is
`xlm_core.document.document_id("commoncrawl", record_id)`.

Deterministic: the same --seed, --scale and --files give byte-identical files on any machine.
"""

from __future__ import annotations

import argparse
import base64
import csv
import gzip
import hashlib
import itertools
import json
import os
import random
import re
import sys
import time
import unicodedata
import uuid
from collections import Counter, defaultdict, deque
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"

LANGUAGES = (
    "en",
    "fr",
    "es",
    "de",
    "el",
    "bg",
    "ru",
    "tr",
    "ar",
    "vi",
    "th",
    "zh",
    "hi",
    "sw",
    "ur",
)
WEIGHTS = {
    "en": 4,
    "de": 2,
    "fr": 2,
    "es": 2,
    "ru": 2,
    "zh": 2,
    "vi": 1.5,
    "sw": 0.5,
    "ur": 0.5,
}
OFF_LANGUAGES = ("it", "pt", "nl", "pl", "ja")
CHAR_LANGUAGES = frozenset({"zh", "th", "ja"})
# Tatoeba/LASER file codes (ISO 639-3) of the languages used here.
TATOEBA = {
    "ar": "ara",
    "bg": "bul",
    "de": "deu",
    "el": "ell",
    "es": "spa",
    "fr": "fra",
    "hi": "hin",
    "ru": "rus",
    "sw": "swh",
    "th": "tha",
    "tr": "tur",
    "ur": "urd",
    "vi": "vie",
    "zh": "cmn",
    "it": "ita",
    "pt": "por",
    "nl": "nld",
    "pl": "pol",
    "ja": "jpn",
}
# Letters of the script of the languages whose training sentences are checked for it (XNLI's hi
# has romanised hypotheses, ur/ar some Latin ones).
_AR, _CY = "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff", "\u0400-\u04ff"
SCRIPT = {
    lang: re.compile(f"[{ranges}]")
    for lang, ranges in {
        "ar": _AR,
        "ur": _AR,
        "bg": _CY,
        "ru": _CY,
        "el": "\u0370-\u03ff\u1f00-\u1fff",
        "hi": "\u0900-\u097f",
        "th": "\u0e00-\u0e7f",
        "zh": "\u3400-\u4dbf\u4e00-\u9fff",
    }.items()
}
_LETTER = re.compile(r"[^\W\d_]")
FULL_STOP = {"zh": "。", "ja": "。", "hi": "।", "ur": "۔", "th": ""}
TLD = {
    "en": "com",
    "fr": "fr",
    "es": "es",
    "de": "de",
    "el": "gr",
    "bg": "bg",
    "ru": "ru",
    "tr": "com.tr",
    "ar": "com",
    "vi": "vn",
    "th": "co.th",
    "zh": "cn",
    "hi": "in",
    "sw": "co.ke",
    "ur": "pk",
    "it": "it",
    "pt": "com.br",
    "nl": "nl",
    "pl": "pl",
    "ja": "jp",
}

P_EXACT, P_NEAR, P_JUNK, P_OFF = 0.05, 0.05, 0.06, 0.04
JUNK_KINDS = ("nav", "symbols", "repeated", "too_short", "lorem")
DOCS_PER_SCALE = 21_900
FILES_PER_SCALE = 4
NEAR_MAX_JACCARD = 0.88
WARC_DATE = "2026-03-05T{:02d}:{:02d}:{:02d}Z"

LOREM = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
    "enim",
    "ad",
    "minim",
    "veniam",
    "quis",
    "nostrud",
    "exercitation",
    "ullamco",
    "laboris",
    "nisi",
    "aliquip",
    "ex",
    "ea",
    "commodo",
    "consequat",
    "duis",
    "aute",
    "irure",
    "in",
    "reprehenderit",
    "voluptate",
    "velit",
    "esse",
    "cillum",
    "eu",
    "fugiat",
    "nulla",
    "pariatur",
    "excepteur",
    "sint",
    "occaecat",
    "cupidatat",
    "non",
    "proident",
    "sunt",
    "culpa",
    "qui",
    "officia",
    "deserunt",
    "mollit",
    "anim",
    "id",
    "est",
    "laborum",
    "curabitur",
    "pretium",
    "tincidunt",
    "lacus",
    "nulla",
    "gravida",
    "orci",
    "a",
    "odio",
    "nullam",
    "varius",
    "turpis",
    "et",
    "commodo",
    "pharetra",
    "est",
    "eros",
    "bibendum",
    "elit",
    "nec",
    "luctus",
    "magna",
    "felis",
    "sollicitudin",
    "mauris",
    "integer",
    "dignissim",
]
NAV_EN = [
    "Home",
    "About us",
    "Contact",
    "News",
    "Blog",
    "Login",
    "Register",
    "Search",
    "Cart (0)",
    "Privacy Policy",
    "Terms of Use",
    "FAQ",
    "Sitemap",
    "Shop",
    "Categories",
    "Archives",
    "Next »",
    "« Previous",
    "Top",
    "Menu",
    "Follow us",
    "RSS",
    "Help",
    "Careers",
    "Share",
]
SYMBOLS = "#$%&*+=<>@^~|/\\★☆■□●○◆◇→←↑↓♦♣♠♥©®™§¶•…"


# --- language models ------------------------------------------------------------------------
def load_sentences(data: Path) -> dict[str, list[str]]:
    """Real sentences per language (first occurrence order, deduplicated)."""
    out: dict[str, dict[str, None]] = defaultdict(dict)
    for name in ("xnli.dev.tsv.gz", "xnli.test.tsv.gz"):
        with gzip.open(data / "xnli" / name, "rt", encoding="utf-8") as f:
            for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                if row[0] in LANGUAGES:
                    for s in row[2:4]:
                        out[row[0]][s.strip()] = None
    code_of = {v: k for k, v in TATOEBA.items()}
    with gzip.open(
        data / "parallel" / "tatoeba_laser_v1.tsv.gz", "rt", encoding="utf-8"
    ) as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row[0] in code_of:
                out[code_of[row[0]]][row[1].strip()] = None
            if row[0] in ("deu", "fra") and len(row) > 2:  # each English side once
                out["en"][row[2].strip()] = None
    return {
        lang: [s for s in sents if s and _in_script(s, lang)]
        for lang, sents in out.items()
    }


def _in_script(sentence: str, lang: str) -> bool:
    script = SCRIPT.get(lang)
    if script is None:
        return True
    letters = len(_LETTER.findall(sentence))
    return letters > 0 and len(script.findall(sentence)) >= 0.7 * letters


class WordModel:
    """Word bigrams of real sentences; a sentence walks them from a real sentence start."""

    JUMP = 0.10  # chance of a unigram draw instead of a bigram step: breaks verbatim replays

    def __init__(self, sentences: list[str], lang: str):
        self.lang, self.stop = lang, FULL_STOP.get(lang, ".")
        succ: dict[str, list[str | None]] = defaultdict(list)
        self.starts, self.words = [], []
        for s in sentences:
            toks = s.split()
            if len(toks) < 2:
                continue
            self.starts.append(toks[0])
            for a, b in itertools.pairwise(toks):
                succ[a].append(b)
            succ[toks[-1]].append(None)
            self.words.extend(toks)
        self.succ = dict(succ)
        self.letters = [
            w for w in dict.fromkeys(self.words) if w.isalpha() and len(w) > 2
        ]

    def sentence(self, rng: random.Random, lo: int, hi: int) -> str:
        best: list[str] = []
        for _ in range(8):
            out = [rng.choice(self.starts)]
            while len(out) < hi:
                if rng.random() < self.JUMP:
                    w = rng.choice(self.words)
                else:
                    w = rng.choice(self.succ.get(out[-1]) or (None,))
                    if w is None:
                        break
                out.append(w)
            if len(out) >= lo:
                best = out
                break
            if len(out) > len(best):
                best = out
        s = " ".join(best)
        if self.stop and not unicodedata.category(s[-1]).startswith("P"):
            s += self.stop
        return s

    def join(self, sentences: list[str]) -> str:
        return " ".join(sentences)

    def short(self, rng: random.Random, lo: int, hi: int) -> str:
        return " ".join(rng.choice(self.letters) for _ in range(rng.randint(lo, hi)))

    def replacement(self, rng: random.Random) -> str:
        return rng.choice(self.letters)


class CharModel:
    """Character trigrams (two characters of context) for scripts written without spaces."""

    BOS, EOS = "\x02", "\x03"

    def __init__(self, sentences: list[str], lang: str):
        self.lang, self.stop = lang, FULL_STOP.get(lang, "")
        succ: dict[str, list[str]] = defaultdict(list)
        for s in sentences:
            ctx = self.BOS * 2
            for c in s + self.EOS:
                succ[ctx].append(c)
                ctx = ctx[1] + c
        self.succ = dict(succ)
        self.letters = [c for c in dict.fromkeys("".join(sentences)) if c.isalpha()]

    def sentence(self, rng: random.Random, lo: int, hi: int) -> str:
        # lo/hi are words for word languages; about 2.5 characters make a word here (zh ~1.5, th ~4)
        lo, hi = int(lo * 2.5), int(hi * 2.5)
        best = ""
        for _ in range(8):
            out, ctx = [], self.BOS * 2
            while len(out) < hi:
                c = rng.choice(self.succ.get(ctx) or (self.EOS,))
                if c == self.EOS:
                    break
                out.append(c)
                ctx = ctx[1] + c
            if len(out) >= lo:
                best = "".join(out)
                break
            if len(out) > len(best):
                best = "".join(out)
        best = best.strip()
        if self.stop and best and not unicodedata.category(best[-1]).startswith("P"):
            best += self.stop
        return best

    def join(self, sentences: list[str]) -> str:
        return (" " if self.lang == "th" else "").join(sentences)

    def short(self, rng: random.Random, lo: int, hi: int) -> str:
        return "".join(rng.choice(self.letters) for _ in range(rng.randint(lo, hi) * 2))

    def replacement(self, rng: random.Random) -> str:
        return rng.choice(self.letters)


def build_models(data: Path) -> dict:
    sentences = load_sentences(data)
    missing = [
        lang
        for lang in (*LANGUAGES, *OFF_LANGUAGES)
        if len(sentences.get(lang, ())) < 200
    ]
    if missing:
        raise SystemExit(f"too few training sentences for {missing} under {data}")
    return {
        lang: (CharModel if lang in CHAR_LANGUAGES else WordModel)(
            sentences[lang], lang
        )
        for lang in (*LANGUAGES, *OFF_LANGUAGES)
    }


# --- near-copy Jaccard, normalised as xlm_core.dedup.shingles does ----------------------------
def _normalise(text: str, char_based: bool) -> list[str]:
    t = unicodedata.normalize("NFKC", text).lower()
    if char_based:
        return [
            c for c in t if not c.isspace() and unicodedata.category(c)[0] not in "PSN"
        ]
    return "".join(" " if unicodedata.category(c)[0] in "PSN" else c for c in t).split()


def shingle_jaccard(a: str, b: str, char_based: bool, n: int = 5) -> float:
    ta, tb = _normalise(a, char_based), _normalise(b, char_based)
    sa = {tuple(ta[i : i + n]) for i in range(max(len(ta) - n + 1, 1))}
    sb = {tuple(tb[i : i + n]) for i in range(max(len(tb) - n + 1, 1))}
    return len(sa & sb) / len(sa | sb)


# --- pages ----------------------------------------------------------------------------------
class Crawl:
    """Draws pages in record order; holds the line-hash set and the pools copies come from."""

    def __init__(self, models: dict, rng: random.Random):
        self.models, self.rng = models, rng
        self.seen_lines: set[bytes] = set()
        self.pool: deque = deque(
            maxlen=4096
        )  # (record_id, lang, text) of recent clean pages
        langs = list(LANGUAGES)
        self.lang_cum = list(_cumulative([WEIGHTS.get(lang, 1.0) for lang in langs]))
        self.langs = langs

    def language(self) -> str:
        return self.rng.choices(self.langs, cum_weights=self.lang_cum)[0]

    def _new_line(self, model, n_sentences: int, lo: int, hi: int) -> str:
        for _ in range(50):
            line = model.join(
                [model.sentence(self.rng, lo, hi) for _ in range(n_sentences)]
            )
            key = hashlib.blake2b(
                " ".join(line.lower().split()).encode(), digest_size=8
            ).digest()
            if key not in self.seen_lines:
                self.seen_lines.add(key)
                return line
        raise RuntimeError(f"{model.lang}: could not draw a new line in 50 tries")

    def clean(self, lang: str) -> str:
        model = self.models[lang]
        n_par = self.rng.choice((2, 2, 3))
        return "\n".join(
            self._new_line(model, self.rng.randint(2, 4), 8, 30) for _ in range(n_par)
        )

    def near_original(self, lang: str) -> str:
        # Long enough that one edit per line leaves a 5-gram Jaccard near 0.85 (2 edits of 5
        # shingles each out of >= ~120): 110 words, or 170 letters without spaces.
        model, char_based = self.models[lang], lang in CHAR_LANGUAGES
        text = ""
        for _ in range(20):
            text = "\n".join(self._new_line(model, 3, 14, 30) for _ in range(2))
            if len(_normalise(text, char_based)) >= (170 if char_based else 110):
                break
        return text

    def near_copy(self, lang: str, text: str) -> tuple[str, float, int]:
        """`text` with one word (character) replaced per line, then more until Jaccard <= 0.88."""
        model, char_based = self.models[lang], lang in CHAR_LANGUAGES
        lines = [
            list(line) if char_based else line.split(" ") for line in text.split("\n")
        ]
        joiner = "" if char_based else " "

        def edit(toks):
            inner = [
                i
                for i, t in enumerate(toks)
                if (t.isalpha() if char_based else any(c.isalpha() for c in t))
            ]
            inner = inner[4:-4] or inner
            i = self.rng.choice(inner)
            new = model.replacement(self.rng)
            while new == toks[i]:
                new = model.replacement(self.rng)
            toks[i] = new

        for toks in lines:
            edit(toks)
        edits = len(lines)
        copy = "\n".join(joiner.join(t) for t in lines)
        jac = shingle_jaccard(text, copy, char_based)
        while jac > NEAR_MAX_JACCARD and edits < 12:
            edit(self.rng.choice(lines))
            edits += 1
            copy = "\n".join(joiner.join(t) for t in lines)
            jac = shingle_jaccard(text, copy, char_based)
        for line in copy.split("\n"):
            self.seen_lines.add(
                hashlib.blake2b(
                    " ".join(line.lower().split()).encode(), digest_size=8
                ).digest()
            )
        return copy, jac, edits

    def junk(self, kind: str, lang: str) -> str:
        rng, model = self.rng, self.models[lang]
        if kind == "nav":
            items = []
            for _ in range(rng.randint(15, 40)):
                r = rng.random()
                if r < 0.4:
                    items.append(rng.choice(NAV_EN))
                elif r < 0.8:
                    items.append(
                        model.short(rng, 1, 3).title()
                        if lang not in CHAR_LANGUAGES
                        else model.short(rng, 1, 3)
                    )
                else:
                    items.append(
                        " | ".join(rng.choice(NAV_EN) for _ in range(rng.randint(2, 5)))
                    )
            items.append(f"© 2026 {model.short(rng, 1, 2)}. All rights reserved.")
            return "\n".join(items)
        if kind == "symbols":
            return "\n".join(
                " ".join(
                    "".join(rng.choice(SYMBOLS) for _ in range(rng.randint(1, 6)))
                    for _ in range(rng.randint(3, 12))
                )
                for _ in range(rng.randint(10, 30))
            )
        if kind == "repeated":
            line = self._new_line(model, 2, 8, 20)
            return "\n".join([line] * 15)
        if kind == "too_short":
            return model.sentence(rng, 3, 8)
        # lorem ipsum: new Latin filler each time (so only LID, not dedup, can catch it)
        paras = []
        for _ in range(rng.randint(2, 4)):
            sents = []
            for _ in range(rng.randint(3, 6)):
                words = [rng.choice(LOREM) for _ in range(rng.randint(8, 16))]
                sents.append(" ".join(words).capitalize() + ".")
            paras.append(" ".join(sents))
        return "\n".join(paras)

    def off_language(self, lang: str) -> str:
        model = self.models[lang]
        return "\n".join(
            self._new_line(model, self.rng.randint(2, 4), 8, 30)
            for _ in range(self.rng.choice((2, 3)))
        )


def _cumulative(ws):
    total = 0.0
    for w in ws:
        total += w
        yield total


# --- WET writing ----------------------------------------------------------------------------
def _record(headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    head += f"Content-Length: {len(body)}\r\n\r\n"
    return gzip.compress(head.encode() + body + b"\r\n\r\n", compresslevel=6, mtime=0)


def _uuid(rng: random.Random) -> str:
    return f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}>"


def warcinfo(filename: str, rng: random.Random) -> bytes:
    body = (
        b"Software-Info: xlm-pipeline bench/synth_crawl.py\r\n"
        b"isPartOf: CC-MAIN-2026-12\r\n"
        b"description: Synthetic crawl for benchmarks (novel text from bigram models)\r\n"
        b"publisher: xlm-pipeline bench\r\n"
    )
    return _record(
        [
            ("WARC-Type", "warcinfo"),
            ("WARC-Date", "2026-03-17T19:17:27Z"),
            ("WARC-Filename", filename),
            ("WARC-Record-ID", _uuid(rng)),
            ("Content-Type", "application/warc-fields"),
        ],
        body,
    )


def conversion(
    record_id: str, url: str, date: str, text: str, rng: random.Random
) -> bytes:
    body = text.encode("utf-8")
    digest = base64.b32encode(hashlib.sha1(body).digest()).decode()
    return _record(
        [
            ("WARC-Type", "conversion"),
            ("WARC-Target-URI", url),
            ("WARC-Date", date),
            ("WARC-Record-ID", record_id),
            ("WARC-Refers-To", _uuid(rng)),
            ("WARC-Block-Digest", f"sha1:{digest}"),
            ("Content-Type", "text/plain"),
        ],
        body,
    )


def _host(rng: random.Random, lang: str) -> str:
    name = "".join(
        rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(5, 10))
    )
    return f"https://www.{name}.{TLD.get(lang, 'com')}"


# --- the crawl ------------------------------------------------------------------------------
def generate(
    out: Path,
    *,
    scale: float,
    files: int | None,
    seed: int,
    data: Path = DATA,
    log=print,
) -> dict:
    """Write the WET files and truth.json under `out`; returns the truth dict."""
    n_docs = max(1, round(DOCS_PER_SCALE * scale))
    n_files = files or max(1, round(FILES_PER_SCALE * scale))
    rng = random.Random(seed)
    models = build_models(data)
    crawl = Crawl(models, rng)
    out.mkdir(parents=True, exist_ok=True)
    names = [
        f"CC-MAIN-2026-12-synth-s{seed}-{i:05d}.warc.wet.gz" for i in range(n_files)
    ]
    per_file = [
        n_docs // n_files + (1 if i < n_docs % n_files else 0) for i in range(n_files)
    ]
    truth = {
        "generator": "bench/synth_crawl.py",
        "seed": seed,
        "scale": scale,
        "documents": n_docs,
        "files": names,
        "per_file": [],
        "clean": defaultdict(list),
        "exact_copies": [],
        "near_copies": [],
        "junk": [],
        "off_language": [],
    }
    pending: list[
        tuple[int, str, str, str]
    ] = []  # (due slot, original id, lang, text) of near copies
    slot, n_bytes = 0, 0
    span = max(
        1, n_docs // n_files
    )  # a near copy lands up to one file's worth of records later
    for fi, name in enumerate(names):
        kinds = Counter()
        tmp = out / f".{name}.tmp-{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(warcinfo(name, rng))
            for _ in range(per_file[fi]):
                rid, r = _uuid(rng), rng.random()
                if pending and (pending[0][0] <= slot or n_docs - slot <= len(pending)):
                    _, orig_id, lang, orig = pending.pop(0)
                    text, jac, edits = crawl.near_copy(lang, orig)
                    truth["near_copies"].append(
                        {
                            "id": rid,
                            "of": orig_id,
                            "language": lang,
                            "jaccard": round(jac, 4),
                            "edits": edits,
                        }
                    )
                    kind = "near_copy"
                elif r < P_EXACT and crawl.pool:
                    orig_id, lang, text = rng.choice(crawl.pool)
                    truth["exact_copies"].append(
                        {"id": rid, "of": orig_id, "language": lang}
                    )
                    kind = "exact_copy"
                elif r < P_EXACT + P_NEAR:
                    lang = crawl.language()
                    text = crawl.near_original(lang)
                    due = min(slot + rng.randint(1, span), n_docs - 1)
                    pending.append((due, rid, lang, text))
                    pending.sort(key=lambda p: p[0])
                    truth["clean"][lang].append(rid)
                    kind = "clean"
                elif r < P_EXACT + P_NEAR + P_JUNK:
                    kind_j = rng.choice(JUNK_KINDS)
                    lang = crawl.language()
                    text = crawl.junk(kind_j, lang)
                    truth["junk"].append({"id": rid, "kind": kind_j, "language": lang})
                    kind = f"junk.{kind_j}"
                elif r < P_EXACT + P_NEAR + P_JUNK + P_OFF:
                    lang = rng.choice(OFF_LANGUAGES)
                    text = crawl.off_language(lang)
                    truth["off_language"].append({"id": rid, "language": lang})
                    kind = "off_language"
                else:
                    lang = crawl.language()
                    text = crawl.clean(lang)
                    truth["clean"][lang].append(rid)
                    crawl.pool.append((rid, lang, text))
                    kind = "clean"
                kinds[kind] += 1
                url = f"{_host(rng, lang)}/{rng.choice(('news', 'blog', 'article', 'p', 'wiki'))}/{slot}.html"
                date = WARC_DATE.format(
                    rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
                )
                rec = conversion(rid, url, date, text, rng)
                n_bytes += len(rec)
                f.write(rec)
                slot += 1
        os.replace(tmp, out / name)
        truth["per_file"].append(
            {
                "file": name,
                "documents": per_file[fi],
                "kinds": dict(sorted(kinds.items())),
            }
        )
        log(f"{name}: {per_file[fi]} documents ({dict(sorted(kinds.items()))})")
    truth["clean"] = {k: truth["clean"][k] for k in sorted(truth["clean"])}
    jacs = sorted(n["jaccard"] for n in truth["near_copies"])
    truth["summary"] = {
        "clean_per_language": {k: len(v) for k, v in truth["clean"].items()},
        "exact_copies": len(truth["exact_copies"]),
        "near_copies": len(truth["near_copies"]),
        "near_jaccard_min_median_max": [jacs[0], jacs[len(jacs) // 2], jacs[-1]]
        if jacs
        else None,
        "junk": dict(sorted(Counter(j["kind"] for j in truth["junk"]).items())),
        "off_language": len(truth["off_language"]),
        "compressed_bytes": n_bytes,
    }
    tmp = out / f".truth.json.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(truth, ensure_ascii=False))
    os.replace(tmp, out / "truth.json")
    return truth


def check_lid(
    out: Path, per_language: int, thresholds: dict[str, float] | None = None
) -> list[dict]:
    """Read the WET files back with xlm_core's reader and run xlm_core.langid on up to
    `per_language` clean pages per language (and every off-language and lorem page (`off:` rows). Returns one row per language: top-1 accuracy and the share routed (right label, score
    >= the language's threshold)."""
    sys.path.insert(0, str(REPO))
    from xlm_core.document import document_id
    from xlm_core.extract import iter_warc
    from xlm_core.langid import LangIdConfig, LanguageIdentifier

    truth = json.loads((out / "truth.json").read_text())
    want = {}
    for lang, ids in truth["clean"].items():
        for rid in ids[:per_language]:
            want[document_id("commoncrawl", rid)] = lang
    for o in truth["off_language"]:
        want[document_id("commoncrawl", o["id"])] = "off:" + o["language"]
    for j in truth["junk"]:
        if j["kind"] == "lorem":
            want[document_id("commoncrawl", j["id"])] = (
                "off:la"  # lorem ipsum: Latin is the right answer
            )
    thresholds = thresholds or {}
    lid = LanguageIdentifier(LangIdConfig())
    texts, labels = [], []
    for name in truth["files"]:
        for doc in iter_warc(str(out / name), dump="CC-MAIN-2026-12"):
            if doc.id in want:
                texts.append(doc.text)
                labels.append(want[doc.id])
    preds = lid.predict(texts)
    rows: dict[str, Counter] = defaultdict(Counter)
    for label, (pred, p) in zip(labels, preds):
        c = rows[label]
        c["n"] += 1
        c["top1"] += pred == label.removeprefix("off:")
        c["routed"] += pred == label and p >= thresholds.get(label, 0.5)
        c["p_sum"] += p
        if label.startswith("off:"):
            c["wanted"] += pred in LANGUAGES and p >= thresholds.get(pred, 0.5)
    return [{"language": k, **dict(v)} for k, v in sorted(rows.items())]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--scale", type=float, default=1.0, help=f"1 = {DOCS_PER_SCALE} documents"
    )
    ap.add_argument(
        "--files",
        type=int,
        default=None,
        help=f"WET files (default {FILES_PER_SCALE} × scale)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--out", required=True, help="folder for the WET files and truth.json"
    )
    ap.add_argument("--data", default=str(DATA), help="../shared/data (XNLI, Tatoeba)")
    ap.add_argument(
        "--check-lid",
        type=int,
        default=0,
        metavar="N",
        help="afterwards, run xlm_core.langid on N clean pages per language and print accuracy",
    )
    args = ap.parse_args(argv)
    out = Path(args.out)
    truth = generate(
        out, scale=args.scale, files=args.files, seed=args.seed, data=Path(args.data)
    )
    print(json.dumps(truth["summary"], ensure_ascii=False, indent=1))
    # Printed, not kept in truth.json: that file is deterministic.
    print(f"generator CPU s: {time.process_time():.1f}")
    if args.check_lid:
        print_lid(check_lid(out, args.check_lid, {"sw": 0.3, "ur": 0.4}))
    return 0


def print_lid(rows: list[dict]) -> None:
    print("| language | pages | top-1 correct | routed (p >= threshold) | mean p |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        if r["language"].startswith("off:"):
            print(
                f"| {r['language']} | {r['n']} | {r['top1'] / r['n']:.1%} | kept as a wanted language: "
                f"{r.get('wanted', 0) / r['n']:.1%} | {r['p_sum'] / r['n']:.2f} |"
            )
        else:
            print(
                f"| {r['language']} | {r['n']} | {r['top1'] / r['n']:.1%} | {r['routed'] / r['n']:.1%} | "
                f"{r['p_sum'] / r['n']:.2f} |"
            )


if __name__ == "__main__":
    sys.exit(main())
