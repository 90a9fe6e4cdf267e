"""Loopback servers for tests: a static HTTP mirror with Range support, directory indexes and
injectable faults; a moto S3 server with a fault-injecting proxy; builders of dumps-style and
Common Crawl-style trees from the bundled real samples.

Import from tests (`from tests.servers import FileServer, make_dump_mirror`) or use the pytest
fixtures at the bottom (`http_server`, `moto_server`, `s3_server`, `s3_bucket`, `s3_proxy`),
re-exported by a conftest with `from tests.servers import *  # noqa`."""

from __future__ import annotations

import bz2
import datetime as dt
import email.utils
import fnmatch
import gzip
import hashlib
import html
import json
import os
import posixpath
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "data_specs" / "samples"
WIKI_SAMPLES = {
    p.name.split("wiki-")[0]: p for p in sorted((SAMPLES / "wiki").glob("*wiki-sample-*.xml.bz2"))
}
"""Real pages-articles excerpts by language code (bn el en hy ja mr nl uk vi)."""
WET_SAMPLES = sorted((SAMPLES / "commoncrawl").glob("*.warc.wet.gz"))
"""Real WET files (one gzip member per record)."""

S3_SLOWDOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message><RequestId>TEST</RequestId></Error>"
)
"""Body of the 503 S3 sends when throttling."""


# ---------------------------------------------------------------------------------------------
# Faults and the request log


@dataclass(kw_only=True)
class Fault:
    """One injected behaviour for the requests whose path matches `pattern` (fnmatch)."""

    pattern: str
    kind: str
    """"status" | "cut" | "corrupt" | "ignore_range" | "delay"."""
    times: int | None = 1
    """How many matching requests it affects; None = all."""
    skip: int = 0
    """Matching requests let through untouched before it starts (e.g. 1 = from the 2nd on)."""
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    after_bytes: int = 0
    """cut: body bytes sent before the connection is closed."""
    reset: bool = False
    """cut: close with a TCP RST (connection reset) instead of a FIN."""
    seconds: float = 0.0
    """delay: sleep before answering."""
    method: str | None = None
    """Only requests with this method (None = any). cut/corrupt/ignore_range default to GET."""


class Faults:
    """Rules consumed per request, in the order they were added. Thread-safe."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._rules.append(fault)
        return fault

    def status(
        self,
        pattern: str,
        status: int = 503,
        *,
        times: int | None = 1,
        retry_after: float | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        method: str | None = None,
    ) -> Fault:
        """Answer `status` (e.g. 503, 429, 404) instead of the file."""
        h = dict(headers or {})
        if retry_after is not None:
            h["Retry-After"] = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
        return self.add(
            Fault(
                pattern=pattern,
                kind="status",
                status=status,
                times=times,
                body=body,
                headers=h,
                method=method,
            )
        )

    def not_found(self, pattern: str) -> Fault:
        return self.status(pattern, 404, times=None, body=b"Not Found")

    def s3_slowdown(self, pattern: str, *, times: int = 1, method: str | None = "GET") -> Fault:
        """The 503 SlowDown S3 answers when throttling (meant for `FaultProxy`). GET by default:
        a HEAD answer has no body, so the client would see a bare 503."""
        return self.status(
            pattern,
            503,
            times=times,
            body=S3_SLOWDOWN,
            headers={"Content-Type": "application/xml"},
            method=method,
        )

    def cut(
        self, pattern: str, after_bytes: int, *, times: int | None = 1, reset: bool = False, skip: int = 0
    ) -> Fault:
        """Send the headers and `after_bytes` of the body, then drop the connection."""
        return self.add(
            Fault(
                pattern=pattern,
                kind="cut",
                after_bytes=after_bytes,
                times=times,
                reset=reset,
                skip=skip,
                method="GET",
            )
        )

    def corrupt(self, pattern: str, *, times: int | None = None) -> Fault:
        """Serve the right length with one byte flipped (in the middle of the file)."""
        return self.add(Fault(pattern=pattern, kind="corrupt", times=times, method="GET"))

    def ignore_range(self, pattern: str, *, times: int | None = None) -> Fault:
        """Answer 200 with the whole file even when a Range is asked (servers that do not support it)."""
        return self.add(Fault(pattern=pattern, kind="ignore_range", times=times, method="GET"))

    def delay(self, pattern: str, seconds: float, *, times: int | None = None) -> Fault:
        return self.add(Fault(pattern=pattern, kind="delay", seconds=seconds, times=times))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, path: str, method: str = "GET") -> list[Fault]:
        """Rules that apply to this request; their remaining counts are consumed. A status rule
        answers the request alone (first one added wins), so cut/corrupt rules wait for the
        next request."""
        with self._lock:
            hit = []
            for r in self._rules:
                if (
                    (r.times is None or r.times > 0)
                    and r.method in (None, method)
                    and fnmatch.fnmatchcase(path, r.pattern)
                ):
                    if r.skip > 0:
                        r.skip -= 1
                    else:
                        hit.append(r)
            status = next((r for r in hit if r.kind == "status"), None)
            if status is not None:
                hit = [r for r in hit if r.kind == "delay" or r is status]
            for rule in hit:
                if rule.times is not None:
                    rule.times -= 1
        return hit


@dataclass(kw_only=True)
class Request:
    """One request as the server saw and answered it."""

    method: str
    path: str
    headers: dict[str, str]
    status: int = 0
    body_bytes: int = 0
    """Body bytes actually written to the socket."""

    @property
    def range(self) -> str | None:
        return self.headers.get("range")


class _Tracker:
    """Request log and in-flight counter shared by the servers below."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def begin(self, handler: BaseHTTPRequestHandler) -> Request:
        rec = Request(
            method=handler.command,
            path=unquote(urlsplit(handler.path).path),
            headers={k.lower(): v for k, v in handler.headers.items()},
        )
        with self._lock:
            self.requests.append(rec)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return rec

    def end(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def requests_for(self, path: str, method: str | None = "GET") -> list[Request]:
        with self._lock:
            return [
                r
                for r in self.requests
                if fnmatch.fnmatchcase(r.path, path) and (method is None or r.method == method)
            ]

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_in_flight = self.in_flight


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real mirrors; every answer has a length

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet test output
        pass

    @property
    def tracker(self) -> _Tracker:
        return self.server.tracker  # type: ignore[attr-defined]

    def _send(
        self,
        rec: Request,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        *,
        head: bool = False,
        cut: Fault | None = None,
    ) -> None:
        rec.status = status
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if not any(k.lower() == "content-length" for k in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        if cut is not None:
            body = body[: cut.after_bytes]
        self.wfile.write(body)
        rec.body_bytes = len(body)
        if cut is not None:
            self._drop(reset=cut.reset)

    def _drop(self, *, reset: bool) -> None:
        self.wfile.flush()
        self.close_connection = True
        if reset:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _faults(self, rec: Request) -> tuple[list[Fault], bool]:
        """Apply delay and status faults; returns (remaining rules, answered)."""
        rules = self.tracker.faults.take(rec.path, rec.method)
        for r in rules:
            if r.kind == "delay":
                time.sleep(r.seconds)
        for r in rules:
            if r.kind == "status":
                self._send(rec, r.status, r.headers, r.body, head=self.command == "HEAD")
                return rules, True
        return rules, False


# ---------------------------------------------------------------------------------------------
# Static file server (dump mirror)


def _parse_range(value: str | None, size: int) -> tuple[int, int] | None | str:
    """(start, end inclusive) of a single `bytes=` range; None if absent/unsupported;
    "unsatisfiable" when it starts past the end."""
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", (value or "").strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if not m.group(1):  # suffix range: last N bytes
        n = int(m.group(2))
        return (max(0, size - n), size - 1) if n else "unsatisfiable"
    start = int(m.group(1))
    end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, end


class _FileHandler(_Handler):
    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, *, head: bool) -> None:
        rec = self.tracker.begin(self)
        try:
            rules, answered = self._faults(rec)
            if not answered:
                self._serve_path(rec, rules, head=head)
        finally:
            self.tracker.end()

    def _serve_path(self, rec: Request, rules: list[Fault], *, head: bool) -> None:
        root: Path = self.server.root  # type: ignore[attr-defined]
        rel = posixpath.normpath(rec.path).lstrip("/")
        target = (root / rel).resolve() if rel not in ("", ".") else root.resolve()
        if root.resolve() not in (target, *target.parents) or not target.exists():
            self._send(
                rec,
                404,
                {"Content-Type": "text/html"},
                b"<html><body><h1>404 Not Found</h1></body></html>",
                head=head,
            )
            return
        if target.is_dir():
            if not rec.path.endswith("/"):  # nginx/Apache redirect to the slash form
                self._send(rec, 301, {"Location": quote(rec.path) + "/"}, b"", head=head)
                return
            page = (_apache_index if self.tracker.index_style == "apache" else _index_html)(rec.path, target)
            self._send(rec, 200, {"Content-Type": "text/html"}, page, head=head)
            return
        data = target.read_bytes()
        st = target.stat()
        etag = f'"{st.st_size:x}-{st.st_mtime_ns:x}"'
        last_modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        kinds = {r.kind: r for r in rules}
        if "corrupt" in kinds and data:
            mid = len(data) // 2
            data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1 :]
        headers = {
            "Content-Type": "application/octet-stream",
            "ETag": etag,
            "Last-Modified": last_modified,
            "Accept-Ranges": "bytes",
        }
        wanted = None if "ignore_range" in kinds else _parse_range(self.headers.get("Range"), len(data))
        if_range = self.headers.get("If-Range")
        if wanted is not None and if_range and if_range not in (etag, last_modified):
            wanted = None  # changed since the client's copy: whole file (RFC 9110 13.1.5)
        if wanted == "unsatisfiable":
            self._send(rec, 416, {"Content-Range": f"bytes */{len(data)}"}, b"", head=head)
            return
        if wanted is None:
            self._send(rec, 200, headers, data, head=head, cut=kinds.get("cut"))
            return
        start, end = wanted
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        self._send(rec, 206, headers, data[start : end + 1], head=head, cut=kinds.get("cut"))


def _index_html(url_path: str, directory: Path) -> bytes:
    """An nginx autoindex page, the format of dumps.wikimedia.org and many mirrors."""
    title = html.escape(f"Index of {url_path}")
    lines = [
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<h1>{title}</h1><hr><pre>"
        '<a href="../">../</a>'
    ]
    entries = sorted(directory.iterdir(), key=lambda p: (not p.is_dir(), p.name))
    for p in entries:
        name = p.name + ("/" if p.is_dir() else "")
        st = p.stat()
        when = dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc).strftime("%d-%b-%Y %H:%M")
        size = "-" if p.is_dir() else str(st.st_size)
        pad = " " * max(1, 51 - len(name))
        lines.append(f'<a href="{quote(name)}">{html.escape(name)}</a>{pad}{when} {size:>19}')
    lines.append("</pre><hr></body>\r\n</html>\r\n")
    return "\r\n".join(lines).encode()


def _apache_index(url_path: str, directory: Path) -> bytes:
    """An Apache mod_autoindex page (FancyIndexing), the format of many university mirrors:
    column-sort links (?C=N;O=D) and an absolute link to the parent directory."""
    title = html.escape(f"Index of {url_path.rstrip('/') or '/'}")
    parent = posixpath.dirname(url_path.rstrip("/")).rstrip("/") + "/"
    lines = [
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html>\n <head>\n'
        f"  <title>{title}</title>\n </head>\n <body>\n<h1>{title}</h1>",
        '<pre><img src="/icons/blank.gif" alt="Icon "> <a href="?C=N;O=D">Name</a>'
        '                    <a href="?C=M;O=A">Last modified</a>      <a href="?C=S;O=A">Size</a>'
        '  <a href="?C=D;O=A">Description</a><hr>'
        f'<img src="/icons/back.gif" alt="[PARENTDIR]"> <a href="{quote(parent)}">Parent Directory</a>'
        "                             -   ",
    ]
    for p in sorted(directory.iterdir(), key=lambda p: p.name):
        name = p.name + ("/" if p.is_dir() else "")
        st = p.stat()
        when = dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
        icon, size = ("folder.gif", "-") if p.is_dir() else ("unknown.gif", f"{st.st_size // 1024}K")
        alt = "[DIR]" if p.is_dir() else "[   ]"
        lines.append(
            f'<img src="/icons/{icon}" alt="{alt}"> <a href="{quote(name)}">{html.escape(name)}</a>'
            f"{' ' * max(1, 24 - len(name))}{when}  {size:>4}   "
        )
    lines.append("<hr></pre>\n</body></html>\n")
    return "\n".join(lines).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _LoopbackServer(_Tracker):
    """A request-tracking HTTP server on 127.0.0.1:<random port>, served from a daemon thread."""

    def _serve(self, handler: type[BaseHTTPRequestHandler], **attrs) -> None:
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._httpd.tracker = self  # type: ignore[attr-defined]
        for name, value in attrs.items():
            setattr(self._httpd, name, value)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class FileServer(_LoopbackServer):
    """Serves the directory `root` on http://127.0.0.1:<random port>: files with Range (206,
    Content-Range, If-Range, 416), ETag/Last-Modified, nginx-style index pages, and the
    faults in `self.faults`. Every request is logged in `self.requests`."""

    def __init__(self, root: str | os.PathLike, *, index_style: str = "nginx") -> None:
        super().__init__()
        self.root = Path(root)
        self.index_style = index_style
        """Directory pages: "nginx" (dumps.wikimedia.org) or "apache" (mod_autoindex mirrors)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._serve(_FileHandler, root=self.root)

    def url_for(self, rel: str) -> str:
        return f"{self.url}/{quote(rel.lstrip('/'))}"


# ---------------------------------------------------------------------------------------------
# S3: moto server, and a proxy in front of it to inject S3 faults

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
}


class _ProxyHandler(_Handler):
    def _proxy(self) -> None:
        rec = self.tracker.begin(self)
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            rules, answered = self._faults(rec)
            if answered:
                return
            upstream: tuple[str, int] = self.server.upstream  # type: ignore[attr-defined]
            conn = HTTPConnection(*upstream, timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                out = {
                    k: v for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}
                }
            finally:
                conn.close()
            cut = next((r for r in rules if r.kind == "cut"), None)
            if any(r.kind == "corrupt" for r in rules) and data and self.command == "GET":
                mid = len(data) // 2
                data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1 :]
            out["Content-Length"] = resp.getheader("Content-Length") or str(len(data))
            self._send(rec, resp.status, out, data, head=self.command == "HEAD", cut=cut)
        finally:
            self.tracker.end()

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _proxy


class FaultProxy(_LoopbackServer):
    """HTTP reverse proxy on 127.0.0.1 forwarding to `upstream` (e.g. moto), applying
    `self.faults` (path-style S3 paths: `/bucket/key`) and logging requests."""

    def __init__(self, upstream_url: str) -> None:
        super().__init__()
        u = urlsplit(upstream_url)
        self._serve(_ProxyHandler, upstream=(u.hostname, u.port))


class S3Server:
    """moto's S3 API on 127.0.0.1:<random port> (a real HTTP S3 endpoint, no patching)."""

    region = "us-east-1"

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.endpoint_url = ""

    def start(self) -> S3Server:
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._moto.stop()

    def env(self, endpoint_url: str | None = None) -> dict[str, str]:
        """Environment botocore/s3fs read: endpoint, fake keys, region."""
        return {
            "AWS_ENDPOINT_URL": endpoint_url or self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def client(self):
        import boto3

        env = self.env()
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    def create_bucket(self, name: str | None = None) -> str:
        name = name or f"test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def upload_tree(self, local_root: str | os.PathLike, bucket: str, prefix: str = "") -> list[str]:
        """Upload every file under `local_root` to `s3://bucket/prefix/<relative path>`; returns the keys."""
        from concurrent.futures import ThreadPoolExecutor

        client = self.client()
        root = Path(local_root)
        files = sorted(p for p in root.rglob("*") if p.is_file())
        keys = ["/".join(x for x in (prefix.strip("/"), p.relative_to(root).as_posix()) if x) for p in files]
        with ThreadPoolExecutor(8) as pool:  # boto3 clients are thread-safe
            list(
                pool.map(
                    lambda p, k: client.put_object(Bucket=bucket, Key=k, Body=p.read_bytes()), files, keys
                )
            )
        return keys

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------
# Mirror trees built from the real samples


@dataclass(frozen=True, kw_only=True, slots=True)
class MirrorFile:
    name: str
    relpath: str
    """Path under the mirror root (posix)."""
    size: int
    md5: str
    sha1: str
    sha256: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DumpMirror:
    root: Path
    dump: str
    """The newest complete dump (what "latest" must resolve to)."""
    older: str
    """An older complete dump."""
    newer: str
    """A newer dump whose articles job is still in progress."""
    files: dict[str, list[MirrorFile]]
    """pages-articles files of `dump` by language, in dump order."""
    multistream: dict[str, list[MirrorFile]]
    """pages-articles-multistream files of `dump` by language (index files excluded)."""


def _digests(path: Path) -> tuple[int, str, str, str]:
    data = path.read_bytes()
    return (
        len(data),
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )


def _place(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists():
        try:
            os.link(src, dst)  # samples are read-only payloads: share the bytes
        except OSError:
            dst.write_bytes(src.read_bytes())


def _updated(date: str, hours: int) -> str:
    d = dt.datetime.strptime(date, "%Y%m%d") + dt.timedelta(hours=hours)
    return d.strftime("%Y-%m-%d %H:%M:%S")


def _write_dump(
    root: Path, lang: str, date: str, payloads: Sequence[Path], *, done: bool
) -> tuple[list[MirrorFile], list[MirrorFile]]:
    """One dump directory with its files and a dumpstatus.json shaped like the real one."""
    wiki = f"{lang}wiki"
    base = root / wiki / date
    base.mkdir(parents=True, exist_ok=True)
    split = len(payloads) > 1
    articles, multi, index = [], [], []
    for i, payload in enumerate(payloads, start=1):
        pages = f"p{(i - 1) * 1000 + 1}p{i * 1000}"
        stem = f"{wiki}-{date}-pages-articles"
        if split:
            articles.append((f"{stem}{i}.xml-{pages}.bz2", payload))
            multi.append((f"{stem}-multistream{i}.xml-{pages}.bz2", payload))
            index.append((f"{stem}-multistream-index{i}.txt-{pages}.bz2", i))
        else:
            articles.append((f"{stem}.xml.bz2", payload))
            multi.append((f"{stem}-multistream.xml.bz2", payload))
            index.append((f"{stem}-multistream-index.txt.bz2", i))

    def job(entries: list[tuple[str, Path | int]], hours: int) -> tuple[dict, list[MirrorFile]]:
        files, described = {}, []
        for k, (name, payload) in enumerate(entries):
            dst = base / name
            if isinstance(payload, Path):
                _place(payload, dst)
            else:  # multistream index: "offset:page_id:title" lines, bz2
                dst.write_bytes(bz2.compress(f"{payload * 600}:{payload}:Page {payload}\n".encode()))
            if not done and k == len(entries) - 1:
                dst.unlink()  # a running job has not written its last file yet
                files[name] = {"url": f"/{wiki}/{date}/{name}"}
                continue
            size, md5, sha1, sha256 = _digests(dst)
            files[name] = {"size": size, "url": f"/{wiki}/{date}/{name}", "md5": md5, "sha1": sha1}
            described.append(
                MirrorFile(
                    name=name, relpath=f"{wiki}/{date}/{name}", size=size, md5=md5, sha1=sha1, sha256=sha256
                )
            )
        state = "done" if done else "in-progress"
        return {"status": state, "updated": _updated(date, hours), "files": files}, described

    articles_job, described = job(articles, 30)
    multi_job, multi_described = job(multi + index, 31)
    stats = f"{wiki}-{date}-site_stats.sql.gz"
    (base / stats).write_bytes(gzip.compress(b"-- site_stats\n"))
    status = {
        "jobs": {
            "sitestatstable": {
                "status": "done",
                "updated": _updated(date, 1),
                "files": {stats: {"size": (base / stats).stat().st_size, "url": f"/{wiki}/{date}/{stats}"}},
            },
            "xmlstubsdump": {"status": "done", "updated": _updated(date, 5), "files": {}},
            "articlesdump": articles_job,
            "articlesmultistreamdump": multi_job,
            "metahistorybz2dump": {"status": "waiting" if done else "waiting", "updated": "", "files": {}},
        },
        "version": "0.8",
    }
    (base / "dumpstatus.json").write_text(json.dumps(status, indent=1))
    return described, [m for m in multi_described if "-index" not in m.name]


def make_dump_mirror(
    root: str | os.PathLike,
    files_by_lang: Mapping[str, Sequence[str | os.PathLike]],
    dump: str = "20230501",
) -> DumpMirror:
    """A dumps.wikimedia.org-style tree under `root`: for each language `{lang}wiki/{dump}/`
    with one pages-articles file per payload (split names `...articles{i}.xml-p{a}p{b}.bz2`
    when there are several), their multistream twins and index files, and a dumpstatus.json
    with real sizes, md5 and sha1. Around it: an older complete dump (30 days before), a newer
    dump whose articles job is "in-progress" (19 days after), and a `latest/` directory."""
    root = Path(root)
    day = dt.datetime.strptime(dump, "%Y%m%d")
    older = (day - dt.timedelta(days=30)).strftime("%Y%m%d")
    newer = (day + dt.timedelta(days=19)).strftime("%Y%m%d")
    files, multistream = {}, {}
    for lang, payloads in files_by_lang.items():
        paths = [Path(p) for p in payloads]
        _write_dump(root, lang, older, paths, done=True)
        files[lang], multistream[lang] = _write_dump(root, lang, dump, paths, done=True)
        _write_dump(root, lang, newer, paths, done=False)
        latest = root / f"{lang}wiki" / "latest"
        latest.mkdir(exist_ok=True)
        (latest / f"{lang}wiki-latest-pages-articles.xml.bz2").write_bytes(b"")  # ignored: not a date
    return DumpMirror(root=root, dump=dump, older=older, newer=newer, files=files, multistream=multistream)


@dataclass(frozen=True, kw_only=True, slots=True)
class CCMirror:
    root: Path
    crawl: str
    paths: list[str]
    """Relative paths as listed in wet.paths.gz, in list order."""
    files: dict[str, MirrorFile]
    """By relative path."""


def make_cc_mirror(
    root: str | os.PathLike,
    crawl: str = "CC-MAIN-2026-12",
    payloads: Sequence[str | os.PathLike] = (),
    *,
    n_files: int | None = None,
    segments: int = 3,
) -> CCMirror:
    """A data.commoncrawl.org-style tree: `crawl-data/{crawl}/wet.paths.gz` listing `n_files`
    WET files spread over `segments` segments, each a copy of a payload (cycled; default the
    bundled WET samples)."""
    root = Path(root)
    sources = [Path(p) for p in payloads] or WET_SAMPLES
    n = n_files or len(sources)
    year, week = crawl.split("-")[2:4]
    stamp = f"{year}{int(week):02d}05070756"
    paths, files = [], {}
    for i in range(n):
        seg = f"{1772690000 + i % segments * 1000}.{17 + i % segments}"
        rel = f"crawl-data/{crawl}/segments/{seg}/wet/CC-MAIN-{stamp}-{stamp}-{i:05d}.warc.wet.gz"
        dst = root / rel
        _place(sources[i % len(sources)], dst)
        size, md5, sha1, sha256 = _digests(dst)
        paths.append(rel)
        files[rel] = MirrorFile(
            name=posixpath.basename(rel), relpath=rel, size=size, md5=md5, sha1=sha1, sha256=sha256
        )
    listing = root / "crawl-data" / crawl / "wet.paths.gz"
    listing.write_bytes(gzip.compress(("\n".join(paths) + "\n").encode()))
    return CCMirror(root=root, crawl=crawl, paths=paths, files=files)


# ---------------------------------------------------------------------------------------------
# pytest fixtures


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[FileServer]:
    """A FileServer over a fresh `tmp_path / "www"`; put files in `http_server.root`."""
    with FileServer(tmp_path / "www") as server:
        yield server


@pytest.fixture(scope="session")
def moto_server() -> Iterator[S3Server]:
    """One moto S3 server for the session (starting it costs ~1 s). Use `s3_server` in tests."""
    with S3Server() as server:
        yield server


@pytest.fixture
def s3_server(moto_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The session's moto server with AWS_ENDPOINT_URL, fake keys and region set for this test."""
    for k, v in moto_server.env().items():
        monkeypatch.setenv(k, v)
    return moto_server


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A fresh, empty bucket on the moto server."""
    return s3_server.create_bucket()


@pytest.fixture
def s3_proxy(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A FaultProxy in front of moto; AWS_ENDPOINT_URL points at the proxy for this test."""
    with FaultProxy(s3_server.endpoint_url) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        yield proxy


__all__ = [
    "CCMirror",
    "DumpMirror",
    "Fault",
    "FaultProxy",
    "Faults",
    "FileServer",
    "MirrorFile",
    "Request",
    "S3Server",
    "S3_SLOWDOWN",
    "SAMPLES",
    "WET_SAMPLES",
    "WIKI_SAMPLES",
    "http_server",
    "make_cc_mirror",
    "make_dump_mirror",
    "moto_server",
    "s3_bucket",
    "s3_proxy",
    "s3_server",
]
