"""atomic_open: an exception in the body leaves nothing under the final name, locally and on a
real S3 API (moto server on 127.0.0.1), for one-shot and multipart uploads."""

from __future__ import annotations

import os

import pytest

from tests.servers import moto_server, s3_bucket, s3_server  # noqa: F401
from xlm_core import io
from xlm_core.io import atomic_open, fs_and_path, write_bytes

MiB = 1 << 20


class Boom(Exception):
    pass


def _interrupted_write(uri: str, chunks: list[bytes], check=None) -> None:
    with pytest.raises(Boom):
        with atomic_open(uri) as f:
            for c in chunks:
                f.write(c)
            if check:
                check()
            raise Boom


def _keys(s3_server, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3_server.client().list_objects_v2(Bucket=bucket).get("Contents", []))


def _pending_uploads(s3_server, bucket: str) -> list[dict]:
    return s3_server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def test_local_interrupted_write_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "d" / "x.parquet"
    write_bytes(str(target), b"old")
    _interrupted_write(str(target), [b"new but cut"])
    assert target.read_bytes() == b"old"
    assert os.listdir(target.parent) == ["x.parquet"]


def test_s3_small_interrupted_write_leaves_nothing_and_rerun_completes(s3_server, s3_bucket):
    uri = f"s3://{s3_bucket}/ds/_work/units/u1/documents.parquet"
    _interrupted_write(uri, [b"PAR1", b"x" * 1000])
    assert _keys(s3_server, s3_bucket) == []
    assert _pending_uploads(s3_server, s3_bucket) == []
    write_bytes(uri, b"PAR1" + b"y" * 1000)
    fs, path = fs_and_path(uri)
    assert fs.cat_file(path) == b"PAR1" + b"y" * 1000
    assert _keys(s3_server, s3_bucket) == ["ds/_work/units/u1/documents.parquet"]


def test_s3_multipart_interrupted_write_is_aborted_and_rerun_completes(s3_server, s3_bucket, monkeypatch):
    uri = f"s3://{s3_bucket}/big.bin"
    fs, path = fs_and_path(uri)
    # 5 MiB parts (S3's minimum) so 12 MiB are two uploaded parts before the body fails
    monkeypatch.setattr(fs, "default_block_size", 5 * MiB)
    chunks = [bytes([i]) * MiB for i in range(12)]

    def parts_were_uploaded():
        (upload,) = _pending_uploads(s3_server, s3_bucket)
        parts = s3_server.client().list_parts(Bucket=s3_bucket, Key="big.bin", UploadId=upload["UploadId"])
        assert len(parts["Parts"]) >= 2

    _interrupted_write(uri, chunks, check=parts_were_uploaded)
    assert _keys(s3_server, s3_bucket) == []
    assert _pending_uploads(s3_server, s3_bucket) == []

    with atomic_open(uri) as f:
        for c in chunks:
            f.write(c)
    assert fs.info(path)["size"] == 12 * MiB
    assert fs.cat_file(path, start=11 * MiB, end=11 * MiB + 4) == bytes([11]) * 4
    assert _pending_uploads(s3_server, s3_bucket) == []
    assert not fs.transaction.files  # no file object is kept after its commit


def test_s3_empty_file_is_committed(s3_server, s3_bucket):
    write_bytes(f"s3://{s3_bucket}/empty", b"")
    assert _keys(s3_server, s3_bucket) == ["empty"]


def test_filesystem_without_autocommit_uses_a_temp_object(s3_server, s3_bucket, monkeypatch):
    monkeypatch.setattr(io, "_TRANSACTIONAL", set())  # as for a store whose files ignore autocommit
    uri = f"s3://{s3_bucket}/out/x.json"
    _interrupted_write(uri, [b"{"])
    assert _keys(s3_server, s3_bucket) == []  # neither the final name nor the temp object
    write_bytes(uri, b"{}")
    assert _keys(s3_server, s3_bucket) == ["out/x.json"]
    assert fs_and_path(uri)[0].cat_file(fs_and_path(uri)[1]) == b"{}"
