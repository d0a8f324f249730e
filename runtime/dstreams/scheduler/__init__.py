"""The DAG scheduler: jobs -> stages at shuffle boundaries -> tasks, with retries and recompute."""
from .backend import SchedulerBackend
from .dag import DAGScheduler
from .task import ResultTask, ShuffleMapTask, TaskResult, run_task

__all__ = ["DAGScheduler", "SchedulerBackend", "ResultTask", "ShuffleMapTask", "TaskResult", "run_task"]
