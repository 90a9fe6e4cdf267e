"""Discovering the pages-articles files of a Wikimedia dump from its `dumpstatus.json`.

Mirrors publish `{mirror}/{lang}wiki/{YYYYMMDD}/dumpstatus.json`:
    {"jobs": {"articlesdump": {"status": "done", "updated": "...",
                               "files": {"enwiki-20231101-pages-articles1.xml-p1p41242.bz2":
                                         {"size": 123, "url": "/enwiki/20231101/...", "md5": "...", "sha1": "..."}}},
              "articlesmultistreamdump": {...}, ...},
     "version": "0.8"}
`url` is relative to the dumps root (the mirror), not to the host."""

from __future__ import annotations

import json
import logging
import re

from ..io import join as join_uri
from .config import DownloadConfig
from .errors import DiscoveryError, DownloadError
from .read import list_names, natural_key, read_bytes
from .remote import RemoteFile

log = logging.getLogger(__name__)

_DUMP_DATE = re.compile(r"\d{8}")
_LANG = re.compile(r"[a-z][a-z0-9_-]*")
# Split parts (big wikis) and the single file (small wikis); the recombined copies of the
# split parts live in *recombine jobs, which are skipped so no page comes twice.
_ARTICLES_JOB = "articlesdump"
_MULTISTREAM_JOB = "articlesmultistreamdump"


def _job_name(multistream: bool) -> str:
    return _MULTISTREAM_JOB if multistream else _ARTICLES_JOB


def status_url(mirror: str, lang: str, dump: str) -> str:
    return join_uri(mirror, f"{lang}wiki", dump, "dumpstatus.json")


def read_dumpstatus(mirror: str, lang: str, dump: str, *, config: DownloadConfig = DownloadConfig()) -> dict:
    """The parsed dumpstatus.json of one dump. Raises DiscoveryError naming the URL."""
    url = status_url(mirror, lang, dump)
    try:
        raw = read_bytes(url, config=config)
    except DownloadError as exc:
        raise DiscoveryError(
            f"cannot read {url} (expected the dumpstatus.json of {lang}wiki dump {dump}): {exc}", url=url
        ) from exc
    try:
        status = json.loads(raw)
    except ValueError as exc:
        raise DiscoveryError(
            f"{url} is not JSON (expected a Wikimedia dumpstatus.json): {exc}", url=url
        ) from exc
    if not isinstance(status, dict) or not isinstance(status.get("jobs"), dict):
        raise DiscoveryError(f'{url} has no "jobs" object (expected a Wikimedia dumpstatus.json)', url=url)
    return status


def _job_status(status: dict, job: str) -> str:
    entry = status["jobs"].get(job)
    return entry.get("status", "missing") if isinstance(entry, dict) else "missing"


def resolve_latest(
    mirror: str, lang: str, *, multistream: bool = False, config: DownloadConfig = DownloadConfig()
) -> str:
    """Newest YYYYMMDD dump directory of `{mirror}/{lang}wiki/` whose articles job is "done".

    Newer dumps still running (or failed) are skipped: their file lists are incomplete and
    carry no checksums yet."""
    index = join_uri(mirror, f"{lang}wiki") + "/"
    try:
        names = list_names(index, config=config)
    except DownloadError as exc:
        raise DiscoveryError(
            f"cannot list {index} (expected an index of YYYYMMDD dump directories): {exc}", url=index
        ) from exc
    dates = sorted((n for n in names if _DUMP_DATE.fullmatch(n)), reverse=True)
    if not dates:
        raise DiscoveryError(f"{index} lists no YYYYMMDD dump directories (found {names[:10]})", url=index)
    job = _job_name(multistream)
    for date in dates:
        try:
            state = _job_status(read_dumpstatus(mirror, lang, date, config=config), job)
        except DiscoveryError as exc:
            log.warning("skipping %swiki %s: %s", lang, date, exc)
            continue
        if state == "done":
            log.info("%swiki latest complete dump: %s", lang, date)
            return date
        log.info("skipping %swiki %s: %s is %r", lang, date, job, state)
    raise DiscoveryError(f"no dump under {index} has {job} done (tried {', '.join(dates)})", url=index)


def discover_wikipedia(
    mirror: str,
    lang: str,
    dump: str,
    *,
    max_files: int | None = None,
    multistream: bool = False,
    config: DownloadConfig = DownloadConfig(),
) -> list[RemoteFile]:
    """The pages-articles files of `{lang}wiki` dump `dump` (YYYYMMDD or "latest") on `mirror`
    (https://dumps.wikimedia.org, a mirror's dumps root, s3://bucket/prefix or a local path).

    Files come in natural name order (part 2 before part 10, then page ranges), which is the
    order of page ids; `max_files` keeps the first ones. `multistream` picks the multistream
    files (their `-index` companions are left out)."""
    if not _LANG.fullmatch(lang):
        raise ValueError(f"lang={lang!r} is not a Wikipedia language code (e.g. 'en', 'zh_yue')")
    if dump != "latest" and not _DUMP_DATE.fullmatch(dump):
        raise ValueError(f"dump={dump!r} must be a date YYYYMMDD or 'latest'")
    if max_files is not None and max_files < 1:
        raise ValueError(f"max_files={max_files!r} must be >= 1 or None")
    if dump == "latest":
        dump = resolve_latest(mirror, lang, multistream=multistream, config=config)

    url = status_url(mirror, lang, dump)
    status = read_dumpstatus(mirror, lang, dump, config=config)
    job = _job_name(multistream)
    state = _job_status(status, job)
    if state != "done":
        raise DiscoveryError(f'{url}: job {job} is {state!r}, expected "done" (dump not finished)', url=url)
    files = status["jobs"][job].get("files") or {}
    out = []
    for name in sorted(files, key=natural_key):
        if "-index" in name or not name.endswith(".bz2"):
            continue
        meta = files[name]
        if not isinstance(meta, dict) or "url" not in meta:
            raise DiscoveryError(f'{url}: file {name} has no "url" (expected size/url/md5/sha1)', url=url)
        out.append(
            RemoteFile(
                uri=join_uri(mirror, meta["url"]),
                name=name,
                size=int(meta["size"]) if meta.get("size") is not None else None,
                md5=meta.get("md5"),
                sha1=meta.get("sha1"),
            )
        )
    if not out:
        raise DiscoveryError(f"{url}: job {job} lists no .bz2 article files", url=url)
    return out[:max_files]
