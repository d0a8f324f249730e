"""Fixtures of the Kafka tests: one real broker (KRaft) for the session, a local[2] Context per
module, and a StreamingContext on a ManualClock whose batches run as soon as the clock moves."""
from __future__ import annotations

import uuid

import pytest

from dstreams import Context
from dstreams.testing import StreamRunner
from tests.kafka.broker import KafkaBroker


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


ManualRunner = StreamRunner  # run(n): advance a ManualClock by n batches, wait until they are done


@pytest.fixture
def runner(ctx):
    r = ManualRunner(ctx)
    yield r
    r.stop()


def params(broker: KafkaBroker, **extra) -> dict:
    """kafkaParams for the test broker, reading from the beginning."""
    return {"bootstrap.servers": broker.bootstrap, "auto.offset.reset": "earliest", **extra}
