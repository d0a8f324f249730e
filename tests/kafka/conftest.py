"""Fixtures of the Kafka tests: one real broker (KRaft) for the session, a local[2] Context per
module, and a StreamingContext on a ManualClock whose batches run as soon as the clock moves."""
from __future__ import annotations

import uuid

import pytest

from dstreams import Context
from dstreams.streaming import ManualClock, StreamingContext
from tests.kafka.broker import KafkaBroker
from tests.servers import wait_until


@pytest.fixture(scope="session")
def kafka_broker():
    """One real Kafka broker for the session; fails (never skips) without Java or the jars."""
    broker = KafkaBroker()
    yield broker
    broker.stop()


@pytest.fixture
def topic_name() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def ctx():
    c = Context("local[2]", "kafka-tests")
    yield c
    c.stop()


class ManualRunner:
    """``run(n)``: advance a ManualClock by n batches and wait until they are all done."""

    def __init__(self, ctx, batch: float = 0.5) -> None:
        self.clock = ManualClock(0)
        self.batch_ms = int(batch * 1000)
        self.ssc = StreamingContext(ctx, batch, clock=self.clock)

    def run(self, n: int, timeout: float = 60.0) -> None:
        if self.ssc._state == "INITIALIZED":
            self.ssc.start()
        self.clock.advance(n * self.batch_ms)
        last = self.clock.now_ms()
        sch = self.ssc._scheduler
        wait_until(lambda: (sch.last_completed or 0) >= last or self.ssc._error is not None, timeout,
                   f"{n} batches")
        if self.ssc._error is not None:
            raise self.ssc._error

    def stop(self) -> None:
        self.ssc.stop(stopSparkContext=False)


@pytest.fixture
def runner(ctx):
    r = ManualRunner(ctx)
    yield r
    r.stop()


def params(broker: KafkaBroker, **extra) -> dict:
    """kafkaParams for the test broker, reading from the beginning."""
    return {"bootstrap.servers": broker.bootstrap, "auto.offset.reset": "earliest", **extra}
