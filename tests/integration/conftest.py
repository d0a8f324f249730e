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
