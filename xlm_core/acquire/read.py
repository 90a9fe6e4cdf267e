"""Reading the small files mirrors publish (status JSON, path lists, directory indexes), with
the same retries as downloads, over http(s), s3:// or a local path."""

from __future__ import annotations

import posixpath
import re
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from . import fsspec_source, http_source
from .config import DownloadConfig
from .retry import call_with_retries


def is_http(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def read_bytes(uri: str, *, config: DownloadConfig = DownloadConfig()) -> bytes:
    """Whole content of a small remote file. Raises DownloadError (status 404 when missing)."""
    if is_http(uri):
        with http_source.make_client(config) as client:

            def get() -> bytes:
                response = client.get(uri)
                http_source.check_status(response, uri)
                return response.content

            return call_with_retries(get, uri=uri, config=config, is_transient=http_source.is_transient)

    fs, path = fsspec_source.open_filesystem(uri, config)

    def cat() -> bytes:
        try:
            return fs.cat_file(path)
        except Exception as exc:
            raise fsspec_source.as_download_error(exc, uri) from exc

    return call_with_retries(cat, uri=uri, config=config, is_transient=fsspec_source.is_transient)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)


def list_names(uri: str, *, config: DownloadConfig = DownloadConfig()) -> list[str]:
    """Names of the entries of a directory: parsed from the HTML index page (nginx/Apache
    autoindex, as dump mirrors serve) for http(s), listed by fsspec otherwise. Sorted."""
    if is_http(uri):
        parser = _Links()
        parser.feed(read_bytes(uri.rstrip("/") + "/", config=config).decode("utf-8", "replace"))
        here = urlsplit(uri).path.rstrip("/")
        names = set()
        for href in parser.hrefs:
            parts = urlsplit(href)
            if parts.query or parts.netloc:  # column-sort links (?C=M;O=D), other hosts
                continue
            path = unquote(parts.path).rstrip("/")
            if path.startswith("/"):  # some indexes link by absolute path
                if posixpath.dirname(path) != here:
                    continue
                path = posixpath.basename(path)
            if path and not path.startswith(".") and "/" not in path:
                names.add(path)
        return sorted(names)

    fs, path = fsspec_source.open_filesystem(uri, config)

    def ls() -> list[str]:
        try:
            return fs.ls(path, detail=False)
        except Exception as exc:
            raise fsspec_source.as_download_error(exc, uri) from exc

    entries = call_with_retries(ls, uri=uri, config=config, is_transient=fsspec_source.is_transient)
    return sorted({posixpath.basename(e.rstrip("/")) for e in entries})


_NATURAL = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple:
    """Sort key where digit runs compare as numbers: part2 < part10, p9 < p10."""
    return tuple(int(t) if t.isdigit() else t for t in _NATURAL.split(name))
