"""Fixtures of the dstreams.sql tests: a local[2] Context and its SparkSession per module."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from dstreams import Context


@pytest.fixture(scope="module")
def ctx() -> Iterator[Context]:
    active = Context._active
    if active is not None:
        active.stop()
    c = Context("local[2]", "sql-tests")
    yield c
    c.stop()


@pytest.fixture(scope="module")
def spark(ctx):
    from dstreams.sql import SparkSession
    s = SparkSession.builder.appName("sql-tests").getOrCreate()
    yield s


class BatchRunner:
    """A StreamingContext on a ManualClock: ``run(n)`` moves the clock n batches and waits (with a
    deadline) until a StreamingListener saw them complete; an output's failure fails the test."""

    def __init__(self, ctx, batch: float = 0.5) -> None:
        from dstreams.streaming import ManualClock, StreamingContext, StreamingListener
        self.clock = ManualClock(0)
        self.batch_ms = int(batch * 1000)
        self.ssc = StreamingContext(ctx, batch, clock=self.clock)
        self.completed: list[int] = []
        self.failures: list[str] = []
        runner = self

        class Watch(StreamingListener):
            def onBatchCompleted(self, batchCompleted):
                info = batchCompleted.batchInfo()
                for op in info.outputOperationInfos().values():
                    if op.failureReason():
                        runner.failures.append(op.failureReason())
                runner.completed.append(int(info.batchTime()))

        self.ssc.addStreamingListener(Watch())
        self.started = False

    def run(self, n: int, timeout: float = 60.0) -> None:
        from tests.servers import wait_until
        if not self.started:
            self.ssc.start()
            self.started = True
        self.clock.advance(n * self.batch_ms)
        last = self.clock.now_ms()
        # awaitTerminationOrTimeout raises the error of a failed batch
        wait_until(lambda: self.ssc.awaitTerminationOrTimeout(0) or self.failures
                   or (self.completed and max(self.completed) >= last), timeout, f"{n} batches")
        assert not self.failures, self.failures[0]

    def stop(self) -> None:
        self.ssc.stop(stopSparkContext=False)


@pytest.fixture(scope="session")
def postgres():
    """One real PostgreSQL server (a private initdb cluster on a loopback port) for the session;
    fails, never skips, when PostgreSQL is not installed."""
    from tests.servers import PostgresServer
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def pg_table(postgres) -> str:
    """A fresh table name (the table itself is made by the code under test)."""
    import uuid
    return f"t_{uuid.uuid4().hex[:10]}"
