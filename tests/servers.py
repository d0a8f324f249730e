"""Real servers for integration tests, started on loopback ports and stopped afterwards.

Nothing here mocks: ``RedisServer`` runs Debian's redis-server. A missing binary fails the
test with the reason and the install command (tests/setup-system.sh installs it)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(cond, timeout: float, what: str, interval: float = 0.02):
    """Poll ``cond()`` until it returns a truthy value; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class RedisServer:
    """A redis-server without persistence on a free loopback port."""

    def __init__(self, port: int | None = None) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.fail("redis-server is not installed: run `bash tests/setup-system.sh` "
                        "(apt-get install redis-server)", pytrace=False)
        self.exe = exe
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="dstreams-test-redis-")
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = os.path.join(self.dir, "redis.log")
        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--logfile", log],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)

        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"redis-server exited: {open(log).read()[-2000:]}")
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_until(up, 10, f"redis-server on port {self.port}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self) -> None:
        """Kill and start again on the same port, losing every key (no persistence)."""
        self.kill()
        self.start()

    def client(self):
        import redis
        return redis.Redis(port=self.port)

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
