"""Receipts of cached downloads over real HTTP on 127.0.0.1: written only for a verified file,
gone while a download is incomplete, kept when the file is evicted."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.acquire.helpers import FAST, md5, publish, sha256
from tests.servers import WIKI_SAMPLES
from xlm_core.acquire import DownloadError, download_with_receipt, evict, read_receipt

PAYLOAD = WIKI_SAMPLES["nl"].read_bytes()
REL = "nlwiki/20230501/nlwiki-20230501-pages-articles.xml.bz2"
ONE_TRY = dataclasses.replace(FAST, retries=0)


@pytest.fixture
def served(http_server):
    publish(http_server.root, REL, PAYLOAD)
    return http_server.url_for(REL)


def test_receipt_names_the_verified_file_and_outlives_it(served, tmp_path):
    dest = str(tmp_path / "c" / "nl.bz2")
    got = download_with_receipt(served, dest, expected_size=len(PAYLOAD), checksums={"md5": md5(PAYLOAD)}, config=FAST)
    receipt = json.loads((tmp_path / "c" / "nl.bz2.receipt.json").read_text())
    assert receipt == {"uri": served, "size": len(PAYLOAD), "sha256": sha256(PAYLOAD), "md5": md5(PAYLOAD)}
    assert got.sha256 == receipt["sha256"]
    evict(dest)
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["nl.bz2.receipt.json"]
    assert read_receipt(dest, uri=served, expected_size=len(PAYLOAD), checksums={"md5": md5(PAYLOAD)}) == receipt
    evict(dest)  # twice is fine


def test_receipt_is_not_trusted_when_the_mirror_publishes_something_else(served, tmp_path):
    dest = str(tmp_path / "nl.bz2")
    download_with_receipt(served, dest, checksums={"md5": md5(PAYLOAD)}, config=FAST)
    assert read_receipt(dest, uri=served) is not None
    assert read_receipt(dest, uri=served + "?other") is None
    assert read_receipt(dest, uri=served, expected_size=len(PAYLOAD) + 1) is None
    assert read_receipt(dest, uri=served, checksums={"md5": md5(b"a newer dump")}) is None
    assert read_receipt(dest, uri=served, checksums={"sha1": "0" * 40}) is None  # never verified
    assert read_receipt(str(tmp_path / "never.bz2"), uri=served) is None


def test_interrupted_download_has_no_receipt_and_resumes(http_server, served, tmp_path):
    cache = tmp_path / "cache"
    dest = str(cache / "nl.bz2")
    download_with_receipt(served, dest, config=FAST)
    evict(dest)
    # the next download of that URI is cut: the old receipt must not stand for the partial file
    http_server.faults.cut("/" + REL, 40_000)
    with pytest.raises(DownloadError):
        download_with_receipt(served, dest, config=ONE_TRY)
    assert sorted(p.name for p in cache.iterdir()) == ["nl.bz2.part", "nl.bz2.part.json"]
    assert read_receipt(dest, uri=served) is None

    http_server.reset_log()
    got = download_with_receipt(served, dest, expected_size=len(PAYLOAD), config=ONE_TRY)
    (req,) = http_server.requests_for("/" + REL)
    assert req.range == "bytes=40000-" and req.status == 206
    assert got.transferred == len(PAYLOAD) - 40_000 and got.sha256 == sha256(PAYLOAD)
    assert read_receipt(dest, uri=served)["sha256"] == sha256(PAYLOAD)


def test_bad_download_leaves_no_receipt(http_server, served, tmp_path):
    dest = str(tmp_path / "cache" / "nl.bz2")
    http_server.faults.corrupt("/" + REL)
    with pytest.raises(DownloadError):
        download_with_receipt(served, dest, checksums={"md5": md5(PAYLOAD)}, config=FAST)
    assert list((tmp_path / "cache").iterdir()) == []
