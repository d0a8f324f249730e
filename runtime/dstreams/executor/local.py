"""The local[N] backend: N threads in the driver process sharing in-memory stores."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from ..scheduler.backend import SchedulerBackend
from ..scheduler.task import ResultTask, ShuffleMapTask, TaskResult, run_task
from ..storage.blocks import MemoryBlockStore
from ..storage.shuffle import MemoryShuffleStore
from ..taskcontext import ExecutorEnv

__all__ = ["LocalBackend"]


class LocalBackend(SchedulerBackend):
    """Runs tasks on a pool of ``cores`` threads (named ``dstreams-task-N``)."""

    def __init__(self, app_id: str, cores: int) -> None:
        self.cores = cores
        self.env = ExecutorEnv(app_id, MemoryBlockStore(), MemoryShuffleStore())
        self._pool = ThreadPoolExecutor(max_workers=cores, thread_name_prefix="dstreams-task")

    @property
    def default_parallelism(self) -> int:
        return self.cores

    def submit(self, task: ShuffleMapTask | ResultTask, stage_key: object) -> "Future[TaskResult]":
        return self._pool.submit(run_task, task, self.env)

    def stop(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
