"""StreamingListener: callbacks on the life of a streaming application (PySpark's interface).

Events are delivered in order on one background thread, so a slow listener never delays the
batches; an exception in a listener is logged and does not stop the application. Event
objects expose PySpark's (py4j) accessors, e.g. ``batchCompleted.batchInfo().processingDelay()``.
"""
from __future__ import annotations

import logging
import queue
import threading
from .util import ms_to_datetime

__all__ = [
    "StreamingListener", "Time", "BatchInfo", "StreamInputInfo", "OutputOperationInfo", "ReceiverInfo",
    "StreamingListenerStreamingStarted", "StreamingListenerBatchSubmitted",
    "StreamingListenerBatchStarted", "StreamingListenerBatchCompleted",
    "StreamingListenerOutputOperationStarted", "StreamingListenerOutputOperationCompleted",
    "StreamingListenerReceiverStarted", "StreamingListenerReceiverError",
    "StreamingListenerReceiverStopped",
]

log = logging.getLogger("dstreams.streaming")


class StreamingListener:
    """Override the callbacks you need; each receives one event object.

    Examples
    --------
    >>> class Count(StreamingListener):
    ...     def __init__(self):
    ...         self.batches = 0
    ...     def onBatchCompleted(self, batchCompleted):
    ...         self.batches += 1
    """

    def onStreamingStarted(self, streamingStarted: "StreamingListenerStreamingStarted") -> None:
        """Called when the streaming context has started."""

    def onReceiverStarted(self, receiverStarted: "StreamingListenerReceiverStarted") -> None:
        """Called when a receiver has been started."""

    def onReceiverError(self, receiverError: "StreamingListenerReceiverError") -> None:
        """Called when a receiver has reported an error."""

    def onReceiverStopped(self, receiverStopped: "StreamingListenerReceiverStopped") -> None:
        """Called when a receiver has been stopped."""

    def onBatchSubmitted(self, batchSubmitted: "StreamingListenerBatchSubmitted") -> None:
        """Called when the jobs of a batch have been generated and queued."""

    def onBatchStarted(self, batchStarted: "StreamingListenerBatchStarted") -> None:
        """Called when the first job of a batch starts running."""

    def onBatchCompleted(self, batchCompleted: "StreamingListenerBatchCompleted") -> None:
        """Called when all the jobs of a batch have completed."""

    def onOutputOperationStarted(self, outputOperationStarted: "StreamingListenerOutputOperationStarted") -> None:
        """Called when an output operation (job) of a batch starts."""

    def onOutputOperationCompleted(self, outputOperationCompleted: "StreamingListenerOutputOperationCompleted") -> None:
        """Called when an output operation of a batch has finished (successfully or not)."""


class Time(int):
    """A batch time in milliseconds since the epoch (an int with Spark's accessors)."""

    def milliseconds(self) -> int:
        return int(self)

    def toDatetime(self):
        return ms_to_datetime(int(self))

    def __repr__(self) -> str:
        return f"{int(self)} ms"


class StreamInputInfo:
    """How many records one input stream contributed to a batch."""

    def __init__(self, inputStreamId: int, numRecords: int, metadata: dict | None = None) -> None:
        self._id, self._n, self._meta = inputStreamId, numRecords, dict(metadata or {})

    def inputStreamId(self) -> int:
        return self._id

    def numRecords(self) -> int:
        return self._n

    def metadata(self) -> dict:
        return self._meta

    def __repr__(self) -> str:
        return f"StreamInputInfo(inputStreamId={self._id}, numRecords={self._n})"


class OutputOperationInfo:
    """One output operation (pprint, foreachRDD, ...) of one batch."""

    def __init__(self, batchTime: int, id: int, name: str, description: str) -> None:  # noqa: A002
        self._batch_time = Time(batchTime)
        self._id, self._name, self._description = id, name, description
        self._start: int | None = None
        self._end: int | None = None
        self._failure: str | None = None

    def batchTime(self) -> Time:
        return self._batch_time

    def id(self) -> int:
        return self._id

    def name(self) -> str:
        return self._name

    def description(self) -> str:
        return self._description

    def startTime(self) -> int | None:
        return self._start

    def endTime(self) -> int | None:
        return self._end

    def failureReason(self) -> str | None:
        return self._failure

    def duration(self) -> int | None:
        if self._start is None or self._end is None:
            return None
        return self._end - self._start

    def __repr__(self) -> str:
        return f"OutputOperationInfo(batchTime={int(self._batch_time)}, id={self._id}, name={self._name!r})"


class BatchInfo:
    """What is known about one batch: its time, inputs, delays and output operations.

    Delays are in milliseconds, None while unknown, as in Spark.
    """

    def __init__(self, batchTime: int, streamIdToInputInfo: dict[int, StreamInputInfo],
                 submissionTime: int) -> None:
        self._batch_time = Time(batchTime)
        self._inputs = streamIdToInputInfo
        self._submission = submissionTime
        self._start: int | None = None
        self._end: int | None = None
        self._ops: dict[int, OutputOperationInfo] = {}

    def batchTime(self) -> Time:
        return self._batch_time

    def streamIdToInputInfo(self) -> dict[int, StreamInputInfo]:
        return self._inputs

    def submissionTime(self) -> int:
        return self._submission

    def processingStartTime(self) -> int | None:
        return self._start

    def processingEndTime(self) -> int | None:
        return self._end

    def schedulingDelay(self) -> int | None:
        """Time the batch waited before its first job started (ms)."""
        return None if self._start is None else max(0, self._start - self._submission)

    def processingDelay(self) -> int | None:
        """Time the batch's jobs took (ms)."""
        return None if self._start is None or self._end is None else self._end - self._start

    def totalDelay(self) -> int | None:
        """Scheduling plus processing delay (ms)."""
        s, p = self.schedulingDelay(), self.processingDelay()
        return None if s is None or p is None else s + p

    def numRecords(self) -> int:
        return sum(i.numRecords() for i in self._inputs.values())

    def outputOperationInfos(self) -> dict[int, OutputOperationInfo]:
        return self._ops

    def __repr__(self) -> str:
        return (f"BatchInfo(batchTime={int(self._batch_time)}, numRecords={self.numRecords()}, "
                f"schedulingDelay={self.schedulingDelay()}, processingDelay={self.processingDelay()})")


class ReceiverInfo:
    """A receiver's stream id, name, activity and last error."""

    def __init__(self, streamId: int, name: str, active: bool, location: str = "driver",
                 lastErrorMessage: str = "", lastError: str = "", lastErrorTime: int = -1) -> None:
        self._sid, self._name, self._active, self._location = streamId, name, active, location
        self._msg, self._err, self._err_time = lastErrorMessage, lastError, lastErrorTime

    def streamId(self) -> int:
        return self._sid

    def name(self) -> str:
        return self._name

    def active(self) -> bool:
        return self._active

    def location(self) -> str:
        return self._location

    def lastErrorMessage(self) -> str:
        return self._msg

    def lastError(self) -> str:
        return self._err

    def lastErrorTime(self) -> int:
        return self._err_time

    def __repr__(self) -> str:
        return f"ReceiverInfo(streamId={self._sid}, name={self._name!r}, active={self._active})"


class _Event:
    _callback = ""

    def __repr__(self) -> str:
        fields = ", ".join(f"{k.lstrip('_')}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class StreamingListenerStreamingStarted(_Event):
    """The streaming context started (onStreamingStarted)."""
    _callback = "onStreamingStarted"

    def __init__(self, time: int) -> None:
        self._time = time

    def time(self) -> int:
        return self._time


class _BatchEvent(_Event):
    def __init__(self, batchInfo: BatchInfo) -> None:
        self._info = batchInfo

    def batchInfo(self) -> BatchInfo:
        return self._info


class StreamingListenerBatchSubmitted(_BatchEvent):
    """A batch's jobs were submitted (onBatchSubmitted)."""
    _callback = "onBatchSubmitted"


class StreamingListenerBatchStarted(_BatchEvent):
    """A batch started processing (onBatchStarted)."""
    _callback = "onBatchStarted"


class StreamingListenerBatchCompleted(_BatchEvent):
    """A batch finished processing (onBatchCompleted)."""
    _callback = "onBatchCompleted"


class _OutputEvent(_Event):
    def __init__(self, outputOperationInfo: OutputOperationInfo) -> None:
        self._info = outputOperationInfo

    def outputOperationInfo(self) -> OutputOperationInfo:
        return self._info


class StreamingListenerOutputOperationStarted(_OutputEvent):
    """An output operation of a batch started (onOutputOperationStarted)."""
    _callback = "onOutputOperationStarted"


class StreamingListenerOutputOperationCompleted(_OutputEvent):
    """An output operation of a batch ended (onOutputOperationCompleted)."""
    _callback = "onOutputOperationCompleted"


class _ReceiverEvent(_Event):
    def __init__(self, receiverInfo: ReceiverInfo) -> None:
        self._info = receiverInfo

    def receiverInfo(self) -> ReceiverInfo:
        return self._info


class StreamingListenerReceiverStarted(_ReceiverEvent):
    """A receiver started (onReceiverStarted)."""
    _callback = "onReceiverStarted"


class StreamingListenerReceiverError(_ReceiverEvent):
    """A receiver reported an error (onReceiverError)."""
    _callback = "onReceiverError"


class StreamingListenerReceiverStopped(_ReceiverEvent):
    """A receiver stopped (onReceiverStopped)."""
    _callback = "onReceiverStopped"


_STOP = object()


class ListenerBus:
    """Delivers events to listeners in order on one daemon thread."""

    def __init__(self) -> None:
        self._listeners: list[StreamingListener] = []
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def add(self, listener: StreamingListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove(self, listener: StreamingListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="dstreams-streaming-listener-bus",
                                            daemon=True)
            self._thread.start()

    def post(self, event: _Event) -> None:
        if self._listeners:
            self._queue.put(event)

    def stop(self, timeout: float = 10.0) -> None:
        """Deliver the queued events, then end the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            if thread is not threading.current_thread():
                thread.join(timeout)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is _STOP:
                return
            with self._lock:
                listeners = list(self._listeners)
            for listener in listeners:
                callback = getattr(listener, event._callback, None)
                if callback is None:
                    continue
                try:
                    callback(event)
                except Exception:  # noqa: BLE001 - a broken listener must not stop the stream
                    log.exception("StreamingListener %r failed in %s", listener, event._callback)
