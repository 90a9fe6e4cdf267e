"""Turn the spec's `sources` into a deterministic list of input files (discovering remote dumps)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input file: the unit of work of the first half of the build."""

    index: int
    """Position in plan order; fixes the order units are concatenated in (first occurrence wins in dedup)."""
    source_index: int
    """Which `sources[i]` it came from (named in errors and warnings)."""
    kind: str
    """wikipedia | wet | warc"""
    uri: str
    """Where to read it from: a local path, https:// or s3:// URI."""
    source_file: str
    """What rows record as `source_file`: the spec entry as written, or the remote URL (never a
    machine-specific absolute path, so builds on two machines are byte-identical)."""
    language: str | None = None
    dump: str | None = None
    size: int | None = None
    md5: str | None = None
    sha1: str | None = None

    @property
    def is_remote(self) -> bool:
        return "://" in self.uri and not self.uri.startswith("file://")


def _warc_kind(name: str, declared: str | None) -> str:
    if declared:
        return declared
    return "wet" if ".wet" in name else "warc"


def plan_inputs(spec) -> list[InputFile]:
    """All inputs of `spec` in a fixed order (sources in spec order, files in listed/discovered order)."""
    planned: list[dict] = []
    for si, src in enumerate(spec.data["sources"]):
        if src["type"] == "wikipedia":
            planned.extend(_wikipedia_inputs(spec, si, src))
        else:
            planned.extend(_commoncrawl_inputs(spec, si, src))
    return [InputFile(index=i, **p) for i, p in enumerate(planned)]


def _wikipedia_inputs(spec, si: int, src: dict) -> list[dict]:
    if "files" in src:
        return [
            dict(source_index=si, kind="wikipedia", uri=spec.resolve(f), source_file=f,
                 language=src["language"], dump=src.get("dump"))
            for f in src["files"]
        ]
    from xlm_core.acquire.wikipedia import discover_wikipedia

    out = []
    for lang in src.get("languages") or spec.languages:
        for rf in discover_wikipedia(src["mirror"], lang, src["dump"], max_files=src.get("max_files"),
                                     multistream=src.get("multistream", False)):
            out.append(dict(source_index=si, kind="wikipedia", uri=rf.uri, source_file=rf.uri,
                            language=lang, dump=_dump_of(rf.uri, src["dump"]), size=rf.size,
                            md5=rf.md5, sha1=rf.sha1))
    return out


def _dump_of(uri: str, dump: str) -> str:
    """`latest` is resolved by discovery; the row records the real date from the file's path."""
    if dump != "latest":
        return dump
    for part in reversed(uri.split("/")):
        if len(part) == 8 and part.isdigit():
            return part
    return dump


def _commoncrawl_inputs(spec, si: int, src: dict) -> list[dict]:
    fmt = src.get("format")
    if "files" in src:
        return [
            dict(source_index=si, kind=_warc_kind(f, fmt), uri=spec.resolve(f), source_file=f,
                 dump=src.get("crawl"))
            for f in src["files"]
        ]
    from xlm_core.acquire.commoncrawl import discover_commoncrawl

    kind = fmt or "wet"
    return [
        dict(source_index=si, kind=kind, uri=rf.uri, source_file=rf.uri, dump=src["crawl"], size=rf.size)
        for rf in discover_commoncrawl(src["mirror"], src["crawl"], max_files=src["max_files"], kind=kind)
    ]
