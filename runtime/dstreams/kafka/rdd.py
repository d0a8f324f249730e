"""KafkaRDD: one partition per offset range; each task reads exactly its range with a consumer
of its own (assign + seek, no group management) and stops at the range's end."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from ..dependencies import Partition
from ..rdd import RDD
from .common import (KafkaMessageAndMetadata, KafkaReadError, OffsetRange, bootstrap_servers, client_config,
                     decode_with, poll_timeout, utf8_decoder)

__all__ = ["KafkaRDD", "read_range"]

_BATCH = 500  # records asked of consume() at a time


class _RangePartition(Partition):
    """A partition of a KafkaRDD: the offset range it reads."""

    __slots__ = ("range",)

    def __init__(self, index: int, offset_range: OffsetRange) -> None:
        super().__init__(index)
        self.range = offset_range


def _reader_config(kafka_params: dict) -> dict:
    group = kafka_params.get("group.id") or f"dstreams-reader-{uuid.uuid4().hex[:8]}"
    return client_config(kafka_params, **{
        "group.id": group, "enable.auto.commit": False, "enable.auto.offset.store": False,
        "enable.partition.eof": True, "auto.offset.reset": "error"})


def read_range(kafka_params: dict, r: OffsetRange, key_decoder: Callable, value_decoder: Callable,
               message_handler: Callable | None) -> Iterator:
    """Yield the records of ``r`` (decoded pairs, or what ``message_handler`` returns)."""
    if r.untilOffset <= r.fromOffset:
        return
    from confluent_kafka import Consumer, KafkaError as CKError, TopicPartition
    consumer = Consumer(_reader_config(kafka_params))
    try:
        consumer.assign([TopicPartition(r.topic, r.partition, r.fromOffset)])
        timeout = poll_timeout(kafka_params)
        last_progress = time.monotonic()
        nxt = r.fromOffset
        while nxt < r.untilOffset:
            msgs = consumer.consume(min(_BATCH, r.untilOffset - nxt), timeout=1.0)
            if not msgs:
                # the last offsets may be transaction markers, never delivered: ask the position
                pos = consumer.position([TopicPartition(r.topic, r.partition)])[0].offset
                if pos >= r.untilOffset:
                    return
                if time.monotonic() - last_progress > timeout:
                    raise KafkaReadError(
                        f"no record of topic {r.topic!r} partition {r.partition} at offset {nxt} (range "
                        f"[{r.fromOffset}, {r.untilOffset})) came from {bootstrap_servers(kafka_params)} within "
                        f"{timeout:.0f} s; raise dstreams.kafka.poll.ms in kafkaParams if the brokers are slow")
                continue
            last_progress = time.monotonic()
            for m in msgs:
                err = m.error()
                if err is not None:
                    if err.code() == CKError._PARTITION_EOF:
                        if m.offset() is not None and m.offset() >= r.untilOffset:
                            return
                        continue
                    raise KafkaReadError(
                        f"reading topic {r.topic!r} partition {r.partition} at offset {nxt} from "
                        f"{bootstrap_servers(kafka_params)} failed: {err.str()} (were the records deleted by "
                        "retention before the batch ran?)")
                off = m.offset()
                if off >= r.untilOffset:
                    return
                nxt = off + 1
                key = decode_with(key_decoder, m.key(), "key", r.topic, r.partition, off)
                value = decode_with(value_decoder, m.value(), "value", r.topic, r.partition, off)
                if message_handler is None:
                    yield (key, value)
                else:
                    rec = KafkaMessageAndMetadata(r.topic, r.partition, off, key, value, m.timestamp(), m.headers())
                    yield decode_with(message_handler, rec, "messageHandler result", r.topic, r.partition, off)
    finally:
        consumer.close()


class KafkaRDD(RDD):
    """The records of a list of offset ranges, one partition per range.

    Holds only the client settings, the ranges and the decoders, so it pickles to worker
    processes and remote executors; each task opens (and closes) its own consumer."""

    def __init__(self, ctx: Any, kafka_params: dict, offset_ranges: list[OffsetRange],
                 key_decoder: Callable = utf8_decoder, value_decoder: Callable = utf8_decoder,
                 message_handler: Callable | None = None) -> None:
        super().__init__(ctx, [])
        bootstrap_servers(kafka_params)  # fail early without brokers
        self.kafka_params = {k: v for k, v in kafka_params.items() if not callable(v)}
        self.ranges = [OffsetRange(*r) for r in offset_ranges]
        self.key_decoder = key_decoder
        self.value_decoder = value_decoder
        self.message_handler = message_handler

    def _get_partitions(self) -> list:
        return [_RangePartition(i, r) for i, r in enumerate(self.ranges)]

    def compute(self, split: Any, tc: Any) -> Iterator:
        return read_range(self.kafka_params, split.range, self.key_decoder, self.value_decoder,
                          self.message_handler)

    def offsetRanges(self) -> list[OffsetRange]:
        """Return the offset ranges this RDD reads, one per partition, in partition order."""
        return list(self.ranges)

    def __repr__(self) -> str:
        return f"KafkaRDD[{self.id}] of {len(self.ranges)} range(s)"
