"""DAGScheduler: runs an action as stages split at shuffle boundaries.

Parent shuffles run first (only their missing map outputs); then the result stage. A task
that raises is retried up to ``max_task_failures`` attempts, after which the job fails with
the user's own exception (the remote traceback in its notes). A reduce task that cannot read
a map output reports a fetch failure: that output is forgotten, the parent stage re-runs the
missing maps, and the unfinished result tasks run again.
"""
from __future__ import annotations

import itertools
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from ..accumulators import merge_updates
from ..errors import FetchFailedError, JobAbortedError, SourceBlockLostError, StoredBlockLostError, TaskLostError
from .backend import SchedulerBackend
from .task import ResultTask, ShuffleMapTask, TaskResult

__all__ = ["DAGScheduler"]

log = logging.getLogger("dstreams.scheduler")


class DAGScheduler:
    """Turns jobs into stages and tasks for a SchedulerBackend."""

    def __init__(self, backend: SchedulerBackend, max_task_failures: int = 4, max_stage_attempts: int = 4) -> None:
        self.backend = backend
        self.max_task_failures = max(1, max_task_failures)
        self.max_stage_attempts = max(1, max_stage_attempts)
        # an executor lost while it ran the task: the task may have killed it (os._exit, a crash
        # in native code, out of memory), so as in Spark these count, up to the same bound
        self.max_task_losses = max(4, self.max_task_failures)
        self._ids = itertools.count()
        self._completed: dict[int, set[int]] = defaultdict(set)
        self._locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        # persisted RDDs a stage computed: True once every partition is known stored (stages
        # then ship them as their blocks, without lineage), False to check the store again
        self._stored: dict[int, bool] = {}
        self.stats = {"jobs": 0, "stages": 0, "tasks": 0, "task_failures": 0, "fetch_failures": 0}

    # -- public --------------------------------------------------------------------------
    def run_job(self, rdd: Any, func: Callable[[Any, Iterable], Any], partitions: list[int] | None = None,
                long_running: bool = False) -> list:
        """Return ``func(taskContext, iterator)`` for each requested partition of ``rdd``, in order.

        ``long_running`` tasks (receivers) outlive executors: losing theirs never fails them."""
        parts = list(range(rdd.getNumPartitions())) if partitions is None else list(partitions)
        self.stats["jobs"] += 1
        if not parts:
            return []
        results: dict[int, Any] = {}
        remaining = parts
        for attempt in range(self.max_stage_attempts):
            to_store = self._ensure_parents(rdd)
            self._republish_sources(rdd)
            stage_id = self._new_stage()
            stored = self._stored_set()
            tasks = [ResultTask(stage_id, p, rdd, func, attempt, stored, long_running) for p in remaining]
            done, lost = self._run_stage(stage_id, tasks, long_running)
            results.update(done)
            if not lost:
                if len(remaining) == rdd.getNumPartitions():
                    self._mark_stored(to_store)
                return [results[p] for p in parts]
            self._forget_outputs(lost)
            remaining = [p for p in parts if p not in results]
        raise JobAbortedError(
            f"job aborted: the result stage of RDD {rdd.id} hit fetch failures {self.max_stage_attempts} "
            f"times in a row (shuffle outputs keep disappearing: is the shuffle store being cleared?)")

    def forget_rdd(self, rdd_id: int) -> None:
        """A persisted RDD was unpersisted or is gone: forget whether it is stored."""
        self._stored.pop(rdd_id, None)

    def is_stored(self, rdd_id: int) -> bool:
        """Return whether every partition of a persisted RDD is known to be stored."""
        return self._stored.get(rdd_id, False)

    def forget_shuffle(self, shuffle_id: int) -> None:
        """Drop the bookkeeping of a shuffle whose outputs were deleted."""
        self._completed.pop(shuffle_id, None)
        with self._locks_guard:
            self._locks.pop(shuffle_id, None)

    def shuffle_complete(self, dep: Any) -> bool:
        return len(self._completed.get(dep.shuffle_id, ())) == dep.rdd.getNumPartitions()

    # -- stages ----------------------------------------------------------------------------
    def _new_stage(self) -> int:
        self.stats["stages"] += 1
        return next(self._ids)

    def _ensure_parents(self, rdd: Any) -> list:
        """Run the missing parent shuffles of a stage computing ``rdd``; return the persisted
        RDDs the stage will compute (and so store, when it computes every partition)."""
        to_store: list = []
        for dep in self._parent_shuffles(rdd, to_store):
            self._ensure_shuffle(dep)
        return to_store

    def _stored_set(self) -> frozenset[int]:
        # a copy first: a finalizer (forget_rdd) may run at any allocation, even in this thread
        return frozenset(rid for rid, known in self._stored.copy().items() if known)

    def _mark_stored(self, rdds: list) -> None:
        """A stage computed every partition of these persisted RDDs: they are stored now."""
        for r in rdds:
            if r._storage_level is not None:
                self._stored[r.id] = True

    def _forget_stored(self, rdd: Any) -> None:
        """Forget that the persisted RDDs of a lineage are stored (a task found one missing):
        check the store again before trusting it."""
        for r in _walk(rdd, lambda r: [dep.rdd for dep in r.dependencies()]):
            if self._stored.get(r.id):
                self._stored[r.id] = False

    def _parent_shuffles(self, rdd: Any, to_store: list | None = None) -> list:
        """Return the shuffle dependencies the job's final stage reads, nearest first.

        The walk stops at checkpointed RDDs (their lineage is cut) and at persisted RDDs whose
        partitions are all in the block store (nothing above them needs computing); the
        persisted RDDs the stage will compute go to ``to_store``."""
        found: list = []
        stored = self._stored
        block_store = self.backend.env.block_store

        def children(r: Any) -> list:
            if r._storage_level is not None and stored.get(r.id):
                return []  # stored: nothing above it needs computing
            narrow = []
            for dep in r.dependencies():
                if dep.is_shuffle:
                    found.append(dep)
                else:
                    narrow.append(dep.rdd)
            return narrow

        for r in _walk(rdd, children):
            if r._storage_level is not None:
                # known stored (since an earlier check; unpersist and failed tasks forget it) or
                # found stored now (a stage computed it before): stages ship it as its blocks
                known = stored.get(r.id)  # None: no stage has computed it yet
                if known or (known is not None and r._all_blocks_stored(block_store)):
                    stored[r.id] = True
                    continue
                stored[r.id] = False
                if to_store is not None:
                    to_store.append(r)
        return found

    def _lock_for(self, shuffle_id: int) -> threading.Lock:
        with self._locks_guard:
            lock = self._locks.get(shuffle_id)
            if lock is None:
                lock = self._locks[shuffle_id] = threading.Lock()
            return lock

    def _ensure_shuffle(self, dep: Any) -> None:
        sid = dep.shuffle_id
        with self._lock_for(sid):
            num_maps = dep.rdd.getNumPartitions()
            for attempt in range(self.max_stage_attempts):
                done = self._completed[sid]
                missing = [m for m in range(num_maps) if m not in done]
                if not missing:
                    return
                to_store = self._ensure_parents(dep.rdd)
                self._republish_sources(dep.rdd)
                stage_id = self._new_stage()
                stored = self._stored_set()
                tasks = [ShuffleMapTask(stage_id, m, dep, attempt, stored) for m in missing]
                finished, lost = self._run_stage(stage_id, tasks)
                done.update(finished)
                if not lost and len(missing) == num_maps:
                    self._mark_stored(to_store)
                self._forget_outputs(lost)
            raise JobAbortedError(
                f"job aborted: the map stage of shuffle {sid} hit fetch failures "
                f"{self.max_stage_attempts} times in a row")

    def _republish_sources(self, rdd: Any, through_persisted: bool = False) -> None:
        """Before a stage runs (and after a task found source data missing): store again the
        source data a shared block store lost (slices of parallelized collections, which the
        driver keeps). The walk stops at persisted RDDs unless ``through_persisted``."""
        store = self.backend.env.block_store
        if store.tasks_read_in_place:
            return
        for r in _stage_rdds(rdd, through_persisted):
            r._republish(store)

    def _forget_outputs(self, lost: list[FetchFailedError | StoredBlockLostError]) -> None:
        """Forget the reported map outputs and every other output of those shuffles that the
        store no longer has (a store that lost one output has usually lost more)."""
        store = self.backend.env.shuffle_store
        for sid in {ff.shuffle_id for ff in lost}:
            if sid is None:  # not a shuffle output (a stored block, see _run_stage)
                continue
            done = self._completed.get(sid)
            if done is None:
                continue
            reported = {ff.map_id for ff in lost if ff.shuffle_id == sid}
            gone = reported | set(store.missing_outputs(sid, sorted(done - reported)))
            self.stats["fetch_failures"] += len(reported)
            log.info("fetch failure in shuffle %d: recomputing map outputs %s", sid, sorted(gone))
            done -= gone

    def _run_stage(self, stage_id: int, tasks: list, long_running: bool = False
                   ) -> tuple[dict[int, Any], list[FetchFailedError | StoredBlockLostError]]:
        """Run tasks, retrying failed attempts; return ({partition: value}, fetch failures)."""
        backend = self.backend
        futures: dict[Future, Any] = {}
        for t in tasks:
            futures[backend.submit(t, stage_id)] = t
        self.stats["tasks"] += len(tasks)
        results: dict[int, Any] = {}
        failures: dict[int, int] = defaultdict(int)
        losses: dict[int, int] = defaultdict(int)
        lost: list[FetchFailedError | StoredBlockLostError] = []
        fatal: tuple[Any, TaskResult, int] | None = None  # (task, result, attempts it had)
        try:
            while futures:
                finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in finished:
                    task = futures.pop(fut)
                    res = _result_of(fut, task)
                    if res.ok:
                        if task.partition not in results:
                            results[task.partition] = res.value
                            merge_updates(res.accumulator_updates)
                    elif res.fetch_failed is not None:
                        lost.append(res.fetch_failed)
                    elif isinstance(res.error, StoredBlockLostError):
                        # a block the stage expected stored is gone: run the stage again, with
                        # the lineage that recomputes it
                        self._forget_stored(_task_rdd(task))
                        lost.append(res.error)
                    elif isinstance(res.error, TaskLostError):
                        losses[task.partition] += 1
                        n = losses[task.partition]
                        if not long_running and n >= self.max_task_losses:
                            if fatal is None:
                                fatal = (task, _lost_too_often(task, res, n), n)
                        else:
                            log.info("task %s lost (%s); resubmitting", task, res.error)
                            if fatal is None:
                                retry = _next_attempt(task)
                                futures[backend.submit(retry, stage_id)] = retry
                    else:
                        if isinstance(res.error, SourceBlockLostError):
                            self._republish_sources(_task_rdd(task), through_persisted=True)
                        self.stats["task_failures"] += 1
                        failures[task.partition] += 1
                        n = failures[task.partition]
                        log.warning("task %s failed (attempt %d of %d): %s", task, n,
                                    self.max_task_failures, res.error)
                        if fatal is None and n >= self.max_task_failures:
                            fatal = (task, res, n)
                        elif fatal is None and not lost:
                            retry = _next_attempt(task)
                            futures[backend.submit(retry, stage_id)] = retry
                            self.stats["tasks"] += 1
        finally:
            backend.stage_finished(stage_id)
        if fatal is not None:
            raise _job_failure(*fatal)
        return results, lost


def _next_attempt(task: Any) -> Any:
    if isinstance(task, ShuffleMapTask):
        return ShuffleMapTask(task.stage_id, task.partition, task.dep, task.attempt + 1, task.stored)
    return ResultTask(task.stage_id, task.partition, task.rdd, task.func, task.attempt + 1, task.stored,
                      task.long_running)


def _lost_too_often(task: Any, res: TaskResult, times: int) -> TaskResult:
    """The result that fails a job whose task lost its executor ``times`` times in a row."""
    err = TaskLostError(
        f"the executor running task {task.partition} of stage {task.stage_id} was lost {times} times in a row: "
        f"the task may be killing it (os._exit, a crash in native code, running out of memory); last: {res.error}")
    return TaskResult(task.stage_id, task.partition, task.attempt, error=err, traceback=str(err),
                      executor_id=res.executor_id)


def _result_of(fut: Future, task: Any) -> TaskResult:
    try:
        return fut.result()
    except BaseException as exc:  # noqa: BLE001 - the backend lost the task (executor died, ...)
        return TaskResult(task.stage_id, task.partition, task.attempt, error=exc,
                          traceback=f"{type(exc).__name__}: {exc}")


def _job_failure(task: Any, res: TaskResult, attempts: int) -> BaseException:
    exc = res.error
    assert exc is not None
    header = (f"dstreams: job aborted: task {task.partition} in stage {task.stage_id} failed "
              f"{attempts} times; most recent failure on executor {res.executor_id}")
    if exc.__traceback__ is None and res.traceback:
        header += ":\n" + res.traceback.rstrip()
    try:
        exc.add_note(header)
    except AttributeError:
        pass
    return exc


def _task_rdd(task: Any) -> Any:
    return task.dep.rdd if isinstance(task, ShuffleMapTask) else task.rdd


def _walk(rdd: Any, children: Callable[[Any], Iterable]) -> Iterator:
    """Yield each RDD of a lineage once, depth first from ``rdd``. ``children(r)`` names the
    RDDs to visit next from ``r``; it is called after the caller has handled ``r``."""
    seen: set[int] = set()
    stack = [rdd]
    while stack:
        r = stack.pop()
        if r.id in seen:
            continue
        seen.add(r.id)
        yield r
        stack.extend(children(r))


def _stage_rdds(rdd: Any, through_persisted: bool) -> list:
    """Return the RDDs of a stage's narrow lineage (up to shuffles, and persisted RDDs unless
    ``through_persisted``)."""
    def children(r: Any) -> list:
        if r._storage_level is not None and not through_persisted:
            return []
        return [dep.rdd for dep in r.dependencies() if not dep.is_shuffle]

    return list(_walk(rdd, children))
