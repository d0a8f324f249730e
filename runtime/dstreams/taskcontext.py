"""TaskContext: what a running task knows about itself, and the executor's environment."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .storage.blocks import BlockStore
from .storage.shuffle import ShuffleStore

__all__ = ["TaskContext", "ExecutorEnv"]


@dataclass
class ExecutorEnv:
    """The stores and caches one executor (or the local[N] driver) works with."""

    app_id: str
    block_store: BlockStore
    shuffle_store: ShuffleStore
    executor_id: str = "driver"
    broadcasts: dict[int, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_current = threading.local()


class TaskContext:
    """Information about the running task; ``TaskContext.get()`` returns None outside tasks."""

    __slots__ = ("_stage_id", "_partition_id", "_attempt_number", "env", "accumulator_updates")

    def __init__(self, stage_id: int, partition_id: int, attempt_number: int, env: ExecutorEnv) -> None:
        self._stage_id = stage_id
        self._partition_id = partition_id
        self._attempt_number = attempt_number
        self.env = env
        self.accumulator_updates: dict[int, Any] = {}

    @classmethod
    def get(cls) -> "TaskContext | None":
        """Return the context of the task running in this thread, or None on the driver."""
        return getattr(_current, "tc", None)

    @classmethod
    def _set(cls, tc: "TaskContext | None") -> None:
        _current.tc = tc

    def stageId(self) -> int:
        return self._stage_id

    def partitionId(self) -> int:
        return self._partition_id

    def attemptNumber(self) -> int:
        return self._attempt_number
