"""Testing kit: run streaming code deterministically and fast, as the project's own tests do.

:class:`StreamRunner` drives a StreamingContext on a :class:`~dstreams.streaming.ManualClock`:
batches run as soon as the clock is advanced, never waiting for wall time. ``collect(stream)``
is a list sink (one list per batch); ``run(n)`` advances ``n`` batch intervals and returns once
they are all processed, raising the error that stopped the context, if any.
:func:`wait_until` waits for a condition with a deadline (never a fixed sleep).

>>> from dstreams import Context
>>> with Context("local[2]", "doc") as sc, StreamRunner(sc, batchDuration=1) as runner:
...     words = runner.ssc.queueStream([["a", "b", "a"], ["b"]])
...     counts = runner.collect(words.map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b), sort=True)
...     runner.run(2)
>>> counts
[[('a', 2), ('b', 1)], [('b', 1)]]
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .streaming.clock import ManualClock
from .streaming.context import StreamingContext
from .streaming.dstream import DStream
from .streaming.listener import StreamingListener

__all__ = ["StreamRunner", "wait_until", "WaitTimeoutError"]

T = TypeVar("T")


class WaitTimeoutError(AssertionError):
    """A condition did not become true within its deadline (an AssertionError, so a test
    fails, not errors)."""


def wait_until(cond: Callable[[], T], timeout: float = 20.0, what: str = "the condition",
               interval: float = 0.005) -> T:
    """Poll ``cond()`` until it returns a truthy value and return that value; raise
    WaitTimeoutError naming ``what`` after ``timeout`` seconds.

    >>> wait_until(lambda: 42, 1.0, "the answer")
    42
    """
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise WaitTimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class _Completed(StreamingListener):
    """Remembers the time of the last completed batch."""

    def __init__(self) -> None:
        self.last_ms = -1
        self._cond = threading.Condition()

    def onBatchCompleted(self, batchCompleted: Any) -> None:
        with self._cond:
            self.last_ms = max(self.last_ms, int(batchCompleted.batchInfo().batchTime()))
            self._cond.notify_all()


class StreamRunner:
    """A StreamingContext on a ManualClock (``runner.ssc``), for tests and notebooks.

    ``batchDuration`` is in seconds; ``sc`` is a running Context. Use it as a context manager
    (or call ``stop()``): the Context itself keeps running.
    """

    def __init__(self, sc: Any, batchDuration: float = 0.5) -> None:
        self.clock = ManualClock(0)
        self.batch_ms = int(round(batchDuration * 1000))
        self.ssc = StreamingContext(sc, batchDuration, clock=self.clock)
        self._completed = _Completed()
        self.ssc.addStreamingListener(self._completed)
        self.outputs: list[list] = []

    def collect(self, dstream: DStream, sort: bool = False) -> list[list]:
        """Register a list sink on ``dstream``; return the list that receives each batch's
        records (sorted when ``sort``) as one list per batch."""
        out: list[list] = []

        def grab(rdd: Any) -> None:
            data = rdd.collect()
            out.append(sorted(data) if sort else data)

        dstream.foreachRDD(grab)
        self.outputs.append(out)
        return out

    def run(self, batches: int, timeout: float = 30.0) -> None:
        """Start the context if needed, advance the clock by ``batches`` intervals and wait
        until those batches are processed; raise the error that stopped the context."""
        if self.ssc.getState() == "INITIALIZED":
            self.ssc.start()
        self.clock.advance(batches * self.batch_ms)
        last = self.clock.now_ms()
        done = self._completed
        deadline = time.monotonic() + timeout
        with done._cond:
            while done.last_ms < last:
                if self.ssc.awaitTerminationOrTimeout(0):  # stopped: raises its error, if any
                    raise RuntimeError("the StreamingContext stopped before the batches ran")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WaitTimeoutError(f"timed out after {timeout}s waiting for {batches} batches "
                                           f"(up to {last} ms; last completed {done.last_ms} ms)")
                done._cond.wait(min(left, 0.05))
        self.ssc.awaitTerminationOrTimeout(0)  # a failure of the last batch raises here

    def stop(self) -> None:
        """Stop the streams (not the Context)."""
        self.ssc.stop(stopSparkContext=False)

    def __enter__(self) -> "StreamRunner":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
