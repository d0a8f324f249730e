"""BlockGenerator: cuts the records a receiver stores one by one into blocks, every block interval."""
from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["BlockGenerator"]

log = logging.getLogger("dstreams.streaming")


class BlockGenerator:
    """Collects single records and cuts them into a block every ``interval_s`` seconds."""

    def __init__(self, stream_id: int, interval_s: float, push: Callable[[str, list], None]) -> None:
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
