from __future__ import annotations

import pytest

from tests.servers import RedisServer


@pytest.fixture(scope="session")
def redis_server():
    """One redis-server for the integration session."""
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def fresh_redis():
    """A redis-server of the test's own (for tests that restart or flush it)."""
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server():
    """One MinIO server for the integration session (built once from its Go module)."""
    from tests.servers import S3Server
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """The AWS variables pointing this process at the test S3 server, and a fresh bucket."""
    import uuid
    for k, v in s3_server.env().items():
        monkeypatch.setenv(k, v)
    bucket = f"test-{uuid.uuid4().hex[:10]}"
    s3_server.make_bucket(bucket)
    return bucket
