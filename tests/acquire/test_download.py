"""download() over real HTTP on 127.0.0.1: verification, resume, retries, errors, idempotence."""

from __future__ import annotations

import dataclasses
import json
import os

import pytest

from tests.acquire.helpers import FAST, md5, publish, sha256
from tests.servers import WIKI_SAMPLES
from xlm_core.acquire import ChecksumMismatch, DownloadError, SizeMismatch, download

PAYLOAD = WIKI_SAMPLES["en"].read_bytes()  # real pages-articles bz2, ~220 kB
REL = "enwiki/20230501/enwiki-20230501-pages-articles.xml.bz2"


@pytest.fixture
def served(http_server):
    publish(http_server.root, REL, PAYLOAD)
    return http_server.url_for(REL)


def test_download_verifies_and_publishes(served, tmp_path):
    dest = tmp_path / "out" / "en.xml.bz2"
    got = download(
        served, str(dest), expected_size=len(PAYLOAD), checksums={"md5": md5(PAYLOAD)}, config=FAST
    )
    assert dest.read_bytes() == PAYLOAD
    assert (got.path, got.size, got.sha256) == (str(dest), len(PAYLOAD), sha256(PAYLOAD))
    assert got.checksums == {"md5": md5(PAYLOAD)} and not got.skipped
    assert sorted(os.listdir(dest.parent)) == ["en.xml.bz2"]  # no .part / .part.json left


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
def test_cut_connection_resumes_with_range_and_fetches_only_the_rest(http_server, served, tmp_path, reset):
    cut_at = 70_000
    http_server.faults.cut("/" + REL, cut_at, reset=reset)
    got = download(served, str(tmp_path / "en.bz2"), checksums={"sha1": _sha1(PAYLOAD)}, config=FAST)
    assert (tmp_path / "en.bz2").read_bytes() == PAYLOAD
    first, second = http_server.requests_for("/" + REL)
    assert first.range is None and first.body_bytes == cut_at
    assert second.range == f"bytes={cut_at}-" and second.status == 206
    assert second.headers.get("if-range")  # resume only onto the same remote version
    assert second.body_bytes == len(PAYLOAD) - cut_at
    assert got.transferred == len(PAYLOAD)


def test_part_left_by_an_earlier_run_is_resumed(http_server, served, tmp_path):
    dest = tmp_path / "en.bz2"
    (tmp_path / "en.bz2.part").write_bytes(PAYLOAD[:100_000])
    got = download(
        served, str(dest), expected_size=len(PAYLOAD), checksums={"md5": md5(PAYLOAD)}, config=FAST
    )
    assert dest.read_bytes() == PAYLOAD
    (req,) = http_server.requests_for("/" + REL)
    assert req.range == "bytes=100000-" and req.status == 206
    assert got.transferred == req.body_bytes == len(PAYLOAD) - 100_000


def test_server_ignoring_range_restarts_from_zero(http_server, served, tmp_path):
    http_server.faults.ignore_range("/" + REL)
    (tmp_path / "en.bz2.part").write_bytes(PAYLOAD[:50_000])
    got = download(served, str(tmp_path / "en.bz2"), checksums={"md5": md5(PAYLOAD)}, config=FAST)
    (req,) = http_server.requests_for("/" + REL)
    assert req.range == "bytes=50000-" and req.status == 200
    assert (tmp_path / "en.bz2").read_bytes() == PAYLOAD  # not the old prefix + whole file
    assert got.transferred == len(PAYLOAD)


def test_part_of_an_older_remote_version_is_not_stitched(http_server, served, tmp_path):
    (tmp_path / "en.bz2.part").write_bytes(b"x" * 50_000)  # bytes of a file since replaced
    (tmp_path / "en.bz2.part.json").write_text(json.dumps({"uri": served, "validator": '"old-etag"'}))
    download(served, str(tmp_path / "en.bz2"), config=FAST)
    (req,) = http_server.requests_for("/" + REL)
    assert req.headers["if-range"] == '"old-etag"' and req.status == 200
    assert (tmp_path / "en.bz2").read_bytes() == PAYLOAD


def test_retries_503_and_429_then_succeeds(http_server, served, tmp_path):
    http_server.faults.status("/" + REL, 503, times=2)
    http_server.faults.status("/" + REL, 429, times=1, retry_after=0)
    download(served, str(tmp_path / "en.bz2"), checksums={"md5": md5(PAYLOAD)}, config=FAST)
    assert [r.status for r in http_server.requests_for("/" + REL)] == [503, 503, 429, 200]
    assert (tmp_path / "en.bz2").read_bytes() == PAYLOAD


def test_gives_up_after_the_configured_attempts(http_server, served, tmp_path):
    http_server.faults.status("/" + REL, 503, times=None)
    config = dataclasses.replace(FAST, retries=2)
    with pytest.raises(DownloadError, match="giving up after 3 attempts") as err:
        download(served, str(tmp_path / "en.bz2"), config=config)
    assert served in str(err.value) and "503" in str(err.value) and err.value.status == 503
    assert len(http_server.requests_for("/" + REL)) == 3
    assert not (tmp_path / "en.bz2").exists()


@pytest.mark.parametrize("status", [404, 403])
def test_client_errors_are_not_retried_and_name_the_url(http_server, served, tmp_path, status):
    http_server.faults.status("/" + REL, status, times=None)
    with pytest.raises(DownloadError) as err:
        download(served, str(tmp_path / "en.bz2"), config=FAST)
    assert err.value.status == status
    assert served in str(err.value) and f"HTTP {status}" in str(err.value) and "not retried" in str(err.value)
    assert len(http_server.requests_for("/" + REL)) == 1


def test_missing_file_is_a_404(http_server, tmp_path):
    url = http_server.url_for("enwiki/20230501/nope.bz2")
    with pytest.raises(DownloadError, match="HTTP 404 .* not on the mirror") as err:
        download(url, str(tmp_path / "nope.bz2"), config=FAST)
    assert url in str(err.value)


def test_checksum_mismatch_names_everything_and_leaves_no_file(http_server, served, tmp_path):
    http_server.faults.corrupt("/" + REL)
    dest = tmp_path / "out" / "en.bz2"
    with pytest.raises(ChecksumMismatch) as err:
        download(served, str(dest), expected_size=len(PAYLOAD), checksums={"md5": md5(PAYLOAD)}, config=FAST)
    e = err.value
    assert (e.algorithm, e.expected) == ("md5", md5(PAYLOAD)) and e.actual != e.expected
    for part in (str(dest) + ".part", "md5", md5(PAYLOAD), e.actual, served):
        assert part in str(e)
    assert os.listdir(dest.parent) == []  # neither dest nor .part: a re-run starts clean


def test_size_mismatch_is_an_error_and_leaves_no_file(served, tmp_path):
    with pytest.raises(SizeMismatch, match=f"expected {len(PAYLOAD) + 1} bytes, got {len(PAYLOAD)}"):
        download(served, str(tmp_path / "out" / "en.bz2"), expected_size=len(PAYLOAD) + 1, config=FAST)
    assert os.listdir(tmp_path / "out") == []


def test_complete_dest_is_skipped(http_server, served, tmp_path):
    dest = str(tmp_path / "en.bz2")
    first = download(served, dest, checksums={"md5": md5(PAYLOAD)}, config=FAST)
    again = download(served, dest, checksums={"md5": md5(PAYLOAD)}, config=FAST)
    assert len(http_server.requests_for("/" + REL)) == 1
    assert again.skipped and again.transferred == 0 and again.sha256 == first.sha256


def test_wrong_dest_is_downloaded_again(http_server, served, tmp_path):
    dest = tmp_path / "en.bz2"
    dest.write_bytes(b"stale")
    got = download(served, str(dest), checksums={"md5": md5(PAYLOAD)}, config=FAST)
    assert not got.skipped and dest.read_bytes() == PAYLOAD


def test_local_file_is_verified_in_place(tmp_path):
    src = tmp_path / "in.bz2"
    src.write_bytes(PAYLOAD)
    got = download(str(src), checksums={"MD5": md5(PAYLOAD).upper()}, config=FAST)
    assert (got.path, got.sha256, got.checksums) == (str(src), sha256(PAYLOAD), {"md5": md5(PAYLOAD)})
    with pytest.raises(ChecksumMismatch, match=str(src)):
        download(f"file://{src}", checksums={"sha256": "0" * 64}, config=FAST)
    assert src.read_bytes() == PAYLOAD  # a caller's file is never deleted


def test_local_file_copied_to_dest(tmp_path):
    src = tmp_path / "in.bz2"
    src.write_bytes(PAYLOAD)
    got = download(str(src), str(tmp_path / "cache" / "in.bz2"), checksums={"md5": md5(PAYLOAD)}, config=FAST)
    assert (tmp_path / "cache" / "in.bz2").read_bytes() == PAYLOAD and got.size == len(PAYLOAD)


def test_bad_checksum_arguments_fail_before_any_request(http_server, served, tmp_path):
    with pytest.raises(ValueError, match="crc32"):
        download(served, str(tmp_path / "x"), checksums={"crc32": "abcd"}, config=FAST)
    with pytest.raises(ValueError, match="32 hex"):
        download(served, str(tmp_path / "x"), checksums={"md5": "abc"}, config=FAST)
    assert http_server.requests == []


def _sha1(data: bytes) -> str:
    import hashlib

    return hashlib.sha1(data).hexdigest()


def test_part_already_whole_is_finished_without_transfer(http_server, served, tmp_path):
    (tmp_path / "en.bz2.part").write_bytes(PAYLOAD)  # killed after the last byte, before the rename
    got = download(served, str(tmp_path / "en.bz2"), checksums={"md5": md5(PAYLOAD)}, config=FAST)
    (req,) = http_server.requests_for("/" + REL)
    assert req.status == 416 and got.transferred == 0
    assert (tmp_path / "en.bz2").read_bytes() == PAYLOAD


def test_remote_dest_is_refused(served):
    with pytest.raises(ValueError, match="must be a local path"):
        download(served, "s3://bucket/en.bz2", config=FAST)
