"""A receiver on an executor keeps delivering after Redis restarts empty (a Redis pod restart
without persistence): every line it read either reaches a batch or fails the stream with
BlockNotFoundError, never disappears silently."""
from __future__ import annotations

import threading

import pytest

from dstreams import Context, StreamingContext
from dstreams.errors import BlockNotFoundError
from tests.integration.test_cluster_streaming import LineServer
from tests.servers import RedisServer, wait_until

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("fault", ["restart", "flushall"])
def test_no_line_is_lost_silently_when_redis_loses_its_data(monkeypatch, fault):
    redis = RedisServer()
    monkeypatch.setenv("DSTREAMS_REDIS_URL", redis.url)
    server = LineServer()
    seen: list[int] = []
    lock = threading.Lock()
    ctx = Context("local-cluster[2]", "receiver-redis-loss",
                  conf={"dstreams.streaming.blockInterval": 0.05, "dstreams.executor.heartbeatTimeout": "2s"})
    ssc = StreamingContext(ctx, 0.2)

    def count(rdd):
        n = rdd.count()
        with lock:
            seen.append(n)

    ssc.socketTextStream("127.0.0.1", server.port).foreachRDD(count)
    ssc.start()
    error: BaseException | None = None
    sent = 0
    try:
        wait_until(lambda: server.conns, 30, "the receiver to connect")
        for i in range(50):
            server.send([f"line {i} {j}" for j in range(50)])
            sent += 50
            if i == 20:
                wait_until(lambda: sum(seen) > 0, 30, "a first batch with lines")
                if fault == "restart":
                    redis.restart()   # kill -9 and start empty on the same port
                else:
                    redis.client().flushall()
            if ssc.awaitTerminationOrTimeout(0.02):
                break
        try:
            wait_until(lambda: sum(seen) >= sent or ssc.awaitTerminationOrTimeout(0), 60,
                       f"all {sent} lines in batches (or a clear error)")
        except BlockNotFoundError as exc:
            error = exc
    except BlockNotFoundError as exc:
        error = exc
    finally:
        ssc.stop(stopSparkContext=False)
        ctx.stop()
        server.close()
        redis.stop()
    print(f"{fault}: {sum(seen)} of {sent} lines in batches; error: {error!r}"[:300])
    if error is None:
        assert sum(seen) == sent, f"{sent - sum(seen)} of {sent} lines were lost without an error"
    else:
        assert "input-" in str(error)


def test_a_redis_outage_of_a_second_does_not_stop_the_stream(monkeypatch):
    """Redis down for a second (a restart, here without persistence): the driver and the
    executors retry their commands, recompute what was lost, and the stream goes on exactly."""
    redis = RedisServer()
    monkeypatch.setenv("DSTREAMS_REDIS_URL", redis.url)
    sums: list[int] = []
    ctx = Context("local-cluster[2]", "redis-outage", conf={"dstreams.executor.heartbeatTimeout": "2s"})
    ssc = StreamingContext(ctx, 0.2)
    ssc.queueStream([], default=ctx.parallelize(range(100), 4)).map(lambda x: (x % 3, x)) \
        .reduceByKey(lambda a, b: a + b).foreachRDD(lambda rdd: sums.append(sum(v for _, v in rdd.collect())))
    ssc.start()
    try:
        wait_until(lambda: len(sums) >= 3, 30, "three batches")
        redis.kill()
        gone = len(sums)
        import time as _time
        deadline = _time.monotonic() + 1.0
        while _time.monotonic() < deadline:   # the outage: a second without Redis
            assert not ssc.awaitTerminationOrTimeout(0.05)
        redis.start()
        wait_until(lambda: len(sums) >= gone + 5 or ssc.awaitTerminationOrTimeout(0), 90, "five batches after the outage")
        assert not ssc.awaitTerminationOrTimeout(0), "the stream stopped"
        assert set(sums) == {4950}, sums
    finally:
        ssc.stop(stopSparkContext=False)
        ctx.stop()
        redis.stop()
