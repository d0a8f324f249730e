"""The direct Kafka stream against a real broker: exact batches, offset ranges, commits, rate
limits, createRDD, new partitions, errors and the sink."""
from __future__ import annotations

import time

import pytest

from dstreams.kafka import (KafkaBrokersUnreachableError, KafkaUtils, OffsetRange, TopicAndPartition,
                            UnknownTopicError, saveToKafka)
from tests.kafka.conftest import params
from tests.servers import free_port, wait_until

pytestmark = pytest.mark.integration


def fill(broker, topic, partitions, per_partition, start=0):
    for p in range(partitions):
        broker.produce(topic, [(f"k{p}", f"{p}-{i}") for i in range(start, start + per_partition)], partition=p)


def test_direct_stream_exact_batches_and_offset_ranges(kafka_broker, topic_name, runner):
    kafka_broker.create_topic(topic_name, 3)
    fill(kafka_broker, topic_name, 3, 10)
    stream = KafkaUtils.createDirectStream(runner.ssc, [topic_name], params(kafka_broker))
    batches, ranges = [], []

    def out(rdd):
        ranges.append(sorted(rdd.offsetRanges()))
        batches.append(sorted(rdd.collect()))

    stream.foreachRDD(out)
    runner.run(1)
    assert len(batches[0]) == 30
    assert sorted(v for _, v in batches[0]) == sorted(f"{p}-{i}" for p in range(3) for i in range(10))
    assert all(k == f"k{v.split('-')[0]}" for k, v in batches[0])
    assert ranges[0] == [OffsetRange(topic_name, p, 0, 10) for p in range(3)]
    fill(kafka_broker, topic_name, 3, 3, start=10)
    runner.run(1)
    assert len(batches[1]) == 9
    assert ranges[1] == [OffsetRange(topic_name, p, 10, 13) for p in range(3)]
    runner.run(1)
    assert batches[2] == [] and ranges[2] == [OffsetRange(topic_name, p, 13, 13) for p in range(3)]


def test_message_handler_and_new_partitions(kafka_broker, topic_name, runner):
    kafka_broker.create_topic(topic_name, 1)
    fill(kafka_broker, topic_name, 1, 4)
    stream = KafkaUtils.createDirectStream(
        runner.ssc, [topic_name], params(kafka_broker),
        messageHandler=lambda m: (m.topic, m.partition, m.offset, m.key, m.message, m.value))
    got = []
    stream.foreachRDD(lambda rdd: got.append(sorted(rdd.collect())))
    runner.run(1)
    assert got[0] == [(topic_name, 0, i, "k0", f"0-{i}", f"0-{i}") for i in range(4)]
    kafka_broker.add_partitions(topic_name, 2)
    kafka_broker.produce(topic_name, [("x", "new")], partition=1)
    runner.run(1)
    assert got[1] == [(topic_name, 1, 0, "x", "new", "new")]


def test_commit_async_is_visible_to_the_group(kafka_broker, topic_name, runner):
    from confluent_kafka import Consumer, TopicPartition
    kafka_broker.create_topic(topic_name, 2)
    fill(kafka_broker, topic_name, 2, 5)
    group = f"g-{topic_name}"
    stream = KafkaUtils.createDirectStream(runner.ssc, [topic_name], params(kafka_broker, **{"group.id": group}))
    results = []

    def out(rdd):
        rdd.count()
        stream.commitAsync(rdd.offsetRanges(), lambda offsets, err: results.append((offsets, err)))

    stream.foreachRDD(out)
    runner.run(1)
    wait_until(lambda: results, 30, "the commit callback")
    assert results[0] == ({TopicAndPartition(topic_name, 0): 5, TopicAndPartition(topic_name, 1): 5}, None)
    c = Consumer({"bootstrap.servers": kafka_broker.bootstrap, "group.id": group})
    try:
        def committed():
            got = c.committed([TopicPartition(topic_name, p) for p in range(2)], timeout=10)
            return [x.offset for x in got] == [5, 5]
        wait_until(committed, 30, "the committed offsets of the group")
    finally:
        c.close()
    # a new stream of the same group starts where the group stopped
    runner.stop()
    fill(kafka_broker, topic_name, 2, 1, start=5)
    again = type(runner)(runner.ssc.sparkContext)
    got = []
    KafkaUtils.createDirectStream(again.ssc, [topic_name], params(kafka_broker, **{"group.id": group})) \
        .foreachRDD(lambda rdd: got.append(sorted(v for _, v in rdd.collect())))
    try:
        again.run(1)
    finally:
        again.stop()
    assert got == [["0-5", "1-5"]]


def test_create_rdd_reads_exactly_the_ranges(kafka_broker, topic_name, ctx):
    kafka_broker.create_topic(topic_name, 2)
    fill(kafka_broker, topic_name, 2, 10)
    rdd = KafkaUtils.createRDD(ctx, {"metadata.broker.list": kafka_broker.bootstrap},
                               [OffsetRange(topic_name, 0, 2, 5), OffsetRange(topic_name, 1, 9, 10),
                                OffsetRange(topic_name, 1, 4, 4)])
    assert rdd.getNumPartitions() == 3
    assert rdd.glom().collect() == [[("k0", "0-2"), ("k0", "0-3"), ("k0", "0-4")], [("k1", "1-9")], []]
    assert rdd.offsetRanges()[0] == OffsetRange(topic_name, 0, 2, 5)


def test_decoder_error_names_the_record(kafka_broker, topic_name, ctx):
    kafka_broker.create_topic(topic_name, 1)
    fill(kafka_broker, topic_name, 1, 3)

    def picky(b):
        if b == b"0-1":
            raise ValueError("not this one")
        return b.decode()

    rdd = KafkaUtils.createRDD(ctx, params(kafka_broker), [OffsetRange(topic_name, 0, 0, 3)], valueDecoder=picky)
    with pytest.raises(Exception, match=rf"offset 1 of topic '{topic_name}' partition 0.*not this one"):
        rdd.collect()


def test_unknown_topic_is_named(kafka_broker, runner):
    KafkaUtils.createDirectStream(runner.ssc, ["no-such-topic-here"], params(kafka_broker)).pprint()
    t0 = time.monotonic()
    with pytest.raises(UnknownTopicError, match="no-such-topic-here"):
        runner.ssc.start()
    assert time.monotonic() - t0 < 30


def test_unreachable_brokers_are_named(runner):
    servers = f"127.0.0.1:{free_port()}"
    KafkaUtils.createDirectStream(runner.ssc, ["x"], {"bootstrap.servers": servers}).pprint()
    t0 = time.monotonic()
    with pytest.raises(KafkaBrokersUnreachableError, match=servers):
        runner.ssc.start()
    assert time.monotonic() - t0 < 30


def test_save_to_kafka_from_rdd_and_dstream(kafka_broker, topic_name, ctx, runner):
    kafka_broker.create_topic(topic_name, 2)
    conf = {"bootstrap.servers": kafka_broker.bootstrap}
    saveToKafka(ctx.parallelize(range(20), 4), topic_name, conf, keyFunc=lambda x: f"k{x % 2}")
    q = runner.ssc.queueStream([[f"s{i}" for i in range(5)]])
    saveToKafka(q, topic_name, conf)
    runner.run(1)
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": kafka_broker.bootstrap, "group.id": "check"})
    try:
        ends = [c.get_watermark_offsets(TopicPartition(topic_name, p), timeout=10)[1] for p in range(2)]
    finally:
        c.close()
    assert sum(ends) == 25
    rdd = KafkaUtils.createRDD(ctx, conf, [OffsetRange(topic_name, p, 0, ends[p]) for p in range(2)])
    values = sorted(v for _, v in rdd.collect())
    assert values == sorted([str(i) for i in range(20)] + [f"s{i}" for i in range(5)])


def test_from_offsets_and_latest_by_default(kafka_broker, topic_name, runner):
    kafka_broker.create_topic(topic_name, 2)
    fill(kafka_broker, topic_name, 2, 5)
    from_3 = KafkaUtils.createDirectStream(runner.ssc, [topic_name], {"bootstrap.servers": kafka_broker.bootstrap},
                                           fromOffsets={TopicAndPartition(topic_name, 0): 3})
    latest = KafkaUtils.createDirectStream(runner.ssc, [topic_name], {"bootstrap.servers": kafka_broker.bootstrap,
                                                                      "auto.offset.reset": "largest"})
    a, b = [], []
    from_3.foreachRDD(lambda rdd: a.append(sorted(v for _, v in rdd.collect())))
    latest.foreachRDD(lambda rdd: b.append(sorted(v for _, v in rdd.collect())))
    runner.run(1)
    # partition 0 from offset 3; partition 1 (not in fromOffsets) at its end, as "largest" says
    assert a == [["0-3", "0-4"]] and b == [[]]
    fill(kafka_broker, topic_name, 2, 1, start=5)
    runner.run(1)
    assert a[1] == b[1] == ["0-5", "1-5"]


def test_brokers_lost_mid_stream_stop_the_context_with_a_named_error(topic_name, runner):
    from tests.kafka.broker import KafkaBroker
    broker = KafkaBroker()  # a broker of this test's own, killed below
    try:
        broker.create_topic(topic_name, 1)
        fill(broker, topic_name, 1, 2)
        got = []
        KafkaUtils.createDirectStream(runner.ssc, [topic_name], params(broker)).foreachRDD(
            lambda rdd: got.append(rdd.count()))
        runner.run(1)
        assert got == [2]
        broker.stop()
        t0 = time.monotonic()
        with pytest.raises(KafkaBrokersUnreachableError, match=broker.bootstrap):
            runner.run(1)
        assert time.monotonic() - t0 < 45
    finally:
        broker.stop()
