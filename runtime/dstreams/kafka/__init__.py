"""dstreams.kafka: Spark's direct Kafka approach (no receiver) for dstreams, on confluent-kafka.

>>> from dstreams.kafka import KafkaUtils                                   # doctest: +SKIP
>>> stream = KafkaUtils.createDirectStream(ssc, ["events"], {              # doctest: +SKIP
...     "bootstrap.servers": "127.0.0.1:9092", "group.id": "app", "auto.offset.reset": "earliest"})

Install with the ``kafka`` extra (``pip install dstreams[kafka]``)."""
from __future__ import annotations

from .common import (KafkaBrokersUnreachableError, KafkaCommitError, KafkaDecodeError, KafkaError,
                     KafkaMessageAndMetadata, KafkaProduceError, KafkaReadError, OffsetRange, TopicAndPartition,
                     UnknownTopicError, utf8_decoder)
from .rdd import KafkaRDD
from .sink import KafkaSink, saveToKafka
from .stream import DirectKafkaInputDStream
from .utils import KafkaUtils

__all__ = ["KafkaUtils", "OffsetRange", "TopicAndPartition", "KafkaMessageAndMetadata", "KafkaRDD",
           "DirectKafkaInputDStream", "KafkaSink", "saveToKafka", "utf8_decoder", "KafkaError",
           "KafkaBrokersUnreachableError", "UnknownTopicError", "KafkaDecodeError", "KafkaReadError",
           "KafkaCommitError", "KafkaProduceError"]
