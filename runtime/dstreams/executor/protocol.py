"""Names of the Redis keys the driver and executors share, and their message formats.

All keys of an application live under ``dstreams:{app_id}:`` (see storage.redis_store):

- ``driver``              the driver's session id (SET NX with a TTL): one live driver per app
- ``epoch``               set by the driver at start; if it vanishes, Redis lost its data
- ``executors``           set of executor ids that announced themselves
- ``hb:{executor}``       heartbeat with TTL; value = pickled ExecutorInfo
- ``queue:{executor}``    list of task messages for that executor (driver RPUSH, executor BLPOP)
- ``results``             list of (task_id, pickled TaskResult) (executor RPUSH, driver BLPOP)
- ``stage:{stage_key}``   the pickled stage payload, fetched once per stage by each executor
- ``received:{stream}``   block ids (with record counts) reported by a receiver running on an
                          executor, drained by the driver when it builds a batch
- ``receivers-stop``      the driver session whose receivers must stop
- ``progress``            the streaming driver's progress (ui.progress), read by the operator
- ``block:*``, ``shuffle:*``  data (storage.redis_store)
"""
from __future__ import annotations

from dataclasses import dataclass

from ..storage.redis_store import key_prefix

__all__ = ["Keys", "ExecutorInfo", "STOP"]

STOP = b"__stop__"


class Keys:
    """Key names for one application."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.prefix = key_prefix(app_id)
        self.driver = self.prefix + "driver"
        self.epoch = self.prefix + "epoch"
        self.executors = self.prefix + "executors"
        self.results = self.prefix + "results"
        self.receivers_stop = self.prefix + "receivers-stop"

    def heartbeat(self, executor_id: str) -> str:
        return f"{self.prefix}hb:{executor_id}"

    def queue(self, executor_id: str) -> str:
        return f"{self.prefix}queue:{executor_id}"

    def stage(self, stage_key: str) -> str:
        return f"{self.prefix}stage:{stage_key}"

    def received(self, stream_id: int) -> str:
        return f"{self.prefix}received:{stream_id}"


@dataclass(frozen=True)
class ExecutorInfo:
    """What an executor announces in its heartbeat."""

    executor_id: str
    host: str
    pid: int
    cores: int
