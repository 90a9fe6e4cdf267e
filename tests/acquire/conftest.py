"""Fixtures of the acquire tests: loopback HTTP mirror, moto S3 (+ fault proxy), mirror trees."""

from tests.servers import http_server, moto_server, s3_bucket, s3_proxy, s3_server  # noqa: F401
