"""Fixtures for the streaming tests: one local[2] Context per module, and a runner that drives
a StreamingContext with a ManualClock so batches run as fast as they can, deterministically."""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from dstreams import Context  # noqa: E402
from dstreams.streaming import ManualClock, StreamingContext  # noqa: E402

from conftest_helpers import streaming_threads, wait_for  # noqa: E402


BATCH = 0.5  # seconds of manual-clock time per batch


@pytest.fixture(scope="module")
def ctx():
    c = Context("local[2]", "streaming-tests")
    yield c
    c.stop()


class Runner:
    """A StreamingContext on a ManualClock: ``collect(dstream)`` registers an output and
    ``run(n)`` advances n batches and waits for every collected output to have n results."""

    def __init__(self, ctx, batch: float = BATCH) -> None:
        self.clock = ManualClock(0)
        self.batch_ms = int(batch * 1000)
        self.ssc = StreamingContext(ctx, batch, clock=self.clock)
        self.outputs: list[list] = []

    def collect(self, dstream, sort: bool = False) -> list:
        out: list = []

        def grab(rdd):
            data = rdd.collect()
            out.append(sorted(data) if sort else data)

        dstream.foreachRDD(grab)
        self.outputs.append(out)
        return out

    def run(self, n: int, timeout: float = 30.0) -> None:
        if self.ssc._state == "INITIALIZED":
            self.ssc.start()
        self.clock.advance(n * self.batch_ms)
        last = self.clock.now_ms()
        sch = self.ssc._scheduler
        wait_for(lambda: (sch.last_completed or 0) >= last or self.ssc._error is not None,
                 timeout, f"{n} batches")
        if self.ssc._error is not None:
            raise self.ssc._error

    def stop(self) -> None:
        self.ssc.stop(stopSparkContext=False)


@pytest.fixture
def runner(ctx):
    r = Runner(ctx)
    yield r
    r.stop()
    assert not streaming_threads(), f"threads left running: {streaming_threads()}"
