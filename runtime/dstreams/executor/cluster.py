"""The driver side of the cluster masters: tasks go to executor processes through Redis
(RedisBackend: a transport around TaskSlots; local-cluster's processes are in launcher.py).

``local-cluster[N]`` starts a private redis-server (unless ``DSTREAMS_REDIS_URL`` is set) and N
executor processes on this host; ``redis://host:port/db`` expects executors started separately
(``dstreams executor``), as the Kubernetes operator does in pods. Both use the same backend.
"""
from __future__ import annotations

import itertools
import logging
import os
import pickle
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from ..errors import DStreamsError, TaskLostError as ExecutorLostError
from ..config import Settings
from ..scheduler.backend import SchedulerBackend
from ..scheduler.slots import Lost, Send, TaskSlots
from ..scheduler.task import ResultTask, ShuffleMapTask, TaskResult, pickle_stage, settle
from ..storage.redis_store import Codec, RedisBlockStore, RedisShuffleStore
from ..taskcontext import ExecutorEnv
from ..protocol import STOP, Env, Keys, hash_seed
from .appkeys import delete_app_keys
from .channels import RedisProgressSink, RedisReceiverChannel
from .launcher import LocalCluster
from .redisconn import connect, redact

__all__ = ["RedisBackend", "LocalCluster", "ExecutorLostError", "make_backend"]

log = logging.getLogger("dstreams.cluster")


class NoExecutorsError(DStreamsError):
    """Tasks waited longer than dstreams.executor.registrationTimeout with no executor."""


class DriverConflictError(DStreamsError):
    """Another live driver already runs this application id on the same Redis."""


class RedisBackend(SchedulerBackend):
    """Dispatches tasks to registered executors' queues (TaskSlots decides which) and collects
    their results."""

    def __init__(self, redis_url: str, app_id: str, conf: Settings | Mapping[str, Any], expected_executors: int = 0,
                 launcher: "LocalCluster | None" = None) -> None:
        self.redis_url = redis_url
        self.conf = conf = conf if isinstance(conf, Settings) else Settings(conf)
        self.retry_window = float(conf.value("dstreams.redis.retryWindow"))
        self.r = connect(redis_url, retry_window=self.retry_window)
        self.keys = Keys(app_id)
        self.session = uuid.uuid4().hex[:12]
        codec = Codec(conf.value("dstreams.compression"))
        self.env = ExecutorEnv(app_id, RedisBlockStore(self.r, app_id, codec), RedisShuffleStore(self.r, app_id, codec))
        self.expected = expected_executors
        self.launcher = launcher
        self.heartbeat_ttl = float(conf.value("dstreams.executor.heartbeatTimeout"))
        self.registration_timeout = float(conf.value("dstreams.executor.registrationTimeout"))
        self._waiting_since: float | None = None
        self._epochs = 0
        self._grace_until = 0.0
        self._warned_at = 0.0
        self._lock = threading.Lock()
        self._slots = TaskSlots()
        self._payloads: dict[str, bytes] = {}
        self._task_ids = itertools.count()
        self._stopped = threading.Event()
        self.stopping = False
        self.lost_executors = 0
        self._receiver_channel = RedisReceiverChannel(redis_url, app_id, self.r)
        self._progress_sink = RedisProgressSink(self.r, app_id)
        self._claim_driver()
        self._threads = [
            threading.Thread(target=self._result_loop, name="dstreams-results", daemon=True),
            threading.Thread(target=self._monitor_loop, name="dstreams-monitor", daemon=True),
        ]
        for t in self._threads:
            t.start()

    # -- driver identity -----------------------------------------------------------------------
    def _claim_driver(self) -> None:
        ttl = int(self.heartbeat_ttl * 1000) + 2000
        # a driver that just died (or was replaced) holds the lease for at most ttl: wait it out
        wait = self.conf.value("dstreams.driver.leaseWait")
        deadline = time.monotonic() + (ttl / 1000 + 1 if wait is None else wait)
        while not self.r.set(self.keys.driver, self.session, nx=True, px=ttl):
            if time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            other = self.r.get(self.keys.driver)
            raise DriverConflictError(
                f"application {self.keys.app_id!r} already has a live driver (session "
                f"{other.decode() if other else '?'}) on Redis {redact(self.redis_url)}; stop it or use another app id")
        pipe = self.r.pipeline(transaction=False)
        pipe.set(self.keys.epoch, self.session)
        pipe.set(self.keys.hashseed, hash_seed(os.environ))  # executors check theirs against it
        pipe.delete(self.keys.results)  # leftovers of a previous driver of this app
        pipe.execute()
        for eid in self.r.smembers(self.keys.executors):
            self.r.delete(self.keys.queue(eid.decode()))
        # RDD ids restart at 0 with a new driver: a previous driver's cached partitions must not
        # pass for this one's (received input blocks, input-*, are kept for recovery)
        for pattern in ("block:rdd-*", "block:pc-*", "block:broadcast-*"):
            stale = list(self.r.scan_iter(self.keys.prefix + pattern, count=1000))
            if stale:
                self.r.unlink(*stale)

    @property
    def default_parallelism(self) -> int:
        with self._lock:
            cores = self._slots.total_cores
        return max(cores, self.expected, 2)

    def executor_ids(self) -> list[str]:
        """Return the ids of the executors with a live heartbeat."""
        with self._lock:
            return self._slots.executor_ids()

    def wait_for_executors(self, n: int, timeout: float) -> None:
        """Block until ``n`` executors are registered, or raise with what is known."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._refresh_executors()
            if len(self.executor_ids()) >= n:
                return
            if self.launcher is not None:
                self.launcher.check_alive()
            time.sleep(0.05)
        raise DStreamsError(f"only {len(self.executor_ids())} of {n} executors registered within {timeout:.0f}s"
                            + (self.launcher.logs_tail() if self.launcher else ""))

    # -- dispatch ------------------------------------------------------------------------------
    def submit(self, task: ShuffleMapTask | ResultTask, stage_key: object) -> "Future[TaskResult]":
        key = f"{self.session}-{stage_key}"
        if key not in self._payloads:
            payload = pickle_stage(task)
            self.r.set(self.keys.stage(key), payload)
            self._payloads[key] = payload
        fut: Future = Future()
        tid = next(self._task_ids)
        with self._lock:
            self._send_locked(self._slots.submit(tid, key, (task, fut), sticky=task.long_running))
        return fut

    def _send_locked(self, sends: list[Send]) -> None:
        """Push each task message onto its executor's queue (executors fetch stage payloads from
        Redis themselves, so ``with_stage`` and ``drop`` need no message)."""
        if not sends:
            return
        pipe = self.r.pipeline(transaction=False)
        for s in sends:
            task = s.payload[0]
            msg = pickle.dumps((s.task_id, s.stage_key, task.stage_id, task.partition, task.attempt), protocol=5)
            pipe.rpush(self.keys.queue(s.executor_id), msg)
        pipe.execute()

    def stage_finished(self, stage_key: object) -> None:
        key = f"{self.session}-{stage_key}"
        if self._payloads.pop(key, None) is not None:
            try:
                self.r.unlink(self.keys.stage(key))
            except Exception:  # noqa: BLE001
                pass

    # -- results -------------------------------------------------------------------------------
    def _result_loop(self) -> None:
        r = connect(self.redis_url, retry_window=self.retry_window)
        while not self._stopped.is_set():
            try:
                item = r.blpop([self.keys.results], timeout=1)
            except Exception as exc:  # noqa: BLE001 - Redis restarting
                log.warning("result listener: %s", exc)
                self._stopped.wait(0.5)
                continue
            if item is None:
                continue
            tid, blob = pickle.loads(item[1])
            with self._lock:
                entry, sends = self._slots.task_finished(tid)
                if entry is None:
                    continue  # a task already declared lost, or from a previous driver
                fut = entry[1]
                entry = None  # hold no task (and so no RDD lineage) past its result
                try:
                    self._send_locked(sends)
                except Exception as exc:  # noqa: BLE001 - Redis restarting: the epoch check reschedules
                    log.warning("dispatch: %s", exc)
            settle(fut, blob)

    # -- membership and failure detection ------------------------------------------------------
    def _refresh_executors(self) -> None:
        ids = [i.decode() for i in self.r.smembers(self.keys.executors)]
        beats = self.r.mget([self.keys.heartbeat(i) for i in ids]) if ids else []
        alive = {i: pickle.loads(b) for i, b in zip(ids, beats) if b is not None}
        lost: dict[str, list[Lost]] = {}
        with self._lock:
            sends: list[Send] = []
            for eid, info in alive.items():
                if not self._slots.has_executor(eid):
                    sends += self._slots.executor_joined(eid, info.cores)
                    log.info("executor %s registered (%s, pid %s, %d cores)", eid, info.host, info.pid, info.cores)
            in_grace = time.monotonic() < self._grace_until
            for eid in self._slots.executor_ids():
                if eid not in alive and not in_grace:
                    lost[eid] = self._slots.executor_lost(eid)
            self._send_locked(sends)
        for eid, tasks in lost.items():
            self.lost_executors += 1
            log.warning("executor %s lost (no heartbeat for %.1fs); rescheduling %d tasks",
                        eid, self.heartbeat_ttl, len(tasks))
            try:
                self.r.srem(self.keys.executors, eid)
                self.r.delete(self.keys.queue(eid))
            except Exception:  # noqa: BLE001
                pass
            _fail(tasks, ExecutorLostError(f"executor {eid} was lost while running the task"))

    def _check_epoch(self) -> None:
        if self.r.get(self.keys.epoch) is not None:
            return
        log.error("Redis lost this application's data (restarted without persistence?); "
                  "re-publishing stages and rescheduling running tasks")
        self._epochs += 1
        # executors re-announce themselves within a heartbeat: none of them is lost meanwhile
        self._grace_until = time.monotonic() + self.heartbeat_ttl
        pipe = self.r.pipeline(transaction=False)
        # a new value: receivers on executors see it change and report their recent blocks again
        pipe.set(self.keys.epoch, f"{self.session}:{self._epochs}")
        pipe.set(self.keys.hashseed, hash_seed(os.environ))
        pipe.set(self.keys.driver, self.session, px=int(self.heartbeat_ttl * 1000) + 2000)
        for key, payload in list(self._payloads.items()):
            pipe.set(self.keys.stage(key), payload)
        pipe.execute()
        with self._lock:
            inflight = self._slots.running_lost()
        _fail(inflight, ExecutorLostError("Redis lost its data while the task was queued or running"))

    def _monitor_loop(self) -> None:
        interval = min(0.5, self.heartbeat_ttl / 4)
        while not self._stopped.wait(interval):
            try:
                self._check_epoch()
                owner = self.r.get(self.keys.driver)
                if owner is not None and owner.decode() != self.session:
                    log.error("another driver took over application %s", self.keys.app_id)
                self.r.set(self.keys.driver, self.session, px=int(self.heartbeat_ttl * 1000) + 2000)
                self._refresh_executors()
                self._check_waiting()
                if self.launcher is not None:
                    self.launcher.restart_dead()
            except Exception as exc:  # noqa: BLE001 - keep monitoring through Redis hiccups
                log.warning("monitor: %s", exc)

    def _check_waiting(self) -> None:
        """Tasks waiting with no executor at all: warn every few seconds, and fail them once the
        registration timeout passed (the message says how to start executors)."""
        with self._lock:
            waiting = len(self._slots) > 0 and not self._slots.executor_ids()
        now = time.monotonic()
        if not waiting:
            self._waiting_since = None
            return
        if self._waiting_since is None:
            self._waiting_since = self._warned_at = now
            return
        how = (f"start executors with `dstreams executor --master {redact(self.redis_url)} "
               f"--app-id {self.keys.app_id}`")
        waited = now - self._waiting_since
        if waited >= self.registration_timeout:
            with self._lock:
                pending = self._slots.drain()
            _fail(pending, NoExecutorsError(
                f"no executor registered for application {self.keys.app_id!r} on Redis "
                f"{redact(self.redis_url)} within {self.registration_timeout:g}s "
                f"(dstreams.executor.registrationTimeout): {how}"))
        elif now - self._warned_at >= 5.0:
            self._warned_at = now
            log.warning("tasks wait for executors: none registered for %.0fs; %s", waited, how)

    # -- capabilities ------------------------------------------------------------------------
    def receiver_channel(self) -> RedisReceiverChannel:
        """Receivers run as long tasks on the executors and report through Redis."""
        return self._receiver_channel

    def progress_sink(self) -> RedisProgressSink:
        """The operator reads the streaming driver's progress from Redis."""
        return self._progress_sink

    # -- shutdown ------------------------------------------------------------------------------
    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self.stopping = True
        self._stopped.set()
        for t in self._threads:
            t.join(timeout=5)
        try:
            ids = [i.decode() for i in self.r.smembers(self.keys.executors)]
            pipe = self.r.pipeline(transaction=False)
            for eid in ids:
                pipe.delete(self.keys.queue(eid))
                pipe.rpush(self.keys.queue(eid), STOP)
            pipe.execute()
            self._await_stops_taken(ids, timeout=5.0)
        except Exception:  # noqa: BLE001
            pass
        if self.launcher is None or not self.launcher.owns_redis:
            try:  # (a private redis-server goes away with its keys)
                delete_app_keys(self.r, self.keys.prefix)
            except Exception:  # noqa: BLE001
                pass
        if self.launcher is not None:
            self.launcher.stop()
        with self._lock:
            pending = self._slots.drain()
        _fail(pending, DStreamsError("the Context was stopped"))


    def _await_stops_taken(self, ids: list[str], timeout: float) -> None:
        """Give the live executors up to ``timeout`` s to take their STOP: deleting the app's
        keys before an executor (busy, or between two polls) took it would leave it waiting."""
        beats = self.r.mget([self.keys.heartbeat(e) for e in ids]) if ids else []
        waiting = [e for e, b in zip(ids, beats) if b is not None]
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            pipe = self.r.pipeline(transaction=False)
            for e in waiting:
                pipe.llen(self.keys.queue(e))
            waiting = [e for e, n in zip(waiting, pipe.execute()) if n]
            if waiting:
                time.sleep(0.02)


def _fail(tasks: list[Lost], exc: BaseException) -> None:
    for item in tasks:
        item.payload[1].set_exception(exc)


def make_backend(ctx: Any) -> RedisBackend:
    """Return the backend for a ``local-cluster[N]`` or ``redis://`` master."""
    master = ctx._master
    if master.kind == "local-cluster":
        cluster = LocalCluster(master.cores, ctx.applicationId, os.environ.get(Env.REDIS_URL), ctx.conf.to_environ())
        try:
            backend = RedisBackend(cluster.redis_url, ctx.applicationId, ctx.conf, master.cores, cluster)
            cluster.start_executors()
            backend.wait_for_executors(master.cores, ctx.conf.value("dstreams.executor.startTimeout"))
        except BaseException:
            cluster.stop()
            raise
        return backend
    return RedisBackend(master.url, ctx.applicationId, ctx.conf, ctx.conf.value("dstreams.executor.instances"))
