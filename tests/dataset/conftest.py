from tests.servers import http_server, moto_server, s3_bucket, s3_server  # noqa: F401
