"""saveToKafka: write an RDD's (or each batch of a DStream's) elements to a topic, each
partition task producing with an idempotent producer flushed before the task succeeds."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .common import KafkaProduceError, client_config

__all__ = ["saveToKafka", "KafkaSink"]

FLUSH_TIMEOUT = 120.0


def _encode(x: Any) -> bytes | None:
    if x is None or isinstance(x, bytes):
        return x
    return str(x).encode("utf-8")


class KafkaSink:
    """Produces the elements of partitions to ``topic``; picklable (it holds only settings)."""

    def __init__(self, topic: str, producerConfig: dict, keyFunc: Callable | None = None,
                 valueFunc: Callable = str) -> None:
        client_config(producerConfig)  # fail early without brokers
        self.topic = topic
        self.config = dict(producerConfig)
        self.key_func = keyFunc
        self.value_func = valueFunc

    def write(self, records: Iterator) -> int:
        """Produce ``records`` and flush; return how many were delivered (raises
        KafkaProduceError unless every one was)."""
        from confluent_kafka import KafkaException, Producer
        conf = client_config(self.config, **{"enable.idempotence": True})
        producer = Producer(conf)
        errors: list[str] = []
        sent = 0

        def delivered(err: Any, msg: Any) -> None:
            if err is not None:
                errors.append(err.str())

        for x in records:
            key = _encode(self.key_func(x)) if self.key_func is not None else None
            value = _encode(self.value_func(x))
            while True:
                try:
                    producer.produce(self.topic, value=value, key=key, on_delivery=delivered)
                    break
                except BufferError:  # local queue full: let deliveries drain
                    producer.poll(0.5)
                except KafkaException as exc:
                    raise KafkaProduceError(f"producing to topic {self.topic!r} on {conf['bootstrap.servers']} "
                                            f"failed: {exc}") from None
            sent += 1
            producer.poll(0)
        left = producer.flush(FLUSH_TIMEOUT)
        if left or errors:
            raise KafkaProduceError(
                f"{left} record(s) not delivered within {FLUSH_TIMEOUT:.0f} s and {len(errors)} failed producing to "
                f"topic {self.topic!r} on {conf['bootstrap.servers']}" + (f": {errors[0]}" if errors else ""))
        return sent

    def __call__(self, records: Iterator) -> None:
        self.write(records)


def saveToKafka(rdd_or_dstream: Any, topic: str, producerConfig: dict, keyFunc: Callable | None = None,
                valueFunc: Callable = str) -> None:
    """Write every element to ``topic`` (value ``valueFunc(x)``, key ``keyFunc(x)`` if given;
    str values are UTF-8 encoded). An RDD is written now; a DStream has an output operation
    added that writes each batch. Returns None; a task fails unless all its records were
    acknowledged."""
    sink = KafkaSink(topic, producerConfig, keyFunc, valueFunc)
    if hasattr(rdd_or_dstream, "foreachRDD"):
        rdd_or_dstream.foreachRDD(lambda rdd: rdd.foreachPartition(sink))
    else:
        rdd_or_dstream.foreachPartition(sink)
