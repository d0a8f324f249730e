"""spark.streaming.kafka.maxRatePerPartition caps each batch's ranges (its own Context: settings
are fixed when a Context starts, as in Spark)."""
from __future__ import annotations

import pytest

from dstreams import Context
from dstreams.kafka import KafkaUtils
from tests.kafka.conftest import ManualRunner, params
from tests.kafka.test_direct_stream import fill


@pytest.fixture(scope="module")
def ctx():
    # 0.5 s batches at 6 records/s: 3 records per partition and batch
    c = Context("local[2]", "kafka-rate", conf={"spark.streaming.kafka.maxRatePerPartition": 6})
    yield c
    c.stop()


def test_max_rate_per_partition_bounds_batches(kafka_broker, topic_name, ctx):
    kafka_broker.create_topic(topic_name, 2)
    fill(kafka_broker, topic_name, 2, 7)
    r = ManualRunner(ctx)
    try:
        sizes = []
        KafkaUtils.createDirectStream(r.ssc, [topic_name], params(kafka_broker)) \
            .foreachRDD(lambda rdd: sizes.append(rdd.count()))
        r.run(4)
    finally:
        r.stop()
    assert sizes == [6, 6, 2, 0]

