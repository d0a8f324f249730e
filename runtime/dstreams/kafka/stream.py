"""The direct Kafka stream: no receiver; at each batch the driver asks the brokers for the
latest offsets and the batch is a KafkaRDD of the ranges [last until, latest) per partition.

The ranges of every generated batch are part of the metadata checkpoint, with the offsets
reached: after a recovery pending batches re-read exactly their ranges and later ones go on
from where the last one stopped. Partitions added to a topic are found at the next batch and
read from their beginning (or from the group's committed offset)."""
from __future__ import annotations

import logging
import time
import threading
from collections.abc import Callable, Iterable
from typing import Any

from ..streaming.dstream import InputDStream
from .common import (KafkaBrokersUnreachableError, KafkaCommitError, KafkaError, OffsetRange, TopicAndPartition,
                     UnknownTopicError, bootstrap_servers, client_config, max_rate_per_partition,
                     metadata_timeout, reset_policy, utf8_decoder)
from .rdd import KafkaRDD

__all__ = ["DirectKafkaInputDStream", "plan_ranges", "records_per_batch"]

log = logging.getLogger("dstreams.kafka")


def records_per_batch(rate: float, batch_ms: int) -> int | None:
    """Return the most records a partition gives a batch at ``rate`` per second (None: no cap;
    at least 1, as Spark's)."""
    if rate <= 0:
        return None
    return max(1, int(rate * batch_ms / 1000.0))


def plan_ranges(current: dict[TopicAndPartition, int], latest: dict[TopicAndPartition, int],
                cap: int | None) -> list[OffsetRange]:
    """Return the ranges of a batch: per partition of ``latest`` (in its order), from the
    ``current`` offset to the latest one, at most ``cap`` records; never backwards (a latest
    offset below the current one, after a topic was recreated, gives an empty range)."""
    ranges = []
    for tp, high in latest.items():
        frm = current[tp]
        until = high if cap is None else min(high, frm + cap)
        ranges.append(OffsetRange(tp.topic, tp.partition, frm, max(until, frm)))
    return ranges


class DirectKafkaInputDStream(InputDStream):
    """A direct stream of Kafka topics (see KafkaUtils.createDirectStream)."""

    _transient = InputDStream._transient + ("_consumer", "_lock", "_commits")

    def __init__(self, ssc: Any, topics: list[str], kafka_params: dict, from_offsets: dict | None = None,
                 key_decoder: Callable = utf8_decoder, value_decoder: Callable = utf8_decoder,
                 message_handler: Callable | None = None) -> None:
        if isinstance(topics, str) or not topics:
            raise TypeError(f"topics must be a non-empty list of topic names, got {topics!r}")
        bootstrap_servers(kafka_params)
        reset_policy(kafka_params)
        super().__init__(ssc)
        self._topics = [str(t) for t in topics]
        self._kafka_params = dict(kafka_params)
        self._from_offsets = {TopicAndPartition(*tp): int(o) for tp, o in (from_offsets or {}).items()}
        self._key_decoder = key_decoder
        self._value_decoder = value_decoder
        self._message_handler = message_handler
        self._current: dict[TopicAndPartition, int] | None = None  # next offset to read, per partition
        self._ranges: dict[int, list[OffsetRange]] = {}            # batch time -> its ranges
        self._consumer: Any = None
        self._lock = threading.RLock()
        self._commits: list[tuple[list[OffsetRange], Callable | None]] = []

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._consumer = None
        self._lock = threading.RLock()
        self._commits = []

    # ---- the driver's consumer (metadata, offsets, commits) -------------------------------
    def _servers(self) -> str:
        return bootstrap_servers(self._kafka_params)

    def _driver_consumer(self) -> Any:
        if self._consumer is None:
            from confluent_kafka import Consumer
            group = self._kafka_params.get("group.id") or f"dstreams-driver-{self._id}"
            self._consumer = Consumer(client_config(self._kafka_params, **{
                "group.id": group, "enable.auto.commit": False, "enable.auto.offset.store": False}))
        return self._consumer

    def _partitions(self) -> list[TopicAndPartition]:
        """Return every partition of the topics, asking the brokers (raises the named errors)."""
        from confluent_kafka import KafkaError as CKError, KafkaException
        consumer = self._driver_consumer()
        timeout = metadata_timeout(self._sc)
        out = []
        for topic in self._topics:
            try:
                md = consumer.list_topics(topic, timeout=timeout)
            except KafkaException as exc:
                raise KafkaBrokersUnreachableError(
                    f"no Kafka broker of bootstrap.servers={self._servers()} answered within {timeout:.0f} s "
                    f"({exc.args[0].str() if exc.args else exc}): check the addresses and that the brokers run"
                ) from None
            meta = md.topics.get(topic)
            if meta is None or meta.error is not None:
                code = meta.error.code() if meta is not None else None
                if code in (CKError.UNKNOWN_TOPIC_OR_PART, CKError._UNKNOWN_TOPIC, None):
                    raise UnknownTopicError(
                        f"topic {topic!r} does not exist on the Kafka cluster {self._servers()}: create it "
                        "(kafka-topics.sh --create) or fix the name")
                raise KafkaError(f"metadata of topic {topic!r} from {self._servers()}: {meta.error.str()}")
            out.extend(TopicAndPartition(topic, p) for p in sorted(meta.partitions))
        return out

    def _watermarks(self, tps: Iterable[TopicAndPartition]) -> dict[TopicAndPartition, tuple[int, int]]:
        from confluent_kafka import KafkaException, TopicPartition
        consumer = self._driver_consumer()
        timeout = metadata_timeout(self._sc)
        out = {}
        deadline = time.monotonic() + timeout
        for tp in tps:
            while True:
                left = max(0.1, deadline - time.monotonic())
                try:
                    out[tp] = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=left,
                                                             cached=False)
                    break
                except KafkaException as exc:
                    # a partition whose leader is being elected (a new topic, a broker restart)
                    # answers with a retriable error: ask again until the deadline
                    err = exc.args[0] if exc.args else None
                    if err is not None and err.retriable() and time.monotonic() < deadline:
                        time.sleep(0.1)
                        continue
                    raise KafkaBrokersUnreachableError(
                        f"the offsets of topic {tp.topic!r} partition {tp.partition} could not be had from "
                        f"bootstrap.servers={self._servers()} within {timeout:.0f} s: {exc}") from None
        return out

    def _committed(self, tps: list[TopicAndPartition]) -> dict[TopicAndPartition, int]:
        if not self._kafka_params.get("group.id") or not tps:
            return {}
        from confluent_kafka import KafkaException, TopicPartition
        try:
            got = self._driver_consumer().committed([TopicPartition(t, p) for t, p in tps],
                                                    timeout=metadata_timeout(self._sc))
        except KafkaException as exc:
            raise KafkaBrokersUnreachableError(
                f"the committed offsets of group {self._kafka_params['group.id']!r} could not be had from "
                f"bootstrap.servers={self._servers()}: {exc}") from None
        return {TopicAndPartition(x.topic, x.partition): x.offset for x in got if x.offset >= 0}

    def _starting_offsets(self, tps: list[TopicAndPartition], policy: str) -> dict[TopicAndPartition, int]:
        """fromOffsets, else the group's committed offsets, else ``policy`` (earliest/latest)."""
        start = {tp: self._from_offsets[tp] for tp in tps if tp in self._from_offsets}
        rest = [tp for tp in tps if tp not in start]
        start.update(self._committed(rest))
        rest = [tp for tp in rest if tp not in start]
        for tp, (low, high) in self._watermarks(rest).items():
            start[tp] = low if policy == "earliest" else high
        return start

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Find the topics' partitions and the offsets to start from (unless restored)."""
        with self._lock:
            tps = self._partitions()
            if self._current is None:
                self._current = self._starting_offsets(tps, reset_policy(self._kafka_params))
                log.info("%s: starting at %s", self._name(), self._current)

    def stop(self) -> None:
        """Commit what commitAsync queued, then close the driver's consumer."""
        with self._lock:
            try:
                self._flush_commits()
            finally:
                if self._consumer is not None:
                    self._consumer.close()
                    self._consumer = None

    def _on_tick(self, t: int) -> None:
        with self._lock:
            self._flush_commits()
            if t in self._ranges:  # a batch of before a recovery: its ranges are kept
                return
            if self._current is None:
                self.start()
            tps = self._partitions()
            new = [tp for tp in tps if tp not in self._current]
            if new:
                log.info("%s: new partitions %s", self._name(), new)
                self._current.update(self._starting_offsets(new, "earliest"))
            latest = {tp: high for tp, (_, high) in self._watermarks(tps).items()}
            cap = records_per_batch(max_rate_per_partition(self._sc), self._slide_ms)
            ranges = plan_ranges(self._current, latest, cap)
            self._current.update({TopicAndPartition(r.topic, r.partition): r.untilOffset for r in ranges})
            self._ranges[t] = ranges

    def _after_batch(self, t: int) -> None:
        with self._lock:
            self._flush_commits()

    def _input_info(self, t: int) -> tuple[int, dict] | None:
        ranges = self._ranges.get(t, [])
        return sum(r.count() for r in ranges), {"offsets": [tuple(r) for r in ranges]}

    def _compute(self, t: int) -> Any:
        ranges = self._ranges.get(t)
        if ranges is None:
            return None
        return KafkaRDD(self._sc, self._kafka_params, ranges, self._key_decoder, self._value_decoder,
                        self._message_handler)

    def _prune(self, cutoff: int) -> None:
        with self._lock:
            for k in [k for k in self._ranges if k <= cutoff]:
                del self._ranges[k]

    # ---- checkpoints ------------------------------------------------------------------------
    def _checkpoint_state(self) -> dict | None:
        state = super()._checkpoint_state() or {}
        with self._lock:
            state["kafka_ranges"] = {t: [tuple(r) for r in rs] for t, rs in self._ranges.items()}
            state["kafka_current"] = (None if self._current is None
                                      else {tuple(k): v for k, v in self._current.items()})
        return state

    def _restore_checkpoint_state(self, state: dict) -> None:
        super()._restore_checkpoint_state(state)
        self._ranges = {t: [OffsetRange(*r) for r in rs] for t, rs in state.get("kafka_ranges", {}).items()}
        cur = state.get("kafka_current")
        self._current = None if cur is None else {TopicAndPartition(*k): v for k, v in cur.items()}

    # ---- committing ---------------------------------------------------------------------------
    def commitAsync(self, offsetRanges: list[OffsetRange], callback: Callable | None = None) -> None:
        """Queue the until offsets of ``offsetRanges`` to be committed to the consumer group
        (``group.id`` of kafkaParams) once the running batch is done; returns None.

        ``callback(offsets, error)`` is then called with {TopicAndPartition: offset} and None,
        or the KafkaCommitError."""
        if not self._kafka_params.get("group.id"):
            raise ValueError("commitAsync needs a consumer group: set 'group.id' in kafkaParams")
        with self._lock:
            self._commits.append(([OffsetRange(*r) for r in offsetRanges], callback))

    def _flush_commits(self) -> None:
        from confluent_kafka import KafkaException, TopicPartition
        while self._commits:
            ranges, callback = self._commits.pop(0)
            offsets: dict[TopicAndPartition, int] = {}
            for r in ranges:
                tp = TopicAndPartition(r.topic, r.partition)
                offsets[tp] = max(offsets.get(tp, r.untilOffset), r.untilOffset)
            error = None
            if offsets:
                try:
                    self._driver_consumer().commit(
                        offsets=[TopicPartition(tp.topic, tp.partition, o) for tp, o in offsets.items()],
                        asynchronous=False)
                except KafkaException as exc:
                    error = KafkaCommitError(f"committing {offsets} for group {self._kafka_params['group.id']!r} "
                                             f"to {self._servers()} failed: {exc}")
            if callback is not None:
                try:
                    callback(offsets, error)
                except Exception:  # noqa: BLE001 - a callback's error stops no stream
                    log.exception("%s: commit callback failed", self._name())
            elif error is not None:
                log.warning("%s: %s", self._name(), error)
