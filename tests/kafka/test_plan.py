"""The pure part of the direct stream: which ranges a batch reads (no broker needed)."""
from __future__ import annotations

import pytest

from dstreams.kafka import KafkaBrokersUnreachableError, KafkaDecodeError, KafkaError, OffsetRange, TopicAndPartition
from dstreams.kafka.common import client_config, reset_policy
from dstreams.kafka.stream import plan_ranges, records_per_batch
from dstreams.errors import DStreamsError

A, B = TopicAndPartition("t", 0), TopicAndPartition("t", 1)


def test_plan_ranges_caps_and_never_goes_back():
    assert plan_ranges({A: 3, B: 0}, {A: 10, B: 2}, None) == [OffsetRange("t", 0, 3, 10), OffsetRange("t", 1, 0, 2)]
    assert plan_ranges({A: 3, B: 0}, {A: 10, B: 2}, 4) == [OffsetRange("t", 0, 3, 7), OffsetRange("t", 1, 0, 2)]
    assert plan_ranges({A: 8}, {A: 5}, None) == [OffsetRange("t", 0, 8, 8)]


def test_records_per_batch():
    assert records_per_batch(0, 500) is None
    assert records_per_batch(10, 500) == 5
    assert records_per_batch(0.1, 500) == 1


def test_params_translation():
    conf = client_config({"metadata.broker.list": "h:1", "auto.offset.reset": "smallest", "fetch.min.bytes": 5,
                          "spark.x": "y", "dstreams.kafka.poll.ms": 10})
    assert conf.pop("logger").name == "dstreams.kafka.client"
    assert conf == {"bootstrap.servers": "h:1", "auto.offset.reset": "earliest", "fetch.min.bytes": 5}
    assert reset_policy({}) == "latest" and reset_policy({"auto.offset.reset": "largest"}) == "latest"
    with pytest.raises(ValueError, match="auto.offset.reset"):
        reset_policy({"auto.offset.reset": "sometimes"})
    with pytest.raises(ValueError, match="bootstrap.servers"):
        client_config({"group.id": "g"})


def test_errors_are_dstreams_errors():
    assert issubclass(KafkaError, DStreamsError)
    assert issubclass(KafkaBrokersUnreachableError, KafkaError) and issubclass(KafkaDecodeError, KafkaError)
