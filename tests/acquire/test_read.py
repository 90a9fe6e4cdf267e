"""read_bytes() / list_names(): small mirror files and directory indexes."""

from __future__ import annotations

import pytest

from tests.acquire.helpers import FAST, publish
from xlm_core.acquire import DownloadError
from xlm_core.acquire.read import list_names, natural_key, read_bytes


def _tree(root):
    for rel in (
        "mirror/enwiki/20230401/dumpstatus.json",
        "mirror/enwiki/20230501/dumpstatus.json",
        "mirror/enwiki/latest/x.bz2",
        "mirror/enwiki/README.txt",
    ):
        publish(root, rel, b"{}")


@pytest.mark.parametrize("style", ["nginx", "apache"])
def test_index_pages_of_both_mirror_kinds(http_server, style):
    http_server.index_style = style
    _tree(http_server.root)
    names = list_names(http_server.url + "/mirror/enwiki", config=FAST)  # no slash: follows the 301
    assert names == ["20230401", "20230501", "README.txt", "latest"]  # no ../, sort links, parent


def test_local_listing(tmp_path):
    _tree(tmp_path)
    assert list_names(str(tmp_path / "mirror" / "enwiki"), config=FAST) == [
        "20230401",
        "20230501",
        "README.txt",
        "latest",
    ]


def test_read_bytes_retries_then_reads(http_server):
    publish(http_server.root, "a/status.json", b'{"ok": 1}')
    http_server.faults.status("/a/status.json", 502, times=2)
    assert read_bytes(http_server.url_for("a/status.json"), config=FAST) == b'{"ok": 1}'


def test_read_bytes_missing(http_server, tmp_path):
    with pytest.raises(DownloadError, match="404"):
        read_bytes(http_server.url_for("nope.json"), config=FAST)
    with pytest.raises(DownloadError, match="not found") as err:
        read_bytes(str(tmp_path / "nope.json"), config=FAST)
    assert err.value.status == 404


def test_natural_order():
    names = ["x-articles10.xml-p9p10.bz2", "x-articles2.xml-p10p20.bz2", "x-articles1.xml-p2p9.bz2"]
    assert sorted(names, key=natural_key) == [
        "x-articles1.xml-p2p9.bz2",
        "x-articles2.xml-p10p20.bz2",
        "x-articles10.xml-p9p10.bz2",
    ]
