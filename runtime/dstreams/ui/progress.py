"""Publishes a streaming driver's progress where the operator can read it without scraping logs.

In the cluster modes the driver writes Redis key ``dstreams:{appId}:progress`` after every
batch, a JSON object::

    {"state": "running" | "stopped" | "failed", "lastBatchTime": RFC3339 | null,
     "processingDelayMs": int, "schedulingDelayMs": int, "totalDelayMs": int,
     "batchesCompleted": int, "message": str, "updatedAt": RFC3339}
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from typing import Any

from ..streaming.listener import StreamingListener

__all__ = ["ProgressReporter", "progress_key", "rfc3339"]

log = logging.getLogger("dstreams.progress")


def progress_key(app_id: str) -> str:
    return f"dstreams:{app_id}:progress"


def rfc3339(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _now_ms() -> int:
    return int(datetime.now(tz=timezone.utc).timestamp() * 1000)


class ProgressReporter(StreamingListener):
    """A StreamingListener that keeps the progress key up to date."""

    def __init__(self, client: Any, app_id: str) -> None:
        self.r = client
        self.key = progress_key(app_id)
        self._lock = threading.Lock()
        self.doc: dict[str, Any] = {
            "state": "running", "lastBatchTime": None, "processingDelayMs": 0, "schedulingDelayMs": 0,
            "totalDelayMs": 0, "batchesCompleted": 0, "message": "", "updatedAt": rfc3339(_now_ms()),
        }

    def _publish(self) -> None:
        self.doc["updatedAt"] = rfc3339(_now_ms())
        try:
            self.r.set(self.key, json.dumps(self.doc))
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
