"""ReceiverSupervisor: runs one receiver where it was placed (the driver, or an executor's task):
starts, stops and restarts it, and turns what it stores into blocks in the block store."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ..streaming.listener import (ReceiverInfo, StreamingListenerReceiverError, StreamingListenerReceiverStarted,
                                  StreamingListenerReceiverStopped)
from .blocks import BlockGenerator
from .receiver import Receiver

__all__ = ["ReceiverSupervisor"]

#: how long a receiver retries storing a block while the block store is unreachable
STORE_RETRY_S = 30.0

log = logging.getLogger("dstreams.streaming")


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
        """Store a block and report it; a store that is unreachable for a while (Redis
        restarting) is retried for STORE_RETRY_S seconds, then the receiver reports an error
        naming how many records it could not store."""
        deadline = time.monotonic() + STORE_RETRY_S
        delay = 0.05
        while True:
            try:
                self._store.put(block_id, values)
                self._report_block(self.stream_id, block_id, len(values))
                return
            except Exception as exc:  # noqa: BLE001 - the store's client errors (ConnectionError...)
                if time.monotonic() >= deadline or self._final.is_set():
                    log.error("receiver %s: %d records could not be stored in block %s: %s",
                              self.name, len(values), block_id, exc)
                    self.report_error(f"{len(values)} records could not be stored (block {block_id})", exc)
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

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
