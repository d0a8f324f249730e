"""The driver's web UI: JSON API, Prometheus metrics and the status page, over real HTTP."""
from __future__ import annotations

import json
import urllib.request

from dstreams import Context, StreamingContext

from conftest_helpers import wait_for


def get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode()


def test_ui_serves_streaming_statistics_metrics_and_page():
    ctx = Context("local[2]", "ui-app", conf={"dstreams.ui.enabled": "true", "dstreams.ui.port": 0})
    try:
        assert ctx.uiWebUrl and ctx.uiWebUrl.startswith("http://127.0.0.1:")
        ssc = StreamingContext(ctx, 0.1)
        ssc.queueStream([ctx.parallelize(range(5))] * 3, default=ctx.emptyRDD()).count().foreachRDD(lambda r: None)
        ssc.start()
        base = ctx.uiWebUrl

        def three_batches():
            return json.loads(get(base + "/api/v1/streaming/statistics")[2])["numTotalCompletedBatches"] >= 3

        wait_for(three_batches, 30, "three completed batches in the UI")
        stats = json.loads(get(base + "/api/v1/streaming/statistics")[2])
        assert stats["batchDuration"] == 100 and stats["numProcessedRecords"] >= 0
        batches = json.loads(get(base + "/api/v1/streaming/batches")[2])
        assert batches[0]["batchTime"] > batches[-1]["batchTime"]
        assert json.loads(get(base + "/api/v1/applications")[2]) == [{"id": ctx.applicationId, "name": "ui-app"}]
        code, ctype, metrics = get(base + "/metrics")
        assert ctype.startswith("text/plain")
        assert "dstreams_streaming_batches_completed_total{app=" in metrics
        assert "dstreams_jobs_total" in metrics
        code, ctype, page = get(base + "/")
        assert code == 200 and "ui-app" in page and "<table>" in page
        assert get(base + "/healthz")[2] == "ok\n"
        ssc.stop(stopSparkContext=False)
    finally:
        ctx.stop()


def test_ui_is_off_by_default(monkeypatch):
    monkeypatch.delenv("DSTREAMS_CONF_dstreams.ui.enabled", raising=False)  # `dstreams run` turns it on
    with Context("local[1]", "no-ui") as ctx:
        assert ctx.uiWebUrl is None
