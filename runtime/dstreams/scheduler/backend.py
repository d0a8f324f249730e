"""The interface between the engine and whatever runs tasks (threads, processes, pods).

A backend runs task attempts and says what else it can do through declared capabilities, each
with a local default, so the layers above never probe a backend for features:

- ``executor_ids()``      who runs tasks (``["driver"]`` when tasks run in the driver)
- ``receiver_channel()``  a :class:`ReceiverChannel` when receivers must run as long tasks on
                          executors (cluster modes); ``None``: receivers run in the driver
- ``progress_sink()``     a :class:`ProgressSink` where the streaming driver publishes its
                          progress record for others (the operator); ``None``: nobody reads it
- ``stopping``            True once ``stop()`` has begun (tasks failing then are not news)
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from concurrent.futures import Future
from typing import Any, Protocol

from ..taskcontext import ExecutorEnv
from .task import ResultTask, ShuffleMapTask, TaskResult

__all__ = ["SchedulerBackend", "ReceiverChannel", "ProgressSink"]


class ReceiverChannel(Protocol):
    """How receivers running on executors hand their blocks' ids to the driver.

    The driver opens a session, drains each stream's reported blocks when it builds a batch, and
    closes the session to stop its receivers; a receiver task reports blocks and polls whether it
    must stop (its session closed, or another driver took the application over).
    """

    def open(self, session: str) -> None: ...

    def take_blocks(self, stream_id: int) -> list[tuple[str, int]]: ...

    def close(self, session: str) -> None: ...

    def report(self, stream_id: int, block_id: str, num_records: int) -> None: ...

    def should_stop(self, session: str) -> bool: ...


class ProgressSink(Protocol):
    """Where the streaming driver publishes its progress record (dstreams.protocol)."""

    def publish(self, record: dict[str, Any]) -> None: ...


class SchedulerBackend(ABC):
    """Runs task attempts somewhere and reports each one's TaskResult through a Future."""

    env: ExecutorEnv
    #: True once stop() has begun
    stopping: bool = False
    #: the session id of this driver (cluster modes use it to tell drivers of one app apart)
    session: str = "local"

    @property
    @abstractmethod
    def default_parallelism(self) -> int:
        """Return the number of tasks that can run at once."""

    @abstractmethod
    def submit(self, task: ShuffleMapTask | ResultTask, stage_key: object) -> "Future[TaskResult]":
        """Start one task attempt. ``stage_key`` identifies the stage's shared payload, which
        remote backends serialize once and executors cache."""

    def stage_finished(self, stage_key: object) -> None:
        """The scheduler no longer needs this stage's payload."""

    def executor_ids(self) -> list[str]:
        """Return the ids of the executors that run tasks now."""
        return ["driver"]

    def receiver_channel(self) -> ReceiverChannel | None:
        """Return the channel receivers on executors report through, or None when receivers
        run in the driver process."""
        return None

    def progress_sink(self) -> ProgressSink | None:
        """Return where the streaming driver publishes its progress record, or None."""
        return None

    @abstractmethod
    def stop(self) -> None:
        """Stop the workers and release their resources."""
