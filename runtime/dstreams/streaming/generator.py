"""The batch timer and job scheduler of a StreamingContext.

- The **timer** thread wakes at every batch time (multiples of the batch duration), lets the
  input streams take what arrived (queued RDDs, received blocks, new files) and queues the
  batch; it never waits for processing, so a slow batch delays the next ones (scheduling
  delay) and none is skipped.
- The **job** thread takes batches in order, generates their RDDs and output jobs, runs the
  jobs one after another (as Spark's default ``concurrentJobs=1``), saves RDDs that are due
  for a checkpoint, and forgets RDDs older than each stream's remember duration.
- A metadata checkpoint is queued when a batch is queued and when it completes; the writer
  thread writes them. Listener events go through the listener bus.

A failure (a user function raising inside a job, or while generating a batch) stops the
context and is raised by ``awaitTermination``.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from typing import TYPE_CHECKING, Protocol

from ..serialization import dumps
from .checkpoint import CheckpointWriter
from .listener import (BatchInfo, OutputOperationInfo, StreamingListenerBatchCompleted,
                       StreamingListenerBatchStarted, StreamingListenerBatchSubmitted,
                       StreamingListenerOutputOperationCompleted, StreamingListenerOutputOperationStarted,
                       StreamingListenerStreamingStarted, StreamInputInfo)
from .util import ms_to_datetime

if TYPE_CHECKING:  # pragma: no cover
    from .context import StreamingContext

__all__ = ["JobScheduler", "InputTracker"]

log = logging.getLogger("dstreams.streaming")


class InputTracker(Protocol):
    """What the job scheduler needs of the receivers' driver side (sources.tracker)."""

    def start(self) -> None: ...

    def take_blocks(self, stream_id: int) -> list[tuple[str, int]]: ...

    def stop(self, graceful: bool) -> None: ...


class JobScheduler:
    """Owns the timer, the job thread, the receivers' tracker and the checkpoint writer of one
    context."""

    def __init__(self, ssc: StreamingContext, receiver_tracker: InputTracker) -> None:
        self.ssc = ssc
        self.graph = ssc._graph
        self.clock = ssc._clock
        self.bus = ssc._listener_bus
        self._cond = threading.Condition()
        self._queue: deque[int] = deque()
        self._pending: list[int] = []          # queued or running, in order
        self._batches: dict[int, BatchInfo] = {}
        self._running: int | None = None
        self._stop_timer = threading.Event()
        self._stop_jobs = False
        self._failed = False
        self._timer: threading.Thread | None = None
        self._worker: threading.Thread | None = None
        self.last_tick: int | None = None
        self.last_completed: int | None = None
        self.completed_batches = 0
        self.receiver_tracker = receiver_tracker
        self.writer: CheckpointWriter | None = None
        self._graph_bytes: bytes | None = None
        self._streams: list = []
        self._stopped = False

    # ---- start ----------------------------------------------------------------------------
    def start(self, restore: dict | None) -> None:
        graph, batch = self.graph, self.graph.batch_ms
        now = self.clock.now_ms()
        if restore is None:
            first = (now // batch + 1) * batch
            graph.start(first - batch)
            rerun: list[int] = []
            pending_restored: set[int] = set()
        else:
            zero = restore["zero_ms"]
            graph.restore(zero)
            first = zero + ((now - zero) // batch + 1) * batch
            last_tick = restore.get("last_tick") or zero
            pending_restored = set(restore.get("pending", ()))
            down = set(range(last_tick + batch, first, batch))
            rerun = sorted(t for t in pending_restored | down if t < first)
            log.info("recovering from checkpoint %s: re-running %d batch(es) (%d pending, %d while down)",
                     restore.get("url"), len(rerun), len(pending_restored), len(down))
        self._streams = graph.all_streams()
        if graph.checkpoint_dir:
            try:
                self._graph_bytes = dumps(graph, "DStream graph")
            except Exception as exc:
                raise type(exc)(
                    "DStream checkpointing has been enabled but the DStreams with their functions are not "
                    f"serializable: {exc}") from exc
            retained = self.ssc._sc.conf.value("dstreams.streaming.checkpoint.retained")
            self.writer = CheckpointWriter(graph.checkpoint_dir, retained)
            self.writer.start()
        for inp in graph.input_streams:
            inp.start()
        self.receiver_tracker.start()
        self.bus.start()
        self.bus.post(StreamingListenerStreamingStarted(now))
        self._worker = threading.Thread(target=self._job_loop, name="dstreams-streaming-jobs", daemon=True)
        self._worker.start()
        for t in rerun:
            self._tick(t)
        self._timer = threading.Thread(target=self._timer_loop, args=(first,), name="dstreams-streaming-timer",
                                       daemon=True)
        self._timer.start()

    # ---- timer ----------------------------------------------------------------------------
    def _timer_loop(self, first: int) -> None:
        t = first
        batch = self.graph.batch_ms
        while self.clock.wait_until(t, self._stop_timer):
            if not self._tick(t):
                return
            t += batch

    def _tick(self, t: int) -> bool:
        """Close the batch of time ``t``: inputs take their data, the batch is queued."""
        try:
            infos = {}
            with self.graph.lock:
                for inp in self.graph.input_streams:
                    inp._on_tick(t)
                    info = inp._input_info(t)
                    if info is not None:
                        infos[inp._input_id] = StreamInputInfo(inp._input_id, info[0], info[1])
        except Exception as exc:  # noqa: BLE001 - reported to awaitTermination
            self._fail(exc, f"taking the input of the batch of {ms_to_datetime(t)}")
            return False
        info = BatchInfo(t, infos, self.clock.now_ms())
        with self._cond:
            if self._stop_jobs:
                return False
            self._batches[t] = info
            self._pending.append(t)
            self._queue.append(t)
            self.last_tick = t
            self._cond.notify_all()
        self.bus.post(StreamingListenerBatchSubmitted(info))
        self._checkpoint(t)
        return True

    # ---- jobs -------------------------------------------------------------------------------
    def _job_loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stop_jobs:
                    self._cond.wait()
                if self._stop_jobs:
                    return
                t = self._queue.popleft()
                self._running = t
            ok = self._run_batch(t)
            with self._cond:
                self._running = None
                self._cond.notify_all()
            if not ok:
                return

    def _run_batch(self, t: int) -> bool:
        info = self._batches[t]
        info._start = self.clock.now_ms()
        self.bus.post(StreamingListenerBatchStarted(info))
        try:
            jobs = self.graph.generate_jobs(t)
        except BaseException as exc:  # noqa: BLE001
            self._fail(exc, f"generating the jobs of the batch of {ms_to_datetime(t)}")
            return False
        for job in jobs:
            op = OutputOperationInfo(t, job.output_id, job.name, job.description)
            info._ops[job.output_id] = op
            op._start = self.clock.now_ms()
            self.bus.post(StreamingListenerOutputOperationStarted(op))
            try:
                job.run()
            except BaseException as exc:  # noqa: BLE001 - reported to awaitTermination
                op._end = self.clock.now_ms()
                op._failure = "".join(traceback.format_exception(exc)).rstrip()
                self.bus.post(StreamingListenerOutputOperationCompleted(op))
                self._fail(exc, f"output operation {job.name} (at {job.description}) of the batch of "
                                f"{ms_to_datetime(t)}")
                return False
            op._end = self.clock.now_ms()
            self.bus.post(StreamingListenerOutputOperationCompleted(op))
        try:
            for stream, rdd in self.graph.rdds_to_checkpoint(t):
                stream._record_checkpoint(t, rdd)
            self.graph.clear_metadata(t)
        except BaseException as exc:  # noqa: BLE001
            self._fail(exc, f"checkpointing the batch of {ms_to_datetime(t)}")
            return False
        info._end = self.clock.now_ms()
        with self._cond:
            self._pending.remove(t)
            self._batches.pop(t, None)
            self.last_completed = t
            self.completed_batches += 1
            self._cond.notify_all()
        self.bus.post(StreamingListenerBatchCompleted(info))
        self._checkpoint(t)
        try:
            for inp in self.graph.input_streams:
                inp._after_batch(t)
        except Exception as exc:  # noqa: BLE001 - reported to awaitTermination
            self._fail(exc, f"preparing the input after the batch of {ms_to_datetime(t)}")
            return False
        return True

    def _fail(self, exc: BaseException, where: str) -> None:
        with self._cond:
            if self._failed or self._stopped:
                return
            self._failed = True
        try:
            exc.add_note(f"dstreams: the streaming context stopped after an error in {where}")
        except Exception:  # noqa: BLE001 - exceptions that refuse notes
            pass
        log.error("streaming error in %s: %s", where, exc)
        self.ssc._on_error(exc)

    # ---- checkpoints ------------------------------------------------------------------------
    def _checkpoint(self, t: int) -> None:
        if self.writer is None:
            return
        with self.graph.lock:
            states, refs = {}, []
            for s in self._streams:
                st = s._checkpoint_state()
                if st is not None:
                    states[s._id] = st
                refs.extend(s._checkpoint_refs())
            with self._cond:
                pending = list(self._pending)
                last_tick = self.last_tick
        self.writer.write({
            "graph": self._graph_bytes, "zero_ms": self.graph.zero_ms, "batch_ms": self.graph.batch_ms,
            "checkpoint_time": t, "last_tick": last_tick, "pending": pending, "streams": states,
            "refs": refs, "app": self.ssc._sc.appName, "written": time.time(),
        })

    # ---- waiting and stopping ---------------------------------------------------------------
    def wait_for_batches(self, through_ms: int, timeout: float) -> bool:
        """Wait until every batch up to ``through_ms`` has been queued and processed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._failed:
                done = (self.last_tick is not None and self.last_tick >= through_ms
                        and not self._queue and self._running is None)
                if done:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))
        return False

    def stop(self, graceful: bool) -> None:
        if self._stopped:
            return
        if graceful and self.receiver_tracker is not None:
            # stop receiving, then process everything received (Spark's stopGracefully)
            self.receiver_tracker.stop(graceful=True)
            timeout = self.ssc._sc.conf.value("dstreams.streaming.gracefulStopTimeout")
            if timeout is None:
                timeout = max(10.0, 10 * self.graph.batch_ms / 1000)
            if not self.wait_for_batches(self.clock.now_ms(), timeout):
                log.warning("graceful stop: not every received batch was processed within %.1f s", timeout)
        with self._cond:
            self._stopped = True
            self._stop_jobs = True
            self._queue.clear()
            self._cond.notify_all()
        self._stop_timer.set()
        me = threading.current_thread()
        for th in (self._timer, self._worker):
            if th is not None and th is not me:
                th.join()
        if self.receiver_tracker is not None:
            self.receiver_tracker.stop(graceful=False)
        for inp in self.graph.input_streams:
            try:
                inp.stop()
            except Exception:  # noqa: BLE001
                log.warning("stopping %s failed", inp._name(), exc_info=True)
        if self.writer is not None:
            self.writer.stop()
        self.bus.stop()
