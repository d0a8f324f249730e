"""Exception classes raised by dstreams. Each one says what went wrong and what to do."""
from __future__ import annotations

__all__ = [
    "DStreamsError",
    "MasterURLError",
    "NotSerializableError",
    "InputPathNotFoundError",
    "OutputPathExistsError",
    "BlockNotFoundError",
    "StoredBlockLostError",
    "SourceBlockLostError",
    "FetchFailedError",
    "JobAbortedError",
    "ContextStoppedError",
    "ContextUsedInTaskError",
    "TaskLostError",
    "StorageAccessError",
    "UserStopIterationError",
    "TaskExitError",
]


class DStreamsError(Exception):
    """Base class of every dstreams error."""


class MasterURLError(DStreamsError, ValueError):
    """The master string is not one of the accepted forms."""


class NotSerializableError(DStreamsError, TypeError):
    """A function (or something it captures) cannot be pickled to ship it to executors."""


class InputPathNotFoundError(DStreamsError, FileNotFoundError):
    """An input path of textFile/wholeTextFiles/binaryRecords matched no file."""


class OutputPathExistsError(DStreamsError, FileExistsError):
    """saveAsTextFile was asked to write into a directory that already exists."""


class BlockNotFoundError(DStreamsError, KeyError):
    """A stored block (input block, cached partition, local checkpoint) is gone."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the sentence readable
        return str(self.args[0]) if self.args else "block not found"


class StoredBlockLostError(BlockNotFoundError):
    """A block of a persisted RDD that a stage expected stored is gone: the scheduler runs the
    stage again with the lineage that recomputes it (as after a fetch failure)."""

    shuffle_id = None  # not a shuffle output: nothing of a shuffle to forget

    def __init__(self, message: str, rdd_id: int) -> None:
        super().__init__(message)
        self.rdd_id = rdd_id

    def __reduce__(self):
        return (type(self), (self.args[0], self.rdd_id))


class SourceBlockLostError(BlockNotFoundError):
    """A block holding the data of a parallelized collection is gone: the driver stores the
    data again before the task's next attempt."""


class FetchFailedError(DStreamsError):
    """A reduce task could not read a shuffle map output; the scheduler recomputes it."""

    def __init__(self, shuffle_id: int, map_id: int, reduce_id: int, reason: str = "missing") -> None:
        super().__init__(f"shuffle {shuffle_id}: output of map {map_id} for reduce {reduce_id} is {reason}")
        self.shuffle_id = shuffle_id
        self.map_id = map_id
        self.reduce_id = reduce_id
        self.reason = reason

    def __reduce__(self):
        return (FetchFailedError, (self.shuffle_id, self.map_id, self.reduce_id, self.reason))


class JobAbortedError(DStreamsError):
    """A job failed for a reason other than a user exception (e.g. repeated fetch failures)."""


class ContextStoppedError(DStreamsError, RuntimeError):
    """The Context was stopped; create a new one."""


class ContextUsedInTaskError(DStreamsError, RuntimeError):
    """A Context was referenced from code that runs in tasks."""


class TaskLostError(DStreamsError):
    """The executor running a task was lost (or Redis lost the task); the task is rescheduled
    without counting as one of its failures."""


class StorageAccessError(DStreamsError, OSError):
    """A checkpoint or output URL cannot be used (unreachable endpoint, bad credentials, no bucket)."""


class UserStopIterationError(DStreamsError, RuntimeError):
    """A user function raised StopIteration where it would have ended a partition early
    (inside map or filter): the task fails instead of silently dropping records."""


class TaskExitError(DStreamsError):
    """User code called sys.exit() inside a task: the task fails (and is retried) as if it had
    raised an exception."""
