"""examples/kafka_wordcount.py run through ``dstreams run``; a direct stream on local-cluster[2]
(tasks on executor processes read their ranges); the layering of dstreams.kafka."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

from tests.kafka.conftest import params
from tests.servers import RedisServer, wait_until

pytestmark = pytest.mark.integration

ROOT = pathlib.Path(__file__).resolve().parents[2]


def committed(broker, group, topic, partitions):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    try:
        return [x.offset for x in c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)]
    finally:
        c.close()


def test_kafka_wordcount_example_counts_and_commits(kafka_broker, topic_name, tmp_path):
    kafka_broker.create_topic(topic_name, 2)
    kafka_broker.produce(topic_name, [(None, "apple pear"), (None, "apple")], partition=0)
    kafka_broker.produce(topic_name, [(None, "fig apple")], partition=1)
    log = tmp_path / "example.log"
    group = f"wc-{topic_name}"
    proc = subprocess.Popen([sys.executable, "-m", "dstreams.cli", "run", str(ROOT / "examples" / "kafka_wordcount.py"),
                             "--master", "local[2]", "--", kafka_broker.bootstrap, topic_name, group],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=tmp_path,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        def counted():
            if proc.poll() is not None:
                raise AssertionError(f"the example exited with {proc.returncode}:\n{log.read_text()}")
            return re.search(r"^apple 3\nfig 1\npear 1$", log.read_text(), re.M)
        wait_until(counted, 90, f"the counts in {log}", interval=0.1)
        wait_until(lambda: committed(kafka_broker, group, topic_name, 2) == [2, 1], 30, "the committed offsets")
    finally:
        proc.kill()
        proc.wait(30)


@pytest.fixture
def cluster_ctx(monkeypatch):
    from dstreams import Context
    redis = RedisServer()
    monkeypatch.setenv("DSTREAMS_REDIS_URL", redis.url)
    ctx = Context("local-cluster[2]", "kafka-cluster")
    yield ctx
    ctx.stop()
    redis.stop()


def test_direct_stream_on_local_cluster(kafka_broker, topic_name, cluster_ctx):
    from dstreams.kafka import KafkaUtils
    from tests.kafka.conftest import ManualRunner
    kafka_broker.create_topic(topic_name, 4)
    for p in range(4):
        kafka_broker.produce(topic_name, [(None, f"{p}-{i}") for i in range(25)], partition=p)
    r = ManualRunner(cluster_ctx)
    try:
        got = []
        KafkaUtils.createDirectStream(r.ssc, [topic_name], params(kafka_broker)) \
            .map(lambda kv: (kv[1].split("-")[0], 1)).reduceByKey(lambda a, b: a + b) \
            .foreachRDD(lambda rdd: got.append(sorted(rdd.collect())))
        r.run(1, timeout=120)
    finally:
        r.stop()
    assert got == [[(str(p), 25) for p in range(4)]]


def test_executor_and_scheduler_do_not_import_kafka():
    for layer in ("executor", "scheduler"):
        for path in (ROOT / "runtime" / "dstreams" / layer).rglob("*.py"):
            text = path.read_text()
            assert not re.search(r"(dstreams\.kafka|from \.\.kafka|from \.kafka)", text), path


def test_kafka_rdd_pickles_without_a_consumer(kafka_broker, topic_name):
    import cloudpickle
    from dstreams.kafka import KafkaRDD, OffsetRange
    rdd = KafkaRDD(None, {"bootstrap.servers": kafka_broker.bootstrap}, [OffsetRange(topic_name, 0, 0, 5)])
    back = cloudpickle.loads(cloudpickle.dumps(rdd))
    assert back.offsetRanges() == [OffsetRange(topic_name, 0, 0, 5)]
    assert [p.range for p in back.partitions()] == [OffsetRange(topic_name, 0, 0, 5)]
