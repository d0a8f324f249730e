"""KafkaUtils: PySpark 2.4's entry points of the direct Kafka approach."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .common import OffsetRange, TopicAndPartition, utf8_decoder
from .rdd import KafkaRDD
from .stream import DirectKafkaInputDStream

__all__ = ["KafkaUtils"]


class KafkaUtils:
    """Direct (receiver-less) Kafka streams and RDDs, with PySpark 2.4's Python signatures."""

    @staticmethod
    def createDirectStream(ssc: Any, topics: list[str], kafkaParams: dict,
                           fromOffsets: dict[TopicAndPartition, int] | None = None,
                           keyDecoder: Callable = utf8_decoder, valueDecoder: Callable = utf8_decoder,
                           messageHandler: Callable | None = None) -> DirectKafkaInputDStream:
        """Return a DStream of the records of ``topics``: ``(key, value)`` pairs, or what
        ``messageHandler(KafkaMessageAndMetadata)`` returns.

        ``kafkaParams`` needs ``bootstrap.servers`` (or ``metadata.broker.list``); ``group.id``
        is needed to start from committed offsets and for ``commitAsync``; ``auto.offset.reset``
        (earliest/smallest, latest/largest; default largest) applies where neither fromOffsets
        nor a committed offset says where to start. Other keys go to the consumer unchanged.
        The batch RDDs have ``offsetRanges()``; records per partition and batch are capped by
        ``spark.streaming.kafka.maxRatePerPartition`` times the batch seconds."""
        return DirectKafkaInputDStream(ssc, topics, kafkaParams, fromOffsets, keyDecoder, valueDecoder,
                                       messageHandler)

    @staticmethod
    def createRDD(sc: Any, kafkaParams: dict, offsetRanges: list[OffsetRange], leaders: dict | None = None,
                  keyDecoder: Callable = utf8_decoder, valueDecoder: Callable = utf8_decoder,
                  messageHandler: Callable | None = None) -> KafkaRDD:
        """Return a KafkaRDD of exactly ``offsetRanges`` (one partition per range); ``leaders``
        is accepted for PySpark compatibility and ignored (the client finds the leaders)."""
        return KafkaRDD(sc, kafkaParams, list(offsetRanges), keyDecoder, valueDecoder, messageHandler)
