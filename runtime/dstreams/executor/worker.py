"""The executor process: announce itself, take tasks from its Redis queue, run them, post results.

Executors hold no data of their own: blocks and shuffle outputs live in Redis, so an executor
that dies loses only its running tasks, which the driver reschedules. Run one with
``dstreams executor --master redis://host:port/0 --app-id APP``.
"""
from __future__ import annotations

import logging
import os
import pickle
import signal
import socket
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..config import Settings
from ..errors import DStreamsError
from ..scheduler.task import encode_result, run_shipped_task
from ..storage.redis_store import Codec, RedisBlockStore, RedisShuffleStore
from ..taskcontext import ExecutorEnv
from ..protocol import STOP, ExecutorInfo, Keys
from .redisconn import connect
from .spawner import follow_parent

__all__ = ["Executor", "main", "HashSeedMismatchError"]

log = logging.getLogger("dstreams.executor")


class HashSeedMismatchError(DStreamsError):
    """The executor hashes keys with another PYTHONHASHSEED than the application's other
    executors: a key would land in different partitions depending on who hashed it."""


class Executor:
    """One executor: a heartbeat thread and a loop over its task queue."""

    def __init__(self, redis_url: str, app_id: str, executor_id: str | None = None, cores: int = 1,
                 heartbeat_interval: float = 0.5, heartbeat_ttl: float = 3.0) -> None:
        settings = Settings.build()
        self.r = connect(redis_url, retry_window=float(settings.value("dstreams.redis.retryWindow")))
        self.keys = Keys(app_id)
        self.executor_id = executor_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.cores = max(1, cores)
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_ttl = heartbeat_ttl
        codec = Codec(settings.value("dstreams.compression"))
        self.env = ExecutorEnv(app_id, RedisBlockStore(self.r, app_id, codec), RedisShuffleStore(self.r, app_id, codec),
                               executor_id=self.executor_id)
        self._stages: dict[str, Any] = {}
        self._seed_checked = False
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(self.cores, thread_name_prefix="dstreams-task") if self.cores > 1 else None
        self.info = pickle.dumps(ExecutorInfo(self.executor_id, socket.gethostname(), os.getpid(), self.cores))

    # -- heartbeat ---------------------------------------------------------------------------
    def _beat(self) -> None:
        pipe = self.r.pipeline(transaction=False)
        pipe.set(self.keys.heartbeat(self.executor_id), self.info, px=int(self.heartbeat_ttl * 1000))
        pipe.sadd(self.keys.executors, self.executor_id)
        pipe.execute()

    def _heartbeat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat_interval):
            try:
                self._beat()
            except Exception as exc:  # noqa: BLE001 - Redis may be restarting; keep trying
                log.warning("heartbeat failed: %s", exc)

    # -- tasks -----------------------------------------------------------------------------
    def check_hash_seed(self) -> None:
        """Compare this process's PYTHONHASHSEED with the one the driver published; raise
        HashSeedMismatchError when they differ (nothing to compare before a driver started)."""
        if self._seed_checked:
            return
        want = self.r.get(self.keys.hashseed)
        if want is None:
            return
        mine = os.environ.get("PYTHONHASHSEED", "random")
        if want.decode() != mine:
            raise HashSeedMismatchError(
                f"executor {self.executor_id} runs with PYTHONHASHSEED={mine} but application "
                f"{self.keys.app_id!r} hashes keys with PYTHONHASHSEED={want.decode()}: start it with "
                f"PYTHONHASHSEED={want.decode()} (`dstreams executor` sets it when it is not set; the runtime "
                f"image sets 0)")
        self._seed_checked = True

    def _stage(self, stage_key: str) -> Any:
        stage = self._stages.get(stage_key)
        if stage is None:
            blob = self.r.get(self.keys.stage(stage_key))
            if blob is None:
                raise LookupError(f"stage {stage_key} is not in Redis (finished, or Redis lost its data)")
            stage = pickle.loads(blob)
            if len(self._stages) > 64:
                self._stages.clear()
            self._stages[stage_key] = stage
        return stage

    def _run(self, message: bytes) -> None:
        task_id, stage_key, stage_id, partition, attempt = pickle.loads(message)
        res = run_shipped_task(lambda: self._stage(stage_key), stage_id, partition, attempt, self.env)
        self.r.rpush(self.keys.results, pickle.dumps((task_id, encode_result(res)), protocol=5))

    def run(self) -> None:
        """Serve tasks until the driver says stop (or SIGTERM)."""
        self.check_hash_seed()
        self._beat()
        hb = threading.Thread(target=self._heartbeat_loop, name="dstreams-heartbeat", daemon=True)
        hb.start()
        queue = self.keys.queue(self.executor_id)
        log.info("executor %s serving app %s", self.executor_id, self.keys.app_id)
        try:
            while not self._stop.is_set():
                try:
                    item = self.r.blpop([queue], timeout=1)
                except Exception as exc:  # noqa: BLE001 - Redis restarting: retry shortly
                    log.warning("waiting for Redis: %s", exc)
                    self._stop.wait(0.5)
                    continue
                if item is None:
                    continue
                message = item[1]
                if message == STOP:
                    break
                self.check_hash_seed()  # the driver may have started after this executor
                if self._pool is not None:
                    self._pool.submit(self._run, message)
                else:
                    self._run(message)
        finally:
            self.stop()

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        try:
            pipe = self.r.pipeline(transaction=False)
            pipe.delete(self.keys.heartbeat(self.executor_id))
            pipe.srem(self.keys.executors, self.executor_id)
            pipe.delete(self.keys.queue(self.executor_id))
            pipe.execute()
        except Exception:  # noqa: BLE001
            pass


def main(redis_url: str, app_id: str, executor_id: str | None = None, cores: int = 1) -> int:
    """Run an executor in this process until stopped; return the exit code."""
    if not follow_parent():
        return 1  # started by a local-cluster driver that is gone
    ex = Executor(redis_url, app_id, executor_id, cores)

    def on_term(signum: int, frame: Any) -> None:
        ex._stop.set()

    signal.signal(signal.SIGTERM, on_term)
    started = time.time()
    try:
        ex.run()
    except HashSeedMismatchError as exc:
        log.error("%s", exc)
        print(f"dstreams executor: {exc}", file=sys.stderr)
        return 2
    log.info("executor %s stopped after %.1fs", ex.executor_id, time.time() - started)
    return 0
