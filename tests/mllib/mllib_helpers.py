"""Helpers shared by the mllib tests (importable, unlike conftest)."""
from __future__ import annotations

import time
from collections.abc import Callable

from dstreams import Context
from dstreams.streaming import ManualClock, StreamingContext, StreamingListener


def wait_for(cond: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> None:
    """Wait until ``cond()`` is true, failing the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


BATCH_MS = 500


class BatchesCompleted(StreamingListener):
    def __init__(self) -> None:
        self.last_ms = -1

    def onBatchCompleted(self, batchCompleted) -> None:
        self.last_ms = max(self.last_ms, batchCompleted.batchInfo().batchTime().milliseconds())


class Runner:
    """A StreamingContext on a ManualClock; ``run(n)`` runs n more batches and waits for them
    (through a StreamingListener), raising the context's error if a batch failed."""

    def __init__(self, ctx: Context) -> None:
        self.clock = ManualClock(0)
        self.ssc = StreamingContext(ctx, BATCH_MS / 1000, clock=self.clock)
        self._done = BatchesCompleted()
        self.ssc.addStreamingListener(self._done)
        self._started = False

    def collect(self, dstream) -> list:
        out: list = []
        dstream.foreachRDD(lambda rdd: out.append(rdd.collect()))
        return out

    def run(self, n: int, timeout: float = 60.0) -> None:
        if not self._started:
            self.ssc.start()
            self._started = True
        self.clock.advance(n * BATCH_MS)
        last = self.clock.now_ms()

        def done() -> bool:
            self.ssc.awaitTerminationOrTimeout(0)  # raises the error of a failed batch
            return self._done.last_ms >= last
        wait_for(done, timeout, f"the batches up to {last} ms")

    def stop(self) -> None:
        self.ssc.stop(stopSparkContext=False)
