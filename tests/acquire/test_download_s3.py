"""download() from S3 through a real S3 API (moto server on 127.0.0.1), endpoint from AWS_ENDPOINT_URL."""

from __future__ import annotations

import dataclasses
import os

import pytest

from tests.acquire.helpers import FAST, md5, sha256
from tests.servers import WET_SAMPLES
from xlm_core.acquire import ChecksumMismatch, DownloadError, download

PAYLOAD = max(WET_SAMPLES, key=lambda p: p.stat().st_size).read_bytes()  # real WET, ~770 kB
KEY = "crawl-data/CC-MAIN-2026-12/segments/1772690000.17/wet/part-00000.warc.wet.gz"
CHUNK = 200_000
CONFIG = dataclasses.replace(FAST, chunk_size=CHUNK)


@pytest.fixture
def s3_uri(s3_server, s3_bucket):
    s3_server.client().put_object(Bucket=s3_bucket, Key=KEY, Body=PAYLOAD)
    return f"s3://{s3_bucket}/{KEY}"


def test_s3_download_with_endpoint_from_env(s3_uri, tmp_path):
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    got = download(
        s3_uri,
        str(tmp_path / "a.wet.gz"),
        expected_size=len(PAYLOAD),
        checksums={"md5": md5(PAYLOAD)},
        config=CONFIG,
    )
    assert (tmp_path / "a.wet.gz").read_bytes() == PAYLOAD
    assert got.sha256 == sha256(PAYLOAD) and got.transferred == len(PAYLOAD)
    assert os.listdir(tmp_path) == ["a.wet.gz"]


def test_s3_slowdown_and_503_are_retried(s3_proxy, s3_uri, tmp_path):
    path = "/" + s3_uri.removeprefix("s3://")
    s3_proxy.faults.s3_slowdown(path, times=2)
    s3_proxy.faults.status(path, 503, times=1, method="GET")
    download(s3_uri, str(tmp_path / "a.wet.gz"), checksums={"md5": md5(PAYLOAD)}, config=CONFIG)
    assert (tmp_path / "a.wet.gz").read_bytes() == PAYLOAD
    assert [r.status for r in s3_proxy.requests_for(path)][:3] == [503, 503, 503]


def test_s3_cut_resumes_from_the_offset(s3_proxy, s3_uri, tmp_path):
    path = "/" + s3_uri.removeprefix("s3://")
    s3_proxy.faults.cut(path, CHUNK // 2, skip=1)  # the 2nd ranged GET dies half-way
    got = download(s3_uri, str(tmp_path / "b.wet.gz"), checksums={"md5": md5(PAYLOAD)}, config=CONFIG)
    gets = [r for r in s3_proxy.requests_for(path) if r.status in (200, 206)]
    starts = [int(r.range.split("=")[1].split("-")[0]) for r in gets]
    # The cut chunk is asked again from the same offset; no earlier byte is fetched twice.
    assert starts == [0, CHUNK, CHUNK, 2 * CHUNK, 3 * CHUNK]
    assert (tmp_path / "b.wet.gz").read_bytes() == PAYLOAD
    assert got.transferred == len(PAYLOAD)


def test_s3_missing_key_is_a_clear_error(s3_bucket, tmp_path):
    uri = f"s3://{s3_bucket}/no/such/key.gz"
    with pytest.raises(DownloadError, match="not found") as err:
        download(uri, str(tmp_path / "x.gz"), config=CONFIG)
    assert uri in str(err.value) and err.value.status == 404
    assert not (tmp_path / "x.gz").exists()


def test_s3_checksum_mismatch(s3_uri, tmp_path):
    with pytest.raises(ChecksumMismatch, match="sha256 mismatch"):
        download(s3_uri, str(tmp_path / "a.wet.gz"), checksums={"sha256": "1" * 64}, config=CONFIG)
    assert os.listdir(tmp_path) == []
