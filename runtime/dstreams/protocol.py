"""What the driver, the executors and the operator agree on: Redis key names, the progress
record, and the environment variables pods are started with. A leaf module (standard library
only), so the operator imports it without the engine.

All keys of an application live under ``dstreams:{app_id}:``:

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
- ``progress``            the streaming driver's progress record (below), read by the operator
- ``hashseed``            the PYTHONHASHSEED every executor of the app must run with
- ``block:*``, ``shuffle:*``  data (storage.redis_store)

The progress record is a JSON object::

    {"state": "running" | "stopped" | "failed", "lastBatchTime": RFC3339 | null,
     "processingDelayMs": int, "schedulingDelayMs": int, "totalDelayMs": int,
     "batchesCompleted": int, "message": str, "updatedAt": RFC3339}
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

__all__ = ["key_prefix", "Keys", "ExecutorInfo", "STOP", "KEPT_KEYS", "progress_key", "lease_key",
           "new_progress", "rfc3339", "Env", "hash_seed", "DEFAULT_HASH_SEED"]

STOP = b"__stop__"
#: keys that outlive the application (they expire instead) so the operator can read how it ended
KEPT_KEYS = ("progress",)


def key_prefix(app_id: str) -> str:
    """Return the prefix of every Redis key of an application.

    >>> key_prefix("default.wordcount")
    'dstreams:default.wordcount:'
    """
    return f"dstreams:{app_id}:"


def progress_key(app_id: str) -> str:
    """Return the key of the driver's progress record."""
    return key_prefix(app_id) + "progress"


def lease_key(app_id: str) -> str:
    """Return the key of the live driver's lease (SET NX with a TTL, renewed while it runs)."""
    return key_prefix(app_id) + "driver"


class Keys:
    """Key names for one application.

    >>> Keys("a").queue("exec-0")
    'dstreams:a:queue:exec-0'
    """

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.prefix = key_prefix(app_id)
        self.driver = lease_key(app_id)
        self.epoch = self.prefix + "epoch"
        self.executors = self.prefix + "executors"
        self.results = self.prefix + "results"
        self.receivers_stop = self.prefix + "receivers-stop"
        self.progress = progress_key(app_id)
        self.hashseed = self.prefix + "hashseed"

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


def rfc3339(ms: int | None) -> str | None:
    """Return epoch milliseconds as an RFC 3339 UTC timestamp (None stays None).

    >>> rfc3339(0)
    '1970-01-01T00:00:00.000Z'
    """
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_progress(now_ms: int) -> dict[str, Any]:
    """Return the progress record of a driver that has just started streaming."""
    return {"state": "running", "lastBatchTime": None, "processingDelayMs": 0, "schedulingDelayMs": 0,
            "totalDelayMs": 0, "batchesCompleted": 0, "message": "", "updatedAt": rfc3339(now_ms)}


#: the seed of str/bytes hashing in every process that runs tasks, as PySpark fixes it for its
#: workers: keys whose hash() depends on it (dataclasses, tuples of strings) must land in the
#: same partition whichever process hashes them
DEFAULT_HASH_SEED = "0"


def hash_seed(environ: Any) -> str:
    """Return the PYTHONHASHSEED task processes run with: this process's when it is a number,
    else the default (``"0"``).

    >>> hash_seed({"PYTHONHASHSEED": "42"}), hash_seed({}), hash_seed({"PYTHONHASHSEED": "random"})
    ('42', '0', '0')
    """
    value = str(environ.get("PYTHONHASHSEED", "")).strip()
    return value if value.isdigit() else DEFAULT_HASH_SEED


class Env:
    """Names of the environment variables the CLI, the executors and the operator's pods use."""

    MASTER = "DSTREAMS_MASTER"
    APP_ID = "DSTREAMS_APP_ID"
    APP_NAME = "DSTREAMS_APP_NAME"
    ROLE = "DSTREAMS_ROLE"
    BATCH_INTERVAL = "DSTREAMS_BATCH_INTERVAL"
    CHECKPOINT_DIR = "DSTREAMS_CHECKPOINT_DIR"
    EXECUTOR_CORES = "DSTREAMS_EXECUTOR_CORES"
    REDIS_URL = "DSTREAMS_REDIS_URL"
    REDIS_PASSWORD = "DSTREAMS_REDIS_PASSWORD"
    COMPRESSION = "DSTREAMS_COMPRESSION"
    JOB_NAME = "DSTREAMS_JOB_NAME"
    JOB_NAMESPACE = "DSTREAMS_JOB_NAMESPACE"
    LOG_LEVEL = "DSTREAMS_LOG_LEVEL"
    LOG_FORMAT = "DSTREAMS_LOG_FORMAT"
    PARENT_PID = "DSTREAMS_PARENT_PID"
    HASH_SEED = "PYTHONHASHSEED"
    #: ``DSTREAMS_CONF_<key>=<value>`` sets conf key ``<key>`` (e.g. ``DSTREAMS_CONF_dstreams.ui.port``)
    CONF_PREFIX = "DSTREAMS_CONF_"
