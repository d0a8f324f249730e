"""The driver's web UI: a status page, a JSON API in Spark's shape, and Prometheus metrics.

Started by the Context when ``dstreams.ui.enabled`` is true (``dstreams run`` / ``dstreams driver``
turn it on). It listens on ``dstreams.ui.port`` (default 4040; like Spark it tries the next
ports when one is taken, and 0 picks a free one) on ``dstreams.ui.host``.

    GET /                                   an HTML page with the latest batches
    GET /api/v1/applications                [{"id": ..., "name": ...}]
    GET /api/v1/streaming/statistics        totals and averages of the streaming job
    GET /api/v1/streaming/batches           the latest batches, newest first
    GET /metrics                            Prometheus text format
    GET /healthz                            "ok"
"""
from __future__ import annotations

import html
import json
import logging
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..streaming.listener import StreamingListener

__all__ = ["UIServer", "BatchRecorder"]

log = logging.getLogger("dstreams.ui")


class BatchRecorder(StreamingListener):
    """Keeps the latest completed batches and running totals for the UI."""

    def __init__(self, keep: int = 200) -> None:
        self.batches: deque[dict] = deque(maxlen=keep)
        self.completed = 0
        self.records = 0
        self.started_ms: int | None = None
        self.batch_ms: int | None = None
        self.lock = threading.Lock()

    def onStreamingStarted(self, streamingStarted: Any) -> None:
        self.started_ms = int(time.time() * 1000)

    def onBatchCompleted(self, batchCompleted: Any) -> None:
        info = batchCompleted.batchInfo()
        doc = {"batchTime": int(info.batchTime()), "numRecords": int(info.numRecords()),
               "schedulingDelay": info.schedulingDelay(), "processingDelay": info.processingDelay(),
               "totalDelay": info.totalDelay(), "status": "COMPLETED"}
        with self.lock:
            self.batches.appendleft(doc)
            self.completed += 1
            self.records += doc["numRecords"]

    def statistics(self) -> dict[str, Any]:
        with self.lock:
            recent = list(self.batches)

        def avg(key: str) -> float | None:
            vals = [b[key] for b in recent if b[key] is not None]
            return round(sum(vals) / len(vals), 1) if vals else None

        return {"startTime": self.started_ms, "batchDuration": self.batch_ms,
                "numTotalCompletedBatches": self.completed, "numProcessedRecords": self.records,
                "avgSchedulingDelay": avg("schedulingDelay"), "avgProcessingTime": avg("processingDelay"),
                "avgTotalDelay": avg("totalDelay"),
                "lastBatchTime": recent[0]["batchTime"] if recent else None}


class UIServer:
    """The HTTP server; ``attach(ssc)`` adds a StreamingContext's batches to it."""

    def __init__(self, ctx: Any, host: str, port: int, retries: int = 16) -> None:
        self.ctx = ctx
        self.recorder: BatchRecorder | None = None
        handler = _handler(self)
        last: OSError | None = None
        for p in ([port] if port == 0 else range(port, port + retries)):
            try:
                self.httpd = ThreadingHTTPServer((host, p), handler)
                break
            except OSError as exc:
                last = exc
        else:
            raise OSError(f"cannot start the UI on {host}:{port}-{port + retries - 1}: {last}")
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host if host not in ('0.0.0.0', '') else '127.0.0.1'}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="dstreams-ui", daemon=True)
        self._thread.start()
        log.info("UI at %s", self.url)

    def attach(self, ssc: Any) -> None:
        self.recorder = BatchRecorder()
        self.recorder.batch_ms = int(ssc.batchDuration * 1000)
        self.recorder.started_ms = int(time.time() * 1000)
        ssc.addStreamingListener(self.recorder)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)

    # -- content ---------------------------------------------------------------------------
    def executors(self) -> list[dict]:
        backend = self.ctx._backend
        ids = backend.executor_ids()
        return [{"id": i} for i in ids]

    def metrics(self) -> str:
        stats = self.recorder.statistics() if self.recorder else {}
        sched = self.ctx._scheduler.stats
        app = self.ctx.applicationId.replace('"', "")
        lines = []

        def metric(name: str, kind: str, help_: str, value: Any) -> None:
            if value is None:
                return
            lines.append(f"# HELP {name} {help_}")
            lines.append(f"# TYPE {name} {kind}")
            lines.append(f'{name}{{app="{app}"}} {value}')

        metric("dstreams_streaming_batches_completed_total", "counter", "Completed batches.",
               stats.get("numTotalCompletedBatches"))
        metric("dstreams_streaming_records_total", "counter", "Records received by input streams.",
               stats.get("numProcessedRecords"))
        last = self.recorder.batches[0] if self.recorder and self.recorder.batches else {}
        metric("dstreams_streaming_last_batch_processing_delay_ms", "gauge", "Processing delay of the last batch.",
               last.get("processingDelay"))
        metric("dstreams_streaming_last_batch_scheduling_delay_ms", "gauge", "Scheduling delay of the last batch.",
               last.get("schedulingDelay"))
        metric("dstreams_jobs_total", "counter", "Jobs run.", sched["jobs"])
        metric("dstreams_tasks_total", "counter", "Task attempts submitted.", sched["tasks"])
        metric("dstreams_task_failures_total", "counter", "Failed task attempts.", sched["task_failures"])
        metric("dstreams_fetch_failures_total", "counter", "Shuffle outputs found missing.", sched["fetch_failures"])
        metric("dstreams_executors", "gauge", "Registered executors.", len(self.executors()))
        return "\n".join(lines) + "\n"

    def page(self) -> str:
        stats = self.recorder.statistics() if self.recorder else {}
        rows = "".join(
            f"<tr><td>{b['batchTime']}</td><td>{b['numRecords']}</td><td>{b['schedulingDelay']}</td>"
            f"<td>{b['processingDelay']}</td><td>{b['totalDelay']}</td></tr>"
            for b in (list(self.recorder.batches)[:50] if self.recorder else []))
        name = html.escape(self.ctx.appName)
        return (f"<!doctype html><html><head><meta charset='utf-8'><title>{name} - dstreams</title>"
                "<meta http-equiv='refresh' content='2'><style>body{font-family:sans-serif;margin:2em}"
                "td,th{padding:.2em .8em;text-align:right}</style></head><body>"
                f"<h1>{name}</h1><p>application {html.escape(self.ctx.applicationId)} &middot; master "
                f"{html.escape(self.ctx.master)} &middot; {len(self.executors())} executor(s)</p>"
                f"<p>completed batches: <b id='completed'>{stats.get('numTotalCompletedBatches', 0)}</b> &middot; "
                f"records: {stats.get('numProcessedRecords', 0)} &middot; avg processing "
                f"{stats.get('avgProcessingTime')} ms &middot; avg scheduling delay {stats.get('avgSchedulingDelay')} ms</p>"
                "<table><tr><th>batch time (ms)</th><th>records</th><th>scheduling delay</th>"
                f"<th>processing time</th><th>total delay</th></tr>{rows}</table></body></html>")


def _handler(ui: UIServer) -> type:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: Any) -> None:  # quiet by default
            log.debug("ui: " + fmt, *args)

        def _send(self, code: int, body: str, ctype: str) -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0].rstrip("/") or "/"
            try:
                if path == "/":
                    self._send(200, ui.page(), "text/html; charset=utf-8")
                elif path == "/healthz":
                    self._send(200, "ok\n", "text/plain")
                elif path == "/metrics":
                    self._send(200, ui.metrics(), "text/plain; version=0.0.4")
                elif path == "/api/v1/applications":
                    self._send(200, json.dumps([{"id": ui.ctx.applicationId, "name": ui.ctx.appName}]),
                               "application/json")
                elif path.endswith("/streaming/statistics"):
                    stats = ui.recorder.statistics() if ui.recorder else {}
                    self._send(200, json.dumps(stats), "application/json")
                elif path.endswith("/streaming/batches"):
                    batches = list(ui.recorder.batches) if ui.recorder else []
                    self._send(200, json.dumps(batches), "application/json")
                elif path.endswith("/executors"):
                    self._send(200, json.dumps(ui.executors()), "application/json")
                else:
                    self._send(404, json.dumps({"error": f"no such page: {path}"}), "application/json")
            except Exception as exc:  # noqa: BLE001 - the UI must never take the driver down
                self._send(500, json.dumps({"error": str(exc)}), "application/json")

    return Handler
