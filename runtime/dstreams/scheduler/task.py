"""Tasks and the function every executor uses to run one."""
from __future__ import annotations

import pickle
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import cloudpickle

from ..errors import DStreamsError, FetchFailedError, TaskExitError
from ..serialization import dumps
from ..storage.shuffle import write_shuffle
from ..taskcontext import ExecutorEnv, TaskContext

__all__ = ["ShuffleMapTask", "ResultTask", "TaskResult", "run_task", "encode_result", "RemoteTaskError",
           "pickle_stage", "run_shipped_task", "settle", "shipped_as_stored"]


class ShuffleMapTask:
    """Compute one partition of a shuffle's parent and store its buckets."""

    __slots__ = ("stage_id", "partition", "attempt", "dep", "stored")
    long_running = False

    def __init__(self, stage_id: int, partition: int, dep: Any, attempt: int = 0,
                 stored: frozenset[int] = frozenset()) -> None:
        self.stage_id = stage_id
        self.partition = partition
        self.dep = dep
        self.attempt = attempt
        self.stored = stored  # persisted RDDs the stage reads from the block store

    def run(self, tc: TaskContext) -> None:
        dep = self.dep
        rdd = dep.rdd
        split = rdd.partitions()[self.partition]
        p = dep.partitioner
        store = tc.env.shuffle_store
        buckets = write_shuffle(rdd.iterator(split, tc), p.numPartitions, p.partitionFunc, dep.aggregator,
                                store.keeps_objects)
        store.write(dep.shuffle_id, self.partition, buckets)
        return None

    def __repr__(self) -> str:
        return f"ShuffleMapTask(stage={self.stage_id}, partition={self.partition}, attempt={self.attempt})"


class ResultTask:
    """Compute one partition of the job's final RDD and apply the action's function to it."""

    __slots__ = ("stage_id", "partition", "attempt", "rdd", "func", "stored", "long_running")

    def __init__(self, stage_id: int, partition: int, rdd: Any, func: Callable, attempt: int = 0,
                 stored: frozenset[int] = frozenset(), long_running: bool = False) -> None:
        self.stage_id = stage_id
        self.partition = partition
        self.rdd = rdd
        self.func = func
        self.attempt = attempt
        self.stored = stored  # persisted RDDs the stage reads from the block store
        self.long_running = long_running  # runs as long as the application (a receiver)

    def run(self, tc: TaskContext) -> Any:
        rdd = self.rdd
        return self.func(tc, rdd.iterator(rdd.partitions()[self.partition], tc))

    def __repr__(self) -> str:
        return f"ResultTask(stage={self.stage_id}, partition={self.partition}, attempt={self.attempt})"


@dataclass
class TaskResult:
    """What a task attempt produced: a value, or an error with its formatted traceback."""

    stage_id: int
    partition: int
    attempt: int
    value: Any = None
    error: BaseException | None = None
    traceback: str = ""
    fetch_failed: FetchFailedError | None = None
    accumulator_updates: dict = field(default_factory=dict)
    duration: float = 0.0
    executor_id: str = "driver"

    @property
    def ok(self) -> bool:
        return self.error is None and self.fetch_failed is None


def run_task(task: ShuffleMapTask | ResultTask, env: ExecutorEnv) -> TaskResult:
    """Run one task attempt in this thread; never raises."""
    tc = TaskContext(task.stage_id, task.partition, task.attempt, env)
    TaskContext._set(tc)
    start = time.perf_counter()
    res = TaskResult(task.stage_id, task.partition, task.attempt, executor_id=env.executor_id)
    try:
        res.value = task.run(tc)
        res.accumulator_updates = tc.accumulator_updates
    except FetchFailedError as exc:
        res.fetch_failed = exc
    except BaseException as exc:  # noqa: BLE001 - any user error fails this attempt only
        res.traceback = traceback.format_exc()
        if isinstance(exc, SystemExit):
            # sys.exit() in user code fails the task; it must not end the driver or an executor
            err = TaskExitError(f"the task called sys.exit({exc.code!r})")
            err.__cause__ = exc
            exc = err
        res.error = exc
    finally:
        TaskContext._set(None)
        res.duration = time.perf_counter() - start
    return res


class RemoteTaskError(Exception):
    """Stands in for a user exception that could not be pickled back to the driver."""


def encode_result(res: TaskResult) -> bytes:
    """Pickle a TaskResult; an unpicklable value or error is replaced by a readable stand-in."""
    try:
        return cloudpickle.dumps(res, protocol=5)
    except Exception as exc:  # noqa: BLE001
        if res.error is not None:
            res.error = RemoteTaskError(f"{type(res.error).__name__}: {res.error}")
        else:
            res.error = RemoteTaskError(f"the task's result could not be pickled: {exc}")
            res.value = None
        res.error.__traceback__ = None
        return cloudpickle.dumps(res, protocol=5)


# -- tasks shipped to executor processes: a stage's payload once, then (stage, partition) ------
_shipping = threading.local()
_NOTHING: frozenset[int] = frozenset()


def shipped_as_stored() -> frozenset[int]:
    """Return the ids of the persisted RDDs the stage being pickled ships as their stored
    blocks, without lineage (the scheduler found them stored; see RDD.__reduce_ex__)."""
    return getattr(_shipping, "stored", _NOTHING)


def pickle_stage(task: ShuffleMapTask | ResultTask) -> bytes:
    """Return the payload every task of ``task``'s stage shares, pickled (once per stage)."""
    _shipping.stored = task.stored
    try:
        if isinstance(task, ShuffleMapTask):
            return dumps(("map", task.dep), "stage")
        return dumps(("result", task.rdd, task.func), "stage")
    finally:
        _shipping.stored = _NOTHING


def run_shipped_task(load_stage: Callable[[], tuple], stage_id: int, partition: int, attempt: int,
                     env: ExecutorEnv) -> TaskResult:
    """Run one task of a shipped stage on an executor (``load_stage()`` returns the unpickled
    payload of pickle_stage); never raises. The error's traceback object is dropped: its text
    is in ``traceback``."""
    try:
        stage = load_stage()
        if stage[0] == "map":
            task: Any = ShuffleMapTask(stage_id, partition, stage[1], attempt)
        else:
            task = ResultTask(stage_id, partition, stage[1], stage[2], attempt)
        res = run_task(task, env)
    except Exception as exc:  # noqa: BLE001 - e.g. a stage that cannot be unpickled: report, never die
        res = TaskResult(stage_id, partition, attempt, error=exc, traceback=repr(exc))
    res.executor_id = env.executor_id
    if res.error is not None:
        res.error.__traceback__ = None
    return res


def settle(fut: "Future[TaskResult]", blob: bytes) -> None:
    """Complete ``fut`` (driver side) with the TaskResult pickled in ``blob`` by encode_result."""
    try:
        res = pickle.loads(blob)
    except Exception as exc:  # noqa: BLE001 - e.g. a class the driver cannot import
        fut.set_exception(DStreamsError(f"cannot unpickle a task result: {exc}"))
        return
    fut.set_result(res)
