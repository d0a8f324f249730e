"""StreamingContext: the entry point of a streaming program (PySpark's ``StreamingContext``)."""
from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from typing import Any

from ..storagelevel import StorageLevel
from .clock import Clock, SystemClock
from .dstream import DStream, TransformedWithDStream, UnionDStream
from .graph import DStreamGraph
from .listener import ListenerBus, StreamingListener
from .progress import ProgressReporter
from .util import to_ms

__all__ = ["StreamingContext"]

log = logging.getLogger("dstreams.streaming")

_INITIALIZED, _ACTIVE, _STOPPED = "INITIALIZED", "ACTIVE", "STOPPED"


class StreamingContext:
    """Main entry point of streaming: creates DStreams from sources, runs them batch by batch.

    Parameters
    ----------
    sparkContext : Context
        The Context that runs the jobs.
    batchDuration : float
        The batch interval in seconds; batch times are multiples of it.
    clock : Clock, optional
        The timer's clock (tests pass a :class:`ManualClock`).

    Examples
    --------
    A network word count (``nc -lk 9999`` feeds it)::

        ctx = Context("local[2]", "wordcount")
        ssc = StreamingContext(ctx, 1)
        lines = ssc.socketTextStream("localhost", 9999)
        lines.flatMap(str.split).countByValue().pprint()
        ssc.start()
        ssc.awaitTermination()
    """

    _activeContext: StreamingContext | None = None
    _lock = threading.RLock()

    def __init__(self, sparkContext: Any, batchDuration: float | None = None, jssc: Any = None, *,
                 clock: Clock | None = None) -> None:
        if batchDuration is None:
            raise ValueError("batchDuration (seconds) is required: StreamingContext(ctx, batchDuration)")
        self._init(sparkContext, DStreamGraph(to_ms(batchDuration, "batchDuration")), clock)

    def _init(self, sc: Any, graph: DStreamGraph, clock: Clock | None) -> None:
        self._sc = sc
        self._graph = graph
        self._clock = clock or SystemClock()
        self._listener_bus = ListenerBus()
        self._state = _INITIALIZED
        self._scheduler: Any = None
        self._error: BaseException | None = None
        self._progress: ProgressReporter | None = None
        self._terminated = threading.Event()
        self._stop_lock = threading.RLock()
        self._restore: dict | None = None
        self._stopper: threading.Thread | None = None

    # ---- properties ------------------------------------------------------------------------
    @property
    def sparkContext(self) -> Any:
        """The Context of this StreamingContext."""
        return self._sc

    @property
    def batchDuration(self) -> float:
        """The batch interval in seconds."""
        return self._graph.batch_ms / 1000

    def __repr__(self) -> str:
        return f"<StreamingContext batch={self.batchDuration}s state={self._state}>"

    # ---- active context ----------------------------------------------------------------------
    @classmethod
    def getActive(cls) -> StreamingContext | None:
        """Return the started and not yet stopped StreamingContext, or None."""
        with cls._lock:
            return cls._activeContext

    @classmethod
    def getOrCreate(cls, checkpointPath: str, setupFunc: Callable[[], StreamingContext]) -> StreamingContext:
        """Recreate a StreamingContext from the checkpoint in ``checkpointPath`` if there is one,
        else return ``setupFunc()`` with ``checkpoint(checkpointPath)`` set (as PySpark does).

        A recreated context has the checkpointed DStreams (``setupFunc`` is not called); once
        started it re-runs the batches that were pending or missed while the driver was down,
        starting from the checkpointed state. The Context is ``Context.getOrCreate()``.
        """
        from .checkpoint import read_checkpoint
        data = read_checkpoint(checkpointPath)
        if data is None:
            ssc = setupFunc()
            if not isinstance(ssc, StreamingContext):
                raise TypeError(f"setupFunc should return a StreamingContext, it returned {ssc!r}")
            ssc.checkpoint(checkpointPath)
            return ssc
        from ..context import Context
        return cls._from_checkpoint(Context.getOrCreate(), data, checkpointPath)

    @classmethod
    def getActiveOrCreate(cls, checkpointPath: str | None,
                          setupFunc: Callable[[], StreamingContext]) -> StreamingContext:
        """Return the active StreamingContext, else recreate it from ``checkpointPath`` (if
        given and present), else return ``setupFunc()``."""
        active = cls.getActive()
        if active is not None:
            return active
        if checkpointPath is not None:
            return cls.getOrCreate(checkpointPath, setupFunc)
        return setupFunc()

    @classmethod
    def _from_checkpoint(cls, sc: Any, data: dict, directory: str) -> StreamingContext:
        import pickle
        graph: DStreamGraph = pickle.loads(data["graph"])
        ssc = cls.__new__(cls)
        ssc._init(sc, graph, None)
        graph.checkpoint_dir = directory
        streams = graph.all_streams()
        for s in streams:
            s._restore(ssc)
        saved = data.get("streams", {})
        for s in streams:
            if s._id in saved:
                s._restore_checkpoint_state(saved[s._id])
        sc.setCheckpointDir(directory)
        ssc._restore = data
        return ssc

    # ---- configuration -------------------------------------------------------------------
    def checkpoint(self, directory: str) -> None:
        """Checkpoint to ``directory`` (any fsspec URL): needed by stateful operations and for
        recovery with :meth:`getOrCreate`."""
        from ..files import get_fs
        fs, path = get_fs(directory)
        fs.makedirs(path, exist_ok=True)
        self._graph.checkpoint_dir = directory
        self._sc.setCheckpointDir(directory)

    def remember(self, duration: float) -> None:
        """Keep every stream's RDDs for at least ``duration`` seconds (e.g. for ``slice``)."""
        self._graph.check_not_started()
        self._graph.remember_ms = to_ms(duration, "remember duration")

    def addStreamingListener(self, streamingListener: StreamingListener) -> None:
        """Receive the events of this context (see :class:`StreamingListener`)."""
        self._listener_bus.add(streamingListener)

    def removeStreamingListener(self, streamingListener: StreamingListener) -> None:
        self._listener_bus.remove(streamingListener)

    # ---- sources ---------------------------------------------------------------------------
    def queueStream(self, rdds: Any, oneAtATime: bool = True, default: Any = None) -> DStream:
        """A stream of the given RDDs (or lists, made into RDDs), one per batch (or all at once
        when ``oneAtATime`` is False); ``default`` (or an empty RDD) when the queue is empty.

        A ``collections.deque`` or ``queue.Queue`` is read live, so items added after start
        arrive in later batches. Queue contents are not checkpointed.
        """
        from ..sources.queue import QueueInputDStream
        return QueueInputDStream(self, rdds, oneAtATime, default)

    def socketTextStream(self, hostname: str, port: int,
                         storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2) -> DStream:
        """The UTF-8 lines read from a TCP server; the receiver reconnects when it closes."""
        from ..sources.socket import SocketReceiver
        return self.receiverStream(SocketReceiver(hostname, port, storageLevel))

    def textFileStream(self, directory: str) -> DStream:
        """The lines of the files that appear in ``directory`` (any fsspec URL, globs allowed).

        Files must be moved in atomically; a file is read in the batch whose time is the first
        at or after its modification time, files older than the start are ignored.
        """
        from ..sources.files import FileInputDStream
        return FileInputDStream(self, directory)

    def binaryRecordsStream(self, directory: str, recordLength: int) -> DStream:
        """Fixed-length ``bytes`` records of the new files in ``directory`` (as textFileStream)."""
        from ..sources.files import FileInputDStream
        return FileInputDStream(self, directory, recordLength=recordLength)

    def receiverStream(self, receiver: Any) -> DStream:
        """The data stored by a custom :class:`Receiver` (Scala's ``receiverStream``)."""
        from ..sources.receiver_stream import ReceiverInputDStream
        return ReceiverInputDStream(self, receiver)

    # ---- combining -----------------------------------------------------------------------
    def union(self, *dstreams: DStream) -> DStream:
        """The union of several DStreams of the same slide duration."""
        if not dstreams:
            raise ValueError("should have at least one DStream to union")
        if len(dstreams) == 1:
            return dstreams[0]
        if len({s._ssc for s in dstreams}) > 1:
            raise ValueError("All DStreams should have same context")
        if len({s._slide_ms for s in dstreams}) > 1:
            raise ValueError("All DStreams should have same slide duration")
        return UnionDStream(list(dstreams))

    def transform(self, dstreams: list[DStream], transformFunc: Callable) -> DStream:
        """A DStream of ``transformFunc(rdds)`` per batch, ``rdds`` in the order of ``dstreams``."""
        return TransformedWithDStream(list(dstreams), lambda t, *rdds: transformFunc(list(rdds)))

    # ---- life cycle ----------------------------------------------------------------------
    def getState(self) -> str:
        """Return the context's state: ``"INITIALIZED"``, ``"ACTIVE"`` or ``"STOPPED"`` (Spark's
        StreamingContextState)."""
        return self._state

    def start(self) -> None:
        """Start the streams: the first batch is at the next multiple of the batch duration."""
        with StreamingContext._lock:
            if self._state == _ACTIVE:
                log.warning("StreamingContext has already been started")
                return
            if self._state == _STOPPED:
                raise RuntimeError("StreamingContext has already been stopped")
            active = StreamingContext._activeContext
            if active is not None:
                raise ValueError("Only one StreamingContext may be started in this process. Currently "
                                 f"running: {active!r}; stop it first")
            self._sc._check_alive()
            from ..sources.tracker import ReceiverTracker
            from .generator import JobScheduler
            scheduler = JobScheduler(self, ReceiverTracker(self))
            self._scheduler = scheduler
            try:
                scheduler.start(self._restore)
            except BaseException:
                scheduler.stop(graceful=False)
                self._graph.started = False
                for s in self._graph.all_streams():   # so that start() can be tried again
                    s._zero_ms = None
                self._scheduler = None
                raise
            self._state = _ACTIVE
            StreamingContext._activeContext = self
        sink = self._sc._backend.progress_sink()
        if sink is not None:  # cluster backends publish progress for the operator
            self._progress = ProgressReporter(sink)
            self._progress.onStreamingStarted(None)
            self.addStreamingListener(self._progress)
        ui = self._sc._ui
        if ui is not None:
            ui.attach(self)
        _register_atexit()
        log.info("StreamingContext started (batch %s s)", self.batchDuration)

    def stop(self, stopSparkContext: bool = True, stopGraceFully: bool = False) -> None:
        """Stop the streams (after processing what was received when ``stopGraceFully``), join
        their threads, and stop the Context too unless ``stopSparkContext`` is False."""
        if self._called_from_streaming_thread():
            # a job (or listener) stopping its own context: stop from another thread, no deadlock
            t = threading.Thread(target=self.stop, args=(stopSparkContext, stopGraceFully),
                                 name="dstreams-streaming-stopper", daemon=True)
            self._stopper = t
            t.start()
            return
        self._stop(stopSparkContext, stopGraceFully)

    def _stop(self, stopSparkContext: bool, stopGraceFully: bool) -> None:
        with self._stop_lock:
            if self._state == _ACTIVE:
                try:
                    self._scheduler.stop(graceful=stopGraceFully)
                finally:
                    with StreamingContext._lock:
                        if StreamingContext._activeContext is self:
                            StreamingContext._activeContext = None
            self._state = _STOPPED
            if self._progress is not None:
                self._progress.finish(self._error)
            self._terminated.set()
            if stopSparkContext:
                self._sc.stop()

    def _called_from_streaming_thread(self) -> bool:
        sch = self._scheduler
        me = threading.current_thread()
        return sch is not None and me in (sch._worker, sch._timer, self._listener_bus._thread)

    def _on_error(self, exc: BaseException) -> None:
        """A batch failed: remember the error and stop the streams (not the Context)."""
        if self._error is None:
            self._error = exc
        t = threading.Thread(target=self._stop, args=(False, False), name="dstreams-streaming-stopper",
                             daemon=True)
        self._stopper = t
        t.start()

    def _join_stopper(self) -> None:
        t = self._stopper
        if t is not None and t is not threading.current_thread():
            t.join()

    def awaitTermination(self, timeout: float | None = None) -> None:
        """Wait until the context is stopped (or ``timeout`` seconds pass); raise the error that
        stopped it, if any, with the user's traceback."""
        if self._terminated.wait(timeout):
            self._join_stopper()
        if self._error is not None:
            raise self._error

    def awaitTerminationOrTimeout(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; return True if the context stopped. Raise its error."""
        stopped = self._terminated.wait(timeout)
        if stopped:
            self._join_stopper()
        if self._error is not None:
            raise self._error
        return stopped


def _stop_active_at_exit() -> None:
    ssc = StreamingContext.getActive()
    if ssc is not None:
        try:
            ssc.stop(stopSparkContext=False, stopGraceFully=False)
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            log.debug("stopping the StreamingContext at exit failed", exc_info=True)


_atexit_registered = False


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(_stop_active_at_exit)
        _atexit_registered = True
