"""Kafka's value types (offset ranges, topic-partitions, records), errors, decoders and the
translation of PySpark-style ``kafkaParams`` into confluent-kafka (librdkafka) settings."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NamedTuple

from ..errors import DStreamsError

__all__ = ["OffsetRange", "TopicAndPartition", "KafkaMessageAndMetadata", "KafkaError",
           "KafkaBrokersUnreachableError", "UnknownTopicError", "KafkaDecodeError", "KafkaReadError",
           "KafkaCommitError", "KafkaProduceError", "utf8_decoder", "client_config", "bootstrap_servers",
           "max_rate_per_partition"]

MAX_RATE_KEY = "spark.streaming.kafka.maxRatePerPartition"
# keys of kafkaParams that are ours (or Spark's), not librdkafka's
_NOT_CLIENT = {"metadata.broker.list"}
_RESETS = {"smallest": "earliest", "earliest": "earliest", "beginning": "earliest",
           "largest": "latest", "latest": "latest", "end": "latest"}


class KafkaError(DStreamsError):
    """Base class of the errors of dstreams.kafka."""


class KafkaBrokersUnreachableError(KafkaError, ConnectionError):
    """No broker of ``bootstrap.servers`` answered within the metadata timeout."""


class UnknownTopicError(KafkaError, LookupError):
    """A topic asked for does not exist on the cluster (and is not auto-created)."""


class KafkaDecodeError(KafkaError, ValueError):
    """A key or value decoder (or the messageHandler) raised on a record."""


class KafkaReadError(KafkaError):
    """A task could not read its offset range (records gone, broker error, poll timeout)."""


class KafkaCommitError(KafkaError):
    """Committing offsets to the consumer group failed."""


class KafkaProduceError(KafkaError):
    """saveToKafka could not deliver every record."""


class TopicAndPartition(NamedTuple):
    """A partition of a topic (PySpark's TopicAndPartition)."""

    topic: str
    partition: int


class OffsetRange(NamedTuple):
    """The records ``[fromOffset, untilOffset)`` of one topic-partition (PySpark's OffsetRange)."""

    topic: str
    partition: int
    fromOffset: int
    untilOffset: int

    def count(self) -> int:
        """Return the number of offsets in the range (untilOffset - fromOffset)."""
        return self.untilOffset - self.fromOffset

    def topicAndPartition(self) -> TopicAndPartition:
        """Return the TopicAndPartition of this range."""
        return TopicAndPartition(self.topic, self.partition)


class KafkaMessageAndMetadata(NamedTuple):
    """A record as given to a ``messageHandler``: key and value already decoded.

    ``message`` is PySpark 2.4's name of the value; ``timestamp`` is (type, milliseconds) as
    confluent-kafka gives it; ``headers`` a list of (name, bytes) or None."""

    topic: str
    partition: int
    offset: int
    key: Any
    value: Any
    timestamp: tuple[int, int] | None = None
    headers: list | None = None

    @property
    def message(self) -> Any:
        """The decoded value (PySpark 2.4's attribute name)."""
        return self.value


def utf8_decoder(s: bytes | None) -> str | None:
    """Return the bytes ``s`` decoded as UTF-8 (None stays None), PySpark's default decoder."""
    if s is None:
        return None
    return s.decode("utf-8")


def bootstrap_servers(kafka_params: dict) -> str:
    """Return the brokers of ``kafkaParams`` (``bootstrap.servers`` or ``metadata.broker.list``)."""
    servers = kafka_params.get("bootstrap.servers") or kafka_params.get("metadata.broker.list")
    if not servers:
        raise ValueError("kafkaParams must name the brokers: set 'bootstrap.servers' (or 'metadata.broker.list'), "
                         "e.g. {'bootstrap.servers': 'host:9092'}")
    return str(servers)


def reset_policy(kafka_params: dict) -> str:
    """Return 'earliest' or 'latest' from ``auto.offset.reset`` (default latest, as Spark's)."""
    value = str(kafka_params.get("auto.offset.reset", "largest")).lower()
    if value not in _RESETS:
        raise ValueError(f"auto.offset.reset must be one of earliest/smallest or latest/largest, got {value!r}")
    return _RESETS[value]


def client_config(kafka_params: dict, **overrides: Any) -> dict:
    """Return the confluent-kafka settings for ``kafkaParams``: the brokers, the other keys
    passed through as strings, ``auto.offset.reset`` in librdkafka's words, librdkafka's log
    lines sent to the ``dstreams.kafka.client`` logger (unless ``logger`` is given), then
    ``overrides``."""
    conf = {k: (v if isinstance(v, (bool, int, float)) or callable(v) else str(v))
            for k, v in kafka_params.items()
            if k not in _NOT_CLIENT and not k.startswith(("spark.", "dstreams."))}
    conf["bootstrap.servers"] = bootstrap_servers(kafka_params)
    conf.setdefault("logger", logging.getLogger("dstreams.kafka.client"))  # librdkafka's log, not stderr
    if "auto.offset.reset" in conf:
        conf["auto.offset.reset"] = reset_policy(kafka_params)
    conf.update(overrides)
    return conf


def max_rate_per_partition(ctx: Any) -> float:
    """Return ``spark.streaming.kafka.maxRatePerPartition`` of the Context's settings (0: no cap)."""
    return max(0.0, float(ctx.conf.value(MAX_RATE_KEY)))


def metadata_timeout(ctx: Any) -> float:
    """Seconds the driver waits for brokers' metadata and offsets (dstreams.kafka.metadataTimeout)."""
    return float(ctx.conf.value("dstreams.kafka.metadataTimeout"))


def poll_timeout(kafka_params: dict) -> float:
    """Seconds a task waits for records of its range before failing (dstreams.kafka.poll.ms
    in kafkaParams, milliseconds; default 60 s)."""
    return float(kafka_params.get("dstreams.kafka.poll.ms", 60000)) / 1000.0


def decode_with(decoder: Callable, data: Any, what: str, topic: str, partition: int, offset: int) -> Any:
    """Return ``decoder(data)``; a failure becomes a KafkaDecodeError naming the record."""
    try:
        return decoder(data)
    except Exception as exc:
        raise KafkaDecodeError(
            f"the {what} of the record at offset {offset} of topic {topic!r} partition {partition} could not be "
            f"decoded: {type(exc).__name__}: {exc}") from exc
