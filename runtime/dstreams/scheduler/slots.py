"""TaskSlots: which task runs on which executor, as a pure state machine (no I/O, no threads).

Both backends that run tasks outside the driver (Redis executors and local worker processes)
are transports around one TaskSlots: they feed it events — a task submitted, an executor joined
or lost, a task finished, a stage no longer needed — and carry out the instructions it returns
(:class:`Send` a task to an executor; a :class:`Lost` task fails its attempt so the DAG scheduler
retries it). Callers serialize access (the backends hold their lock around each call).

>>> slots = TaskSlots()
>>> slots.submit(1, "stage-a", "task 1")
[]
>>> [(s.task_id, s.executor_id, s.with_stage) for s in slots.executor_joined("e1", cores=1)]
[(1, 'e1', True)]
>>> slots.submit(2, "stage-a", "task 2")
[]
>>> payload, sends = slots.task_finished(1)
>>> payload, [(s.task_id, s.executor_id, s.with_stage) for s in sends]
('task 1', [(2, 'e1', False)])
>>> [(lost.task_id, lost.payload) for lost in slots.executor_lost("e1")]
[(2, 'task 2')]
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TaskSlots", "Send", "Lost"]


@dataclass(frozen=True)
class Send:
    """Instruction: send task ``task_id`` (of stage ``stage_key``) to ``executor_id``.
    ``with_stage``: the executor does not have the stage's payload yet; ``drop``: stage payloads
    the executor may forget (their stages finished)."""

    task_id: int
    executor_id: str
    stage_key: str
    payload: Any
    with_stage: bool
    drop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lost:
    """Instruction: the attempt of ``task_id`` is lost (its executor went away): fail it."""

    task_id: int
    payload: Any
    executor_id: str | None


@dataclass
class _Executor:
    cores: int
    free: int
    running: set[int] = field(default_factory=set)
    stages: set[str] = field(default_factory=set)
    drop: list[str] = field(default_factory=list)


@dataclass
class _Task:
    stage_key: str
    payload: Any
    executor_id: str | None = None
    sticky: bool = False  # a long-running task (a receiver): it survives a transport loss


class TaskSlots:
    """Pending tasks, executors with free slots, and the stage payloads each executor holds."""

    def __init__(self) -> None:
        self._executors: dict[str, _Executor] = {}
        self._tasks: dict[int, _Task] = {}
        self._pending: deque[int] = deque()

    # -- views -----------------------------------------------------------------------------
    def executor_ids(self) -> list[str]:
        """Return the ids of the executors that can take tasks, sorted."""
        return sorted(self._executors)

    def has_executor(self, executor_id: str) -> bool:
        return executor_id in self._executors

    @property
    def total_cores(self) -> int:
        """Return the number of task slots of all executors."""
        return sum(e.cores for e in self._executors.values())

    def running_on(self, executor_id: str) -> list[int]:
        """Return the ids of the tasks running on an executor, sorted."""
        ex = self._executors.get(executor_id)
        return sorted(ex.running) if ex is not None else []

    def __len__(self) -> int:
        """The number of tasks submitted and not yet finished or lost."""
        return len(self._tasks)

    # -- events ----------------------------------------------------------------------------
    def submit(self, task_id: int, stage_key: str, payload: Any, sticky: bool = False) -> list[Send]:
        """A task attempt was submitted; return what to send now. A ``sticky`` task (one that
        runs for as long as the application) keeps running through a transport loss."""
        self._tasks[task_id] = _Task(stage_key, payload, sticky=sticky)
        self._pending.append(task_id)
        return self._dispatch()

    def executor_joined(self, executor_id: str, cores: int) -> list[Send]:
        """An executor can take ``cores`` tasks at once; return what to send now."""
        if executor_id not in self._executors:
            self._executors[executor_id] = _Executor(cores, cores)
        return self._dispatch()

    def executor_lost(self, executor_id: str) -> list[Lost]:
        """An executor went away; return its tasks, which are lost."""
        ex = self._executors.pop(executor_id, None)
        if ex is None:
            return []
        return [Lost(tid, self._tasks.pop(tid).payload, executor_id) for tid in sorted(ex.running)
                if tid in self._tasks]

    def task_finished(self, task_id: int) -> tuple[Any, list[Send]]:
        """A task's result arrived; return its payload (None if it was already lost) and what to
        send now that its slot is free."""
        task = self._tasks.pop(task_id, None)
        if task is None:
            return None, []
        ex = self._executors.get(task.executor_id) if task.executor_id is not None else None
        if ex is not None and task_id in ex.running:
            ex.running.discard(task_id)
            ex.free += 1
        return task.payload, self._dispatch()

    def running_lost(self) -> list[Lost]:
        """Every task sent to an executor is lost (the transport lost its messages), except
        sticky ones, which their executors go on running; the executors stay, with the other
        slots free and no stage payloads."""
        lost = [Lost(tid, t.payload, t.executor_id) for tid, t in self._tasks.items()
                if t.executor_id is not None and not t.sticky]
        for item in lost:
            del self._tasks[item.task_id]
        for ex in self._executors.values():
            ex.running = {tid for tid in ex.running if tid in self._tasks}
            ex.free = ex.cores - len(ex.running)
            ex.stages.clear()
            ex.drop.clear()
        return lost

    def drain(self) -> list[Lost]:
        """Forget every task (the backend stops or broke); return them, pending ones too."""
        lost = [Lost(tid, t.payload, t.executor_id) for tid, t in self._tasks.items()]
        self._tasks.clear()
        self._pending.clear()
        for ex in self._executors.values():
            ex.running.clear()
            ex.free = ex.cores
        return lost

    def stage_finished(self, stage_key: str) -> None:
        """No more tasks of this stage will be submitted: executors may drop its payload."""
        for ex in self._executors.values():
            if stage_key in ex.stages:
                ex.drop.append(stage_key)

    # -- decisions ---------------------------------------------------------------------------
    def _dispatch(self) -> list[Send]:
        """Fill free slots, the executors with the most free slots first, tasks in order."""
        if not self._pending:
            return []
        sends: list[Send] = []
        for eid, ex in sorted(self._executors.items(), key=lambda kv: -kv[1].free):
            while ex.free > 0 and self._pending:
                tid = self._pending.popleft()
                task = self._tasks.get(tid)
                if task is None:
                    continue
                task.executor_id = eid
                ex.free -= 1
                ex.running.add(tid)
                drop = tuple(ex.drop)
                if drop:
                    ex.stages.difference_update(drop)
                    ex.drop.clear()
                with_stage = task.stage_key not in ex.stages
                ex.stages.add(task.stage_key)
                sends.append(Send(tid, eid, task.stage_key, task.payload, with_stage, drop))
            if not self._pending:
                break
        return sends
