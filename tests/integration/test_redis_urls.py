"""A Redis URL that points at something else fails at once with an error that says so."""
from __future__ import annotations

import socket
import threading

import pytest

from dstreams import Context
from dstreams.executor.redisconn import RedisUnavailableError

pytestmark = pytest.mark.integration


class FakeService:
    """A TCP server on loopback that answers like an HTTP server, or never answers."""

    def __init__(self, reply: bytes | None) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.reply = reply
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.reply is not None:
                conn.recv(1024)
                conn.sendall(self.reply)

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def test_an_http_port_is_named_as_not_redis():
    svc = FakeService(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    try:
        with pytest.raises(RedisUnavailableError, match="does not speak the Redis protocol"):
            Context(f"redis://127.0.0.1:{svc.port}/0", "not-redis")
    finally:
        svc.close()
    assert Context._active is None


def test_a_port_that_never_answers_times_out_with_a_reason():
    from dstreams.executor.redisconn import connect
    svc = FakeService(None)
    try:
        with pytest.raises(RedisUnavailableError, match="did not answer PING within 1s"):
            connect(f"redis://127.0.0.1:{svc.port}/0", timeout=1.0)
    finally:
        svc.close()


def test_a_redis_master_without_executors_fails_its_job_saying_how_to_start_them(redis_server, caplog):
    import logging
    from dstreams.executor.cluster import NoExecutorsError
    caplog.set_level(logging.WARNING, logger="dstreams.cluster")
    with Context(redis_server.url, "lonely", conf={"dstreams.app.id": "lonely-app",
                                                   "dstreams.executor.registrationTimeout": "6s",
                                                   "dstreams.task.maxFailures": 1}) as ctx:
        with pytest.raises(NoExecutorsError, match="dstreams executor --master .* --app-id lonely-app"):
            ctx.parallelize(range(4), 2).sum()
    assert any("tasks wait for executors" in r.getMessage() for r in caplog.records)
