"""Publishes a streaming driver's progress record (dstreams.protocol) through the backend's sink,
so the operator reads the last batch and its delays without scraping logs."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ..protocol import new_progress, rfc3339
from ..scheduler.backend import ProgressSink
from .listener import StreamingListener

__all__ = ["ProgressReporter"]

log = logging.getLogger("dstreams.progress")


def _now_ms() -> int:
    return int(time.time() * 1000)


class ProgressReporter(StreamingListener):
    """A StreamingListener that keeps the progress record up to date after every batch."""

    def __init__(self, sink: ProgressSink) -> None:
        self.sink = sink
        self._lock = threading.Lock()
        self.doc: dict[str, Any] = new_progress(_now_ms())

    def _publish(self) -> None:
        self.doc["updatedAt"] = rfc3339(_now_ms())
        try:
            self.sink.publish(dict(self.doc))
        except Exception as exc:  # noqa: BLE001 - progress is best effort, never fails a batch
            log.debug("cannot publish progress: %s", exc)

    def onStreamingStarted(self, streamingStarted: Any) -> None:
        with self._lock:
            self.doc["state"] = "running"
            self._publish()

    def onBatchCompleted(self, batchCompleted: Any) -> None:
        info = batchCompleted.batchInfo()
        with self._lock:
            self.doc["lastBatchTime"] = rfc3339(int(info.batchTime()))
            self.doc["processingDelayMs"] = int(info.processingDelay() or 0)
            self.doc["schedulingDelayMs"] = int(info.schedulingDelay() or 0)
            self.doc["totalDelayMs"] = int(info.totalDelay() or 0)
            self.doc["batchesCompleted"] += 1
            self._publish()

    def finish(self, error: BaseException | None) -> None:
        """Record how the application ended."""
        with self._lock:
            self.doc["state"] = "failed" if error is not None else "stopped"
            self.doc["message"] = "" if error is None else f"{type(error).__name__}: {error}"[:2000]
            self._publish()
