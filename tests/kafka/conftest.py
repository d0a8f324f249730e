from __future__ import annotations

import uuid

import pytest

from tests.kafka.broker import KafkaBroker


@pytest.fixture(scope="session")
def kafka_broker():
    """One real Kafka broker (KRaft) for the session; fails (never skips) without Java or jars."""
    broker = KafkaBroker()
    yield broker
    broker.stop()


@pytest.fixture
def topic_name():
    return f"t-{uuid.uuid4().hex[:10]}"
