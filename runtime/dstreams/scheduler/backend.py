"""The interface between the DAG scheduler and whatever runs tasks (threads, processes, pods)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from concurrent.futures import Future

from ..taskcontext import ExecutorEnv
from .task import ResultTask, ShuffleMapTask, TaskResult

__all__ = ["SchedulerBackend"]


class SchedulerBackend(ABC):
    """Runs task attempts somewhere and reports each one's TaskResult through a Future."""

    env: ExecutorEnv

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

    @abstractmethod
    def stop(self) -> None:
        """Stop the workers and release their resources."""
