"""The operator's Redis probe, on its failure path (the e2e tests cover a live Redis)."""
from __future__ import annotations

import socket

import pytest

pytest.importorskip("redis")

from dstreams_operator.progress import RedisProbe  # noqa: E402


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_redis_is_reported_without_its_password():
    port = closed_port()
    view = RedisProbe(timeout=1).probe(f"redis://:hunter2@127.0.0.1:{port}/0", "demo.wc")
    assert not view.reachable and view.progress is None
    assert view.error.startswith(f"cannot reach Redis at redis://:***@127.0.0.1:{port}/0: ")
    assert "hunter2" not in view.error
