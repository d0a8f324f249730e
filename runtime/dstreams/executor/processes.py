"""The ``local-processes[N]`` master: N worker processes on this host, no server needed.

``local[N]`` runs tasks on threads, so Python code uses one core at a time. This backend runs
them in N worker processes (dstreams.executor.process_worker), as PySpark's ``local[N]`` does
with its Python workers, while blocks and shuffle outputs stay in the driver's memory: a worker
asks the driver for what a task reads and hands over what it writes, over its pipe. A worker
that dies loses only its running task, which is rescheduled on a replacement worker without
counting as a failure.
"""
from __future__ import annotations

import itertools
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
from concurrent.futures import Future, wait
from multiprocessing.connection import Connection

from ..errors import DStreamsError, TaskLostError
from ..protocol import Env, hash_seed
from ..scheduler.backend import SchedulerBackend
from ..scheduler.slots import Send, TaskSlots
from ..scheduler.task import ResultTask, ShuffleMapTask, TaskResult, pickle_stage, settle
from ..storage.blocks import MemoryBlockStore
from ..storage.shuffle import MemoryShuffleStore
from ..taskcontext import ExecutorEnv
from .spawner import PARENT_PID_ENV, Spawner

__all__ = ["ProcessBackend", "DriverBlockStore", "WorkerStartError"]

log = logging.getLogger("dstreams.processes")
_P = 5
# a worker that exits before saying ready this many times in a row is not coming up
MAX_START_FAILURES = 3


class WorkerStartError(DStreamsError):
    """Worker processes of ``local-processes[N]`` exit before they can take tasks."""


class DriverBlockStore(MemoryBlockStore):
    """Blocks in the driver's memory for worker processes. What the driver puts stays a list
    of objects (pickled when a worker asks for it); what a worker puts arrives pickled and
    stays so until the driver reads it."""

    tasks_read_in_place = False  # tasks run in the workers

    def put_pickled(self, block_id: str, blob: bytes) -> None:
        with self._lock:
            self._blocks[block_id] = blob  # type: ignore[assignment]

    def get(self, block_id: str) -> list | None:
        v = self._blocks.get(block_id)
        return pickle.loads(v) if type(v) is bytes else v

    def get_pickled(self, block_id: str) -> bytes | None:
        v = self._blocks.get(block_id)
        return v if v is None or type(v) is bytes else pickle.dumps(v, protocol=_P)


class _Worker:
    __slots__ = ("wid", "proc", "conn", "ready")

    def __init__(self, wid: str, proc: subprocess.Popen, conn: Connection) -> None:
        self.wid = wid
        self.proc = proc
        self.conn = conn
        self.ready = False


class ProcessBackend(SchedulerBackend):
    """Dispatches tasks to N worker processes (one task slot each, TaskSlots decides) and serves
    their store requests."""

    def __init__(self, app_id: str, workers: int) -> None:
        self.app_id = app_id
        self.n = workers
        self.env = ExecutorEnv(app_id, DriverBlockStore(), MemoryShuffleStore())
        self._lock = threading.Lock()
        self._workers: dict[str, _Worker] = {}
        self._slots = TaskSlots()
        self._payloads: dict[str, bytes] = {}
        self._task_ids = itertools.count()
        self._spawned = itertools.count()
        self._start_failures = 0
        self.stopping = False
        self._broken: BaseException | None = None
        self.lost_workers = 0
        self._handlers = {
            "bput": self._bput, "bget": self.env.block_store.get_pickled, "bhas": self._bhas,
            "bdel": self.env.block_store.remove_many, "bids": self.env.block_store.block_ids,
            "swrite": self.env.shuffle_store.write, "sread": self.env.shuffle_store.read,
            "sreadmany": self._sreadmany, "shas": self.env.shuffle_store.has_output,
            "sdel": self.env.shuffle_store.remove_shuffle, "sids": self.env.shuffle_store.shuffle_ids,
        }
        # workers die with the thread that started them (spawner.py): one thread starts them all
        self._spawner = Spawner("dstreams-spawner")
        started = [self._spawner.submit(self._spawn) for _ in range(workers)]
        # return once the workers are started (not yet ready): a fork by the program meanwhile
        # would inherit the pipe through which Popen learns that the exec worked, and block it
        wait(started, timeout=60)

    @property
    def default_parallelism(self) -> int:
        return self.n

    def executor_ids(self) -> list[str]:
        """Return the ids of the worker processes."""
        with self._lock:
            return sorted(self._workers)

    def worker_pids(self) -> list[int]:
        """Return the process ids of the live workers."""
        with self._lock:
            return [w.proc.pid for w in self._workers.values() if w.proc.poll() is None]

    # -- workers ---------------------------------------------------------------------------------
    def _spawn(self) -> None:
        """Start a worker (on the spawner's thread); a failure fails the jobs, saying why."""
        try:
            self._start_worker()
        except Exception as exc:  # noqa: BLE001 - e.g. fork failed
            self._broken = WorkerStartError(f"cannot start a local-processes worker: {exc}")
            self._fail_all(self._broken)

    def _start_worker(self) -> None:
        wid = f"worker-{next(self._spawned)}"
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] + [env.get("PYTHONPATH", "")])
        env[PARENT_PID_ENV] = str(os.getpid())  # the worker asks to die with this thread
        env[Env.HASH_SEED] = hash_seed(os.environ)  # every worker hashes keys alike
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "dstreams.executor.process_worker", str(theirs.fileno()), wid, self.app_id],
                pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        w = _Worker(wid, proc, Connection(ours.detach()))
        with self._lock:
            self._workers[wid] = w
        threading.Thread(target=self._serve, args=(w,), name=f"dstreams-{wid}", daemon=True).start()

    def _serve(self, w: _Worker) -> None:
        """Answer one worker's requests and collect its results until its pipe closes."""
        conn = w.conn
        try:
            while True:
                msg = pickle.loads(conn.recv_bytes())
                kind = msg[0]
                if kind == "call":
                    try:
                        reply = ("reply", True, self._handlers[msg[1]](*msg[2:]))
                    except Exception as exc:  # noqa: BLE001 - e.g. FetchFailedError: the task handles it
                        exc.__traceback__ = None
                        reply = ("reply", False, exc)
                    try:
                        data = pickle.dumps(reply, protocol=_P)
                    except Exception as exc:  # noqa: BLE001 - say what could not be sent
                        data = pickle.dumps(("reply", False, DStreamsError(
                            f"the driver could not send the answer to {msg[1]}: {exc!r}")), protocol=_P)
                    conn.send_bytes(data)
                elif kind == "result":
                    self._finish(w, msg[1], msg[2])
                elif kind == "ready":
                    with self._lock:
                        w.ready = True
                        self._start_failures = 0
                        self._send_locked(self._slots.executor_joined(w.wid, 1))
        except (EOFError, OSError):
            pass
        self._lost(w)

    def _lost(self, w: _Worker) -> None:
        try:
            w.conn.close()
        except OSError:
            pass
        code = w.proc.wait()
        with self._lock:
            self._workers.pop(w.wid, None)
            lost = self._slots.executor_lost(w.wid)
            stopping = self.stopping
            if not w.ready and not stopping:
                self._start_failures += 1
        if stopping:
            return
        self.lost_workers += 1
        for item in lost:
            item.payload[1].set_exception(
                TaskLostError(f"{w.wid} (pid {w.proc.pid}) exited with {code} while running the task"))
        if self._start_failures >= MAX_START_FAILURES:
            self._broken = WorkerStartError(
                f"local-processes worker processes exit before they start (last exit code {code}, "
                f"{MAX_START_FAILURES} times in a row); their output above says why")
            self._fail_all(self._broken)
            return
        log.warning("%s (pid %d) exited with %s; starting a replacement", w.wid, w.proc.pid, code)
        self._spawner.submit(self._spawn)

    def _fail_all(self, exc: BaseException) -> None:
        with self._lock:
            lost = self._slots.drain()
        for item in lost:
            item.payload[1].set_exception(exc)

    # -- store requests --------------------------------------------------------------------------
    def _bput(self, block_id: str, blob: bytes) -> None:
        self.env.block_store.put_pickled(block_id, blob)

    def _bhas(self, block_ids: list[str]) -> bool:
        return all(self.env.block_store.contains(b) for b in block_ids)

    def _sreadmany(self, shuffle_id: int, num_maps: int, reduce_id: int) -> list[bytes]:
        return list(self.env.shuffle_store.read_many(shuffle_id, num_maps, reduce_id))

    # -- dispatch --------------------------------------------------------------------------------
    def submit(self, task: ShuffleMapTask | ResultTask, stage_key: object) -> "Future[TaskResult]":
        key = str(stage_key)
        if key not in self._payloads:
            self._payloads[key] = pickle_stage(task)
        fut: Future = Future()
        tid = next(self._task_ids)
        with self._lock:
            if self.stopping or self._broken is not None:
                raise self._broken or DStreamsError("the Context was stopped")
            self._send_locked(self._slots.submit(tid, key, (task, fut)))
        return fut

    def _send_locked(self, sends: list[Send]) -> None:
        for s in sends:
            task = s.payload[0]
            msg = ("task", s.task_id, s.stage_key, self._payloads[s.stage_key] if s.with_stage else None,
                   list(s.drop), task.stage_id, task.partition, task.attempt)
            try:
                self._workers[s.executor_id].conn.send_bytes(pickle.dumps(msg, protocol=_P))
            except OSError:
                pass  # the worker died: its serve thread reschedules the task

    def _finish(self, w: _Worker, tid: int, blob: bytes) -> None:
        with self._lock:
            entry, sends = self._slots.task_finished(tid)
            self._send_locked(sends)
        if entry is None:
            return
        fut = entry[1]
        entry = None  # hold no task (and so no RDD lineage) past its result
        settle(fut, blob)

    def stage_finished(self, stage_key: object) -> None:
        key = str(stage_key)
        if self._payloads.pop(key, None) is None:
            return
        with self._lock:
            self._slots.stage_finished(key)

    # -- shutdown --------------------------------------------------------------------------------
    def stop(self) -> None:
        with self._lock:
            if self.stopping:
                return
            self.stopping = True
            workers = list(self._workers.values())
            busy = {w.wid for w in workers if self._slots.running_on(w.wid)}
        for w in workers:
            try:
                if w.wid not in busy:
                    w.conn.send_bytes(pickle.dumps(("stop",), protocol=_P))
            except OSError:
                pass
        for w in workers:
            try:
                w.proc.wait(timeout=0.5 if w.wid in busy else 5)
            except subprocess.TimeoutExpired:
                w.proc.kill()
                w.proc.wait()
        # the spawner's end kills (PR_SET_PDEATHSIG) any worker it started in the meantime
        self._spawner.stop()
        self._fail_all(DStreamsError("the Context was stopped"))
