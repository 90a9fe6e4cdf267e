#!/usr/bin/env python3
"""Screenshot a page of the Prefect UI (or any page) with headless Chromium, e.g. a flow run's
artifacts:

    .venv/bin/python infra/screenshot.py http://127.0.0.1:4200/runs/flow-run/<id> run.png \
        --tab Artifacts --wait-for dataset-languages --text run.txt

Drives the system Chromium over the DevTools protocol (websockets, already a Prefect dependency):
the UI is a single-page app, so we wait for its text to appear and can click one of its tabs,
which `chromium --screenshot` cannot do. Chromium runs headless, sandbox off, no network besides
the page, in a fresh profile that is deleted afterwards. Prints the page's text unless --text."""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from itertools import count
from pathlib import Path

try:
    from websockets.sync.client import connect
except ImportError:  # run as `infra/screenshot.py ...` by a python without the repo's venv: use the venv
    _venv = Path(__file__).resolve().parent.parent / ".venv"
    if (_venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != _venv.resolve():
        os.execv(str(_venv / "bin" / "python"), [str(_venv / "bin" / "python"), *sys.argv])
    raise

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio"]

# Clicks the first visible element whose own text is exactly `label` (tabs, buttons, links).
CLICK = """(label) => {
  const els = [...document.querySelectorAll('button, [role=tab], a, li, span, div')];
  const hit = els.find(e => e.offsetParent !== null && e.textContent.trim() === label
                            && [...e.children].every(c => c.textContent.trim() !== label));
  if (!hit) return false;
  (hit.closest('button, [role=tab], a') || hit).click();
  return true;
}"""


def find_chromium() -> str | None:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and (path := shutil.which(name)):
            return path
    return None


class Page:
    """One browser tab over the DevTools protocol: navigate, evaluate, screenshot."""

    def __init__(self, ws_url: str) -> None:
        self.ws = connect(ws_url, max_size=64 * 1024 * 1024, open_timeout=30)
        self.ids = count(1)

    def send(self, method: str, **params) -> dict:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def eval(self, expression: str):
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return res.get("result", {}).get("value")

    def text(self) -> str:
        return self.eval("document.body ? document.body.innerText : ''") or ""

    def wait_for(self, texts: list[str], deadline: float) -> str:
        while True:
            text = self.text()
            if all(t in text for t in texts) and self.eval("document.readyState") == "complete":
                return text
            if time.monotonic() > deadline:
                missing = [t for t in texts if t not in text]
                raise TimeoutError(f"page never showed {missing}; it shows: {text[:500]!r}")
            time.sleep(0.5)


def _devtools_port(profile: Path, proc: subprocess.Popen, deadline: float) -> int:
    port_file = profile / "DevToolsActivePort"
    while not port_file.exists() or not port_file.read_text().strip():
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError("chromium did not open its DevTools port")
        time.sleep(0.2)
    return int(port_file.read_text().split()[0])


def screenshot(url: str, out: str, *, tab: str | None = None, wait_for: list[str] = (), width: int = 1440,
               height: int = 1100, timeout: float = 90, chromium: str | None = None) -> str:
    """Save a PNG of `url` at `out` once every `wait_for` text is on the page (after clicking `tab`);
    return the page's text."""
    binary = chromium or find_chromium()
    if not binary:
        raise FileNotFoundError("no chromium on PATH (apt-get install chromium, or set CHROMIUM)")
    deadline = time.monotonic() + timeout
    profile = Path(tempfile.mkdtemp(prefix="xlm-chromium-"))
    proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                             "--remote-allow-origins=*", f"--window-size={width},{height}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        port = _devtools_port(profile, proc, deadline)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            target = next(t for t in json.load(r) if t["type"] == "page")
        page = Page(target["webSocketDebuggerUrl"])
        page.send("Page.enable")
        page.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        page.send("Page.navigate", url=url)
        page.wait_for([], deadline)
        if tab:
            while not page.eval(f"({CLICK})({json.dumps(tab)})"):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no {tab!r} tab on {url}")
                time.sleep(0.5)
        text = page.wait_for(list(wait_for), deadline)
        time.sleep(1.0)  # let charts and tables finish painting
        png = base64.b64decode(page.send("Page.captureScreenshot", format="png")["data"])
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_bytes(png)
        text = page.text() or text
        page.ws.close()
        return text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("url")
    p.add_argument("out", help="PNG to write")
    p.add_argument("--tab", help="click the tab/button with this exact label first (e.g. Artifacts)")
    p.add_argument("--wait-for", action="append", default=[], metavar="TEXT",
                   help="wait until the page shows TEXT (repeatable)")
    p.add_argument("--text", metavar="FILE", help="write the page's text here instead of printing it")
    p.add_argument("--size", default="1440x1100", help="viewport WIDTHxHEIGHT")
    p.add_argument("--timeout", type=float, default=90)
    args = p.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    try:
        text = screenshot(args.url, args.out, tab=args.tab, wait_for=args.wait_for, width=width, height=height,
                          timeout=args.timeout)
    except (FileNotFoundError, TimeoutError, RuntimeError) as exc:
        print(f"screenshot: {exc}", file=sys.stderr)
        return 1
    if args.text:
        Path(args.text).write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
