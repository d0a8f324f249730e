"""Fixtures of the mllib tests: a local[2] Context per module and a ManualClock runner that
drives a StreamingContext batch by batch (no sleeps: every wait is on a condition)."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from dstreams import Context
from dstreams.streaming import ManualClock, StreamingContext, StreamingListener

sys.path.insert(0, os.path.dirname(__file__))

from mllib_helpers import wait_for  # noqa: E402

BATCH_MS = 500


@pytest.fixture(scope="module")
def ctx() -> Iterator[Context]:
    c = Context("local[2]", "mllib-tests")
    yield c
    c.stop()


class _Completed(StreamingListener):
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
        self._done = _Completed()
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


@pytest.fixture
def runner(ctx: Context) -> Iterator[Runner]:
    r = Runner(ctx)
    yield r
    r.stop()
