"""ReceiverTracker: the driver side of receivers. It starts every receiver of a context (in the
driver, or as tasks on executors when the backend supplies a receiver channel) and hands the
blocks they stored to the batches."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ..serialization import dumps
from ..streaming.listener import ReceiverInfo, StreamingListenerReceiverError
from .receiver_stream import ReceiverInputDStream
from .remote import RemoteReceivers
from .supervisor import ReceiverSupervisor

__all__ = ["ReceiverTracker"]

log = logging.getLogger("dstreams.streaming")


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
        interval = sc.conf.value("dstreams.streaming.blockInterval")
        delay = sc.conf.value("dstreams.streaming.receiverRestartDelay")
        for stream in self.ssc._graph.input_streams:
            if not isinstance(stream, ReceiverInputDStream):
                continue
            sid = stream._input_id
            self._unallocated[sid] = []
            receiver = stream.getReceiver()
            # receivers are shipped to executors in cluster modes: fail early when one cannot be
            dumps(receiver, f"receiver of the input stream at {stream._site}")
            name = f"{type(receiver).__name__}-{sid}"
            channel = sc._backend.receiver_channel()
            if channel is not None:  # cluster modes: the receiver runs as a task on an executor
                if self._remote is None:
                    self._remote = RemoteReceivers(sc, sc._backend, channel)
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
