"""The Redis sink against a real redis-server: a re-run batch adds nothing to running totals."""
from __future__ import annotations

import datetime

import pytest

from dstreams.sql import DatabaseUnreachableError
from dstreams.sql.redis_sink import RedisSink
from tests.servers import RedisServer, free_port

pytestmark = pytest.mark.integration

T1 = datetime.datetime(2026, 12, 1, 12, 0, 1)
T2 = datetime.datetime(2026, 12, 1, 12, 0, 2)


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


def counts(spark, pairs):
    return spark.createDataFrame(pairs, "word STRING, n BIGINT")


def test_accumulated_hash_counts_each_batch_once(spark, redis_server):
    sink = RedisSink(redis_server.url, key="totals", field="word", value="n", accumulate=True)
    assert sink.write(counts(spark, [("a", 2), ("b", 1)]), T1)
    assert not sink.write(counts(spark, [("a", 2), ("b", 1)]), T1)   # re-run: skipped
    assert sink.write(counts(spark, [("a", 1)]), T2)
    assert redis_server.client().hgetall("totals") == {b"a": b"3", b"b": b"1"}
    assert sink.committed(T1) and sink.committed(T2)


def test_sorted_set_and_hash_per_row(spark, redis_server):
    z = RedisSink(redis_server.url, key="top", kind="zset", member="word", score="n", accumulate=True)
    z.write(counts(spark, [("a", 2), ("b", 5)]), T1)
    z.write(counts(spark, [("a", 2), ("b", 5)]), T1)
    assert redis_server.client().zrevrange("top", 0, -1, withscores=True) == [(b"b", 5.0), (b"a", 2.0)]
    h = RedisSink(redis_server.url, key="word:{word}")
    h.write(counts(spark, [("a", 7)]), T1)
    assert redis_server.client().hgetall("word:a") == {b"n": b"7"}


def test_unreachable_redis(spark):
    sink = RedisSink(f"redis://:pw@127.0.0.1:{free_port()}/0", key="k", field="word", value="n")
    with pytest.raises(DatabaseUnreachableError, match="cannot reach Redis") as info:
        sink.write(counts(spark, [("a", 1)]), T1)
    assert "pw@" not in str(info.value)


def test_save_stream_accumulates_running_totals(ctx, redis_server):
    from tests.sql.kit import BatchRunner
    sink = RedisSink(redis_server.url, key="stream-totals", field="word", value="n", accumulate=True)
    runner = BatchRunner(ctx)
    try:
        words = runner.ssc.queueStream([["a b a"], ["b"]]).flatMap(str.split)
        counts = words.map(lambda w: (w, 1)).reduceByKey(lambda x, y: x + y)
        sink.saveStream(counts, schema="word STRING, n BIGINT")
        runner.run(2)
    finally:
        runner.stop()
    assert redis_server.client().hgetall("stream-totals") == {b"a": b"2", b"b": b"2"}
