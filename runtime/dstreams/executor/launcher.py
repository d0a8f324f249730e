"""local-cluster[N]'s processes: a private redis-server and N executor processes on this host,
restarted when they die."""
from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from ..protocol import Env, hash_seed
from .redisconn import RedisUnavailableError, connect
from .spawner import PARENT_PID_ENV, Spawner, die_with_parent

__all__ = ["LocalCluster"]

log = logging.getLogger("dstreams.cluster")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    """A private redis-server and N executor processes on this host, restarted if they die."""

    def __init__(self, n: int, app_id: str, redis_url: str | None, environ: dict[str, str] | None = None) -> None:
        self.n = n
        self.app_id = app_id
        self.environ = dict(environ or {})  # the driver's settings, for the executors
        self._stopping = False
        self._dir = tempfile.mkdtemp(prefix="dstreams-local-cluster-")
        self._redis: subprocess.Popen | None = None
        # redis-server and the executors die with the thread that started them: one thread
        # that lives as long as this cluster starts them all (spawner.py)
        self._spawner = Spawner("dstreams-local-cluster")
        try:
            self.redis_url = redis_url or self._start_redis()
            self.owns_redis = redis_url is None
        except BaseException:
            self._spawner.stop()
            raise
        self._procs: list[subprocess.Popen] = []
        self._count = 0

    def _start_redis(self) -> str:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RedisUnavailableError(
                "local-cluster needs redis-server on PATH (Debian: apt-get install redis-server) "
                "or DSTREAMS_REDIS_URL pointing at a running Redis")
        port = _free_port()
        log_path = os.path.join(self._dir, "redis.log")
        self._redis = self._spawner.call(
            subprocess.Popen,
            [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self._dir, "--logfile", log_path],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=die_with_parent)
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                connect(url, timeout=0.5)
                return url
            except RedisUnavailableError:
                if self._redis.poll() is not None or time.monotonic() > deadline:
                    tail = open(log_path).read()[-2000:] if os.path.exists(log_path) else ""
                    raise RedisUnavailableError(f"redis-server did not start on port {port}:\n{tail}") from None
                time.sleep(0.05)

    def start_executors(self) -> None:
        for _ in range(self.n):
            self._procs.append(self._spawner.call(self._spawn))

    def _spawn(self) -> subprocess.Popen:
        eid = f"exec-{self._count}"
        self._count += 1
        env = dict(os.environ)
        env.update(self.environ)
        env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] + [env.get("PYTHONPATH", "")])
        env[Env.HASH_SEED] = hash_seed(os.environ)  # every executor hashes keys alike
        env[PARENT_PID_ENV] = str(os.getpid())  # the executor asks to die with this thread
        with open(os.path.join(self._dir, f"{eid}.log"), "wb") as log_file:
            return subprocess.Popen(
                [sys.executable, "-m", "dstreams.cli", "executor", "--master", self.redis_url,
                 "--app-id", self.app_id, "--executor-id", eid],
                stdout=log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def pids(self) -> list[int]:
        return [p.pid for p in self._procs if p.poll() is None]

    def check_alive(self) -> None:
        if self._redis is not None and self._redis.poll() is not None:
            raise RedisUnavailableError("the local-cluster redis-server exited")

    def restart_dead(self) -> None:
        if self._stopping:
            return
        for i, p in enumerate(self._procs):
            if p.poll() is not None and not self._stopping:
                log.warning("executor process %d exited with %s; starting a replacement", p.pid, p.returncode)
                self._procs[i] = self._spawner.call(self._spawn)

    def logs_tail(self) -> str:
        out = []
        for name in sorted(os.listdir(self._dir)):
            if name.endswith(".log"):
                with open(os.path.join(self._dir, name), errors="replace") as f:
                    out.append(f"\n--- {name} ---\n" + f.read()[-1500:])
        return "".join(out)

    def stop(self) -> None:
        self._stopping = True
        deadline = time.monotonic() + 5
        for p in self._procs:
            try:
                p.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self._redis is not None:
            self._redis.terminate()
            try:
                self._redis.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._redis.kill()
        self._spawner.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
