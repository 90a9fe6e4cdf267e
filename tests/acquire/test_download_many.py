"""download_many(): bounded concurrency, input order, failures."""

from __future__ import annotations

import dataclasses

import pytest

from tests.acquire.helpers import FAST, md5, publish
from xlm_core.acquire import DownloadError, DownloadRequest, download_many


def _files(http_server, tmp_path, n):
    items, payloads = [], []
    for i in range(n):
        data = bytes([i]) * (10_000 + i)
        publish(http_server.root, f"f{i}.bin", data)
        payloads.append(data)
        items.append(
            DownloadRequest(
                uri=http_server.url_for(f"f{i}.bin"),
                dest=str(tmp_path / "out" / f"f{i}.bin"),
                expected_size=len(data),
                checksums={"md5": md5(data)},
            )
        )
    return items, payloads


def test_at_most_max_concurrency_transfers_at_once(http_server, tmp_path):
    items, payloads = _files(http_server, tmp_path, 6)
    http_server.faults.delay("/f*.bin", 0.2)  # long enough for the pool to fill up
    got = download_many(items, dataclasses.replace(FAST, max_concurrency=2))
    assert http_server.max_in_flight == 2
    assert [g.path for g in got] == [i.dest for i in items]  # input order
    assert [open(g.path, "rb").read() for g in got] == payloads


def test_first_failure_is_raised(http_server, tmp_path):
    items, _ = _files(http_server, tmp_path, 3)
    http_server.faults.not_found("/f1.bin")
    with pytest.raises(DownloadError, match="f1.bin"):
        download_many(items, FAST)


def test_two_items_with_one_dest_are_refused(tmp_path):
    item = DownloadRequest(uri="http://127.0.0.1:9/x", dest=str(tmp_path / "x"))
    with pytest.raises(ValueError, match="same dest"):
        download_many([item, item], FAST)
