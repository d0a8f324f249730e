"""Receivers: long-running sources that push data into the block store.

Write a custom source by subclassing :class:`Receiver` (Spark's ``Receiver`` API):
``onStart()`` starts the threads that read data and must return quickly; they call
``store(item)`` for each record and exit when ``isStopped()`` turns true; ``onStop()`` releases
what ``onStart()`` opened. ``restart(message)`` stops and restarts the receiver after a delay
(e.g. when a connection drops). A receiver object must be picklable before ``onStart()`` (it is
shipped to where it runs).

Stored records are cut into blocks every block interval (conf ``dstreams.streaming.blockInterval``,
default 0.2 s); each block goes to the block store as ``input-<streamId>-<time ms>-<seq>`` and
is assigned to the next batch. A batch's RDD has one partition per block.
"""
from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from ..serialization import dumps
from ..storagelevel import StorageLevel
from ..streaming.dstream import InputDStream
from ..streaming.listener import (ReceiverInfo, StreamingListenerReceiverError, StreamingListenerReceiverStarted,
                                  StreamingListenerReceiverStopped)
from ..streaming.util import conf_get

__all__ = ["Receiver", "ReceiverInputDStream", "BlockGenerator", "ReceiverSupervisor", "ReceiverTracker"]

log = logging.getLogger("dstreams.streaming")


class Receiver:
    """Base class of custom sources.

    Examples
    --------
    >>> class Counter(Receiver):
    ...     def onStart(self):
    ...         threading.Thread(target=self._run, daemon=True).start()
    ...     def _run(self):
    ...         n = 0
    ...         while not self.isStopped():
    ...             self.store(n); n += 1; time.sleep(0.01)
    ...     def onStop(self):
    ...         pass
    >>> stream = ssc.receiverStream(Counter())                      # doctest: +SKIP
    """

    def __init__(self, storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2) -> None:
        self.storageLevel = storageLevel
        self.streamId: int | None = None
        self._supervisor: ReceiverSupervisor | None = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_supervisor"] = None
        return state

    # -- to implement ----------------------------------------------------------------------
    def onStart(self) -> None:
        """Start receiving: open connections and start threads, then return."""
        raise NotImplementedError

    def onStop(self) -> None:
        """Stop receiving: close what onStart opened (the threads see ``isStopped()``)."""
        raise NotImplementedError

    def preferredLocation(self) -> str | None:
        """Where the receiver should run (None: anywhere)."""
        return None

    # -- to call ---------------------------------------------------------------------------
    def _sup(self) -> ReceiverSupervisor:
        if self._supervisor is None:
            raise RuntimeError("this receiver is not running: store/restart/stop work after onStart()")
        return self._supervisor

    def store(self, dataItem: Any) -> None:
        """Store one record (it joins the current block)."""
        self._sup().push_single(dataItem)

    def storeMany(self, dataItems: Iterable[Any]) -> None:
        """Store several records at once, as one block of their own."""
        self._sup().push_block(list(dataItems))

    def isStopped(self) -> bool:
        """Whether the receiver has been stopped (its threads should return)."""
        sup = self._supervisor
        return sup is None or sup.is_receiver_stopped()

    def isStarted(self) -> bool:
        sup = self._supervisor
        return sup is not None and sup.is_receiver_started()

    def restart(self, message: str, error: BaseException | None = None, delay: float | None = None) -> None:
        """Stop the receiver, wait ``delay`` seconds (default conf
        ``dstreams.streaming.receiverRestartDelay``, 2 s) and start it again, asynchronously."""
        self._sup().restart_receiver(message, error, delay)

    def stop(self, message: str, error: BaseException | None = None) -> None:
        """Stop the receiver for good."""
        self._sup().stop_receiver(message, error, final=True)

    def reportError(self, message: str, error: BaseException | None = None) -> None:
        """Report an error without stopping (listeners get ``onReceiverError``)."""
        self._sup().report_error(message, error)


class BlockGenerator:
    """Collects single records and cuts them into a block every ``interval_s`` seconds."""

    def __init__(self, stream_id: int, interval_s: float, push: Any) -> None:
        self.stream_id = stream_id
        self.interval_s = interval_s
        self._push = push
        self._buffer: list = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._seq = itertools.count()
        self._token = uuid.uuid4().hex[:6]
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"dstreams-receiver-blocks-{self.stream_id}",
                                        daemon=True)
        self._thread.start()

    def add(self, item: Any) -> None:
        with self._lock:
            self._buffer.append(item)

    def block_id(self) -> str:
        # the token keeps ids unique when a receiver restarts elsewhere within the same ms
        return f"input-{self.stream_id}-{int(time.time() * 1000)}-{self._token}{next(self._seq)}"

    def _cut(self) -> None:
        with self._lock:
            buf, self._buffer = self._buffer, []
        if buf:
            self._push(self.block_id(), buf)

    def _run(self) -> None:
        interval = self.interval_s
        next_cut = (time.time() // interval + 1) * interval
        while not self._stop.wait(max(0.0, next_cut - time.time())):
            try:
                self._cut()
            except Exception:  # noqa: BLE001 - keep cutting; the supervisor reports store errors
                log.exception("stream %s: storing a block failed", self.stream_id)
            next_cut += interval
            now = time.time()
            if next_cut < now:  # fell behind: skip ahead, the next block just gets bigger
                next_cut = (now // interval + 1) * interval

    def stop(self) -> None:
        """Stop cutting; the records still buffered become a last block."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._cut()


class ReceiverSupervisor:
    """Runs one receiver: starts/stops/restarts it and turns what it stores into blocks."""

    def __init__(self, receiver: Receiver, stream_id: int, name: str, block_store: Any,
                 report_block: Any, post: Any, block_interval_s: float, restart_delay_s: float) -> None:
        self.receiver = receiver
        self.stream_id = stream_id
        self.name = name
        self._store = block_store
        self._report_block = report_block
        self._post = post
        self._restart_delay = restart_delay_s
        self._blocks = BlockGenerator(stream_id, block_interval_s, self._push)
        self._state = "initialized"   # initialized | started | stopped
        self._lock = threading.RLock()
        self._final = threading.Event()
        self._restarter: threading.Thread | None = None
        self._last_error = ("", "", -1)

    # -- data -----------------------------------------------------------------------------
    def _push(self, block_id: str, values: list) -> None:
        self._store.put(block_id, values)
        self._report_block(self.stream_id, block_id, len(values))

    def push_single(self, item: Any) -> None:
        self._blocks.add(item)

    def push_block(self, values: list) -> None:
        if values:
            self._push(self._blocks.block_id(), values)

    # -- state ------------------------------------------------------------------------------
    def is_receiver_stopped(self) -> bool:
        return self._state == "stopped"

    def is_receiver_started(self) -> bool:
        return self._state == "started"

    def _info(self, active: bool) -> ReceiverInfo:
        msg, err, at = self._last_error
        return ReceiverInfo(self.stream_id, self.name, active, "driver", msg, err, at)

    def start(self) -> None:
        self.receiver.streamId = self.stream_id
        self.receiver._supervisor = self
        self._blocks.start()
        self._start_receiver()

    def _start_receiver(self) -> None:
        with self._lock:
            if self._final.is_set():
                return
            self._state = "started"
        try:
            self.receiver.onStart()
        except Exception as exc:  # noqa: BLE001 - Spark stops a receiver whose onStart fails
            log.error("receiver %s failed to start: %s", self.name, exc)
            self.report_error("Error starting receiver", exc)
            self.stop_receiver("Error starting receiver", exc, final=False)
            return
        log.info("receiver %s started", self.name)
        self._post(StreamingListenerReceiverStarted(self._info(True)))

    def stop_receiver(self, message: str, error: BaseException | None, final: bool) -> None:
        with self._lock:
            if final:
                self._final.set()
            if self._state == "stopped":
                return
            self._state = "stopped"
        try:
            self.receiver.onStop()
        except Exception:  # noqa: BLE001
            log.warning("receiver %s: onStop failed", self.name, exc_info=True)
        if error is not None:
            self.report_error(message, error)
        log.info("receiver %s stopped: %s", self.name, message)
        self._post(StreamingListenerReceiverStopped(self._info(False)))

    def restart_receiver(self, message: str, error: BaseException | None, delay: float | None) -> None:
        if self._final.is_set():
            return
        wait = self._restart_delay if delay is None else delay

        def run() -> None:
            self.stop_receiver(f"Restarting receiver: {message}", error, final=False)
            if not self._final.wait(wait):
                self._start_receiver()

        log.info("restarting receiver %s in %.1f s: %s", self.name, wait, message)
        t = threading.Thread(target=run, name=f"dstreams-receiver-restarter-{self.stream_id}", daemon=True)
        with self._lock:
            t.start()
            self._restarter = t

    def report_error(self, message: str, error: BaseException | None) -> None:
        self._last_error = (message, repr(error) if error is not None else "", int(time.time() * 1000))
        log.warning("receiver %s: %s: %s", self.name, message, error)
        self._post(StreamingListenerReceiverError(self._info(self._state == "started")))

    def stop(self) -> None:
        """Stop the receiver for good and store what it buffered."""
        self.stop_receiver("Stopped by the streaming context", None, final=True)
        with self._lock:
            r = self._restarter
        if r is not None and r is not threading.current_thread():
            r.join()
        self.stop_receiver("Stopped by the streaming context", None, final=True)  # if a restart just started it
        self._blocks.stop()


class ReceiverTracker:
    """Starts the receivers of a context and hands their blocks to batches."""

    def __init__(self, ssc: Any) -> None:
        self.ssc = ssc
        self._lock = threading.Lock()
        self._unallocated: dict[int, list[tuple[str, int]]] = {}
        self._supervisors: list[ReceiverSupervisor] = []
        self._remote: Any = None
        self._stopped = False

    def start(self) -> None:
        sc = self.ssc._sc
        interval = conf_get(sc, "dstreams.streaming.blockInterval", 0.2)
        delay = conf_get(sc, "dstreams.streaming.receiverRestartDelay", 2.0)
        for stream in self.ssc._graph.input_streams:
            if not isinstance(stream, ReceiverInputDStream):
                continue
            sid = stream._input_id
            self._unallocated[sid] = []
            receiver = stream.getReceiver()
            # receivers are shipped to executors in cluster modes: fail early when one cannot be
            dumps(receiver, f"receiver of the input stream at {stream._site}")
            name = f"{type(receiver).__name__}-{sid}"
            remote = getattr(sc._backend, "remote_receivers", None)
            if remote is not None:  # cluster modes: the receiver runs as a task on an executor
                if self._remote is None:
                    self._remote = remote(sc)
                self._remote.start(receiver, sid, name, interval, delay, self._remote_error(sid, name))
                continue
            sup = ReceiverSupervisor(receiver, sid, f"{type(receiver).__name__}-{sid}", sc.env.block_store,
                                     self.add_block, self.ssc._listener_bus.post, interval, delay)
            self._supervisors.append(sup)
            sup.start()

    def add_block(self, stream_id: int, block_id: str, num_records: int) -> None:
        with self._lock:
            self._unallocated.setdefault(stream_id, []).append((block_id, num_records))

    def _remote_error(self, sid: int, name: str) -> Any:
        def report(exc: BaseException) -> None:
            info = ReceiverInfo(sid, name, False, "executor", "Receiver task failed", repr(exc),
                                int(time.time() * 1000))
            self.ssc._listener_bus.post(StreamingListenerReceiverError(info))
        return report

    def take_blocks(self, stream_id: int) -> list[tuple[str, int]]:
        with self._lock:
            blocks = self._unallocated.get(stream_id) or []
            self._unallocated[stream_id] = []
        if self._remote is not None:
            blocks = blocks + self._remote.take_blocks(stream_id)
        return blocks

    def stop(self, graceful: bool) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._remote is not None:
            self._remote.stop()
        for sup in self._supervisors:
            try:
                sup.stop()
            except Exception:  # noqa: BLE001
                log.warning("stopping receiver %s failed", sup.name, exc_info=True)


class ReceiverInputDStream(InputDStream):
    """The stream of a receiver: each batch is a BlockRDD of the blocks received before it."""

    _transient = InputDStream._transient + ("_blocks", "_restored")

    def __init__(self, ssc: Any, receiver: Receiver) -> None:
        if not isinstance(receiver, Receiver):
            raise TypeError(f"receiverStream needs a Receiver, got {receiver!r}")
        super().__init__(ssc)
        self._receiver = receiver
        self._blocks: dict[int, list[tuple[str, int]]] = {}
        self._restored: set[int] = set()

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._blocks = {}
        self._restored = set()

    def getReceiver(self) -> Receiver:
        return self._receiver

    def _on_tick(self, t: int) -> None:
        if t not in self._blocks:
            tracker = self._ssc._scheduler.receiver_tracker
            self._blocks[t] = tracker.take_blocks(self._input_id) if tracker is not None else []

    def _input_info(self, t: int) -> tuple[int, dict] | None:
        blocks = self._blocks.get(t, [])
        return sum(n for _, n in blocks), {"blocks": len(blocks)}

    def _compute(self, t: int) -> Any:
        blocks = self._blocks.get(t) or []
        if not blocks:
            return self._sc.emptyRDD()
        ids = [b for b, _ in blocks]
        if t not in self._restored:
            # a running stream never drops data silently: a lost block fails the batch
            return self._sc.blockRDD(ids)
        store = self._sc.env.block_store
        present = [b for b in ids if store.contains(b)]
        if len(present) < len(ids):  # recovery without the blocks (Spark's behaviour without a WAL)
            log.error("%s: %d of %d blocks of the batch of %s could not be recovered: they are not in the "
                      "block store any more", self._name(), len(ids) - len(present), len(ids), t)
            ids = present
        return self._sc.blockRDD(ids) if ids else self._sc.emptyRDD()

    def _forget(self, t: int, rdd: Any) -> None:
        blocks = self._blocks.pop(t, None)
        if blocks:
            self._sc.env.block_store.remove_many([b for b, _ in blocks])

    def _prune(self, cutoff: int) -> None:
        old = [k for k in self._blocks if k <= cutoff]
        if old:
            store = self._sc.env.block_store
            for k in old:
                store.remove_many([b for b, _ in self._blocks.pop(k)])

    def _checkpoint_state(self) -> dict | None:
        state = super()._checkpoint_state() or {}
        state["blocks"] = {t: list(b) for t, b in self._blocks.items()}
        return state

    def _restore_checkpoint_state(self, state: dict) -> None:
        super()._restore_checkpoint_state(state)
        self._blocks = {t: list(b) for t, b in state.get("blocks", {}).items()}
        self._restored = set(self._blocks)
