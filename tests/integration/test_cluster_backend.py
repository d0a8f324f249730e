"""The cluster data plane against a real redis-server: executor processes, shuffles through
Redis, executor loss, Redis data loss, key hygiene and bad URLs."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from dstreams import Context
from dstreams.executor.redisconn import RedisUnavailableError
from tests.servers import free_port, wait_until

pytestmark = pytest.mark.integration


def _words(ctx, n_lines=2000, parts=4):
    lines = [" ".join(f"w{(i * 7 + j) % 50}" for j in range(10)) for i in range(n_lines)]
    return ctx.parallelize(lines, parts)


def _expected_counts(n_lines=2000):
    counts: dict[str, int] = {}
    for i in range(n_lines):
        for j in range(10):
            w = f"w{(i * 7 + j) % 50}"
            counts[w] = counts.get(w, 0) + 1
    return counts


@pytest.fixture
def cluster_ctx(redis_server, monkeypatch):
    monkeypatch.setenv("DSTREAMS_REDIS_URL", redis_server.url)
    ctx = Context("local-cluster[2]", "it-cluster")
    yield ctx
    ctx.stop()


def test_local_cluster_runs_jobs_like_local(cluster_ctx, redis_server):
    ctx = cluster_ctx
    assert len(ctx._backend.executor_ids()) == 2
    counts = _words(ctx).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
    assert dict(counts.collect()) == _expected_counts()
    # results agree with local[N] partition by partition (deterministic hashing across processes)
    glommed = counts.glom().collect()
    ctx.stop()
    with Context("local[2]", "ref") as local:
        ref = _words(local).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b).glom().collect()
    assert [sorted(p) for p in glommed] == [sorted(p) for p in ref]


def test_tasks_really_run_in_executor_processes(cluster_ctx):
    pids = set(cluster_ctx.parallelize(range(20), 10).map(lambda _: os.getpid()).collect())
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2


def test_broadcast_accumulator_and_cache_across_processes(cluster_ctx, redis_server):
    ctx = cluster_ctx
    b = ctx.broadcast({"k": 10})
    acc = ctx.accumulator(0)

    def f(x):
        acc.add(1)
        return x + b.value["k"]

    rdd = ctx.parallelize(range(10), 3).map(f).cache()
    assert rdd.sum() == sum(range(10)) + 100
    assert rdd.count() == 10
    assert acc.value == 10  # computed once: the second action read the cached blocks from Redis
    prefix = f"dstreams:{ctx.applicationId}:block:rdd-{rdd.id}-".encode()
    keys = [k for k in redis_server.client().scan_iter(match=prefix + b"*")]
    assert len(keys) == 3
    rdd.unpersist()
    assert not list(redis_server.client().scan_iter(match=prefix + b"*"))


def test_user_error_reaches_driver_with_remote_traceback(cluster_ctx):
    def explode(x):
        raise ZeroDivisionError(f"bad record {x}")

    with pytest.raises(ZeroDivisionError, match="bad record") as info:
        cluster_ctx.parallelize([1, 2], 1).map(explode).collect()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "failed 4 times" in notes and "explode" in notes


def test_a_context_made_in_a_thread_that_ends_keeps_its_redis_and_executors(monkeypatch):
    """Children die with the thread that started them (PR_SET_PDEATHSIG): local-cluster
    starts them from a thread of its own, not from the caller's."""
    monkeypatch.delenv("DSTREAMS_REDIS_URL", raising=False)  # its own redis-server, too
    made: dict = {}
    maker = threading.Thread(target=lambda: made.update(ctx=Context("local-cluster[1]", "thread-made")))
    maker.start()
    maker.join()
    ctx = made["ctx"]
    try:
        launcher = ctx._backend.launcher
        pids = launcher.pids()
        assert ctx.parallelize(range(100), 2).map(lambda x: x * 2).sum() == 9900
        assert launcher._redis.poll() is None and launcher.pids() == pids  # none was killed
        assert ctx._backend.lost_executors == 0
    finally:
        ctx.stop()


def test_killed_executor_tasks_are_rescheduled_and_replaced(cluster_ctx, tmp_path):
    ctx = cluster_ctx
    backend = ctx._backend
    marker = tmp_path / "started"

    def slow(x):
        marker.write_text("x")
        time.sleep(0.05)
        return x * 2

    launcher = backend.launcher
    victim = launcher.pids()[0]
    import threading
    result: dict = {}
    t = threading.Thread(target=lambda: result.setdefault("v", ctx.parallelize(range(200), 20).map(slow).collect()))
    t.start()
    wait_until(marker.exists, 30, "the job to start running tasks")
    os.kill(victim, signal.SIGKILL)
    t.join(120)
    assert not t.is_alive()
    assert result["v"] == [x * 2 for x in range(200)]
    wait_until(lambda: backend.lost_executors >= 1, 15, "the driver to declare the killed executor lost")
    wait_until(lambda: len(backend.executor_ids()) == 2, 30, "a replacement executor to register")
    assert victim not in launcher.pids()
    # the replacement serves new jobs
    assert ctx.parallelize(range(10), 5).map(lambda x: x + 1).sum() == 55


def test_redis_restart_without_persistence_recomputes_from_lineage(fresh_redis, monkeypatch):
    monkeypatch.setenv("DSTREAMS_REDIS_URL", fresh_redis.url)
    ctx = Context("local-cluster[2]", "it-restart")
    try:
        counts = _words(ctx).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
        assert dict(counts.collect()) == _expected_counts()
        fresh_redis.restart()  # every key is gone: shuffle outputs, executor registrations, epoch
        # the map outputs are recomputed from lineage when the reduce side finds them missing
        assert dict(counts.collect()) == _expected_counts()
        assert ctx._scheduler.stats["fetch_failures"] >= 1
    finally:
        ctx.stop()


def test_lost_cached_input_block_fails_with_clear_error(cluster_ctx):
    ctx = cluster_ctx
    ctx.env.block_store.put("input-0-1-0", ["a", "b"])
    rdd = ctx.blockRDD(["input-0-1-0", "input-0-1-1"])
    from dstreams.errors import BlockNotFoundError
    with pytest.raises(BlockNotFoundError, match="input-0-1-1"):
        rdd.collect()


def test_keys_are_namespaced_bounded_and_deleted_on_stop(redis_server, monkeypatch):
    import gc
    monkeypatch.setenv("DSTREAMS_REDIS_URL", redis_server.url)
    r = redis_server.client()
    r.set("dstreams:other-app:block:x", b"keep me")
    ctx = Context("local-cluster[2]", "it-keys")
    prefix = f"dstreams:{ctx.applicationId}:".encode()
    try:
        sizes = []
        for _ in range(40):
            rdd = ctx.parallelize(range(100), 4).map(lambda x: (x % 10, x)).reduceByKey(lambda a, b: a + b)
            assert len(rdd.collect()) == 10
            del rdd
            gc.collect()
            sizes.append(len(list(r.scan_iter(match=prefix + b"*"))))
        assert max(sizes[10:]) <= max(sizes[:10]) + 2, sizes  # no growth with the number of jobs
        assert not list(r.scan_iter(match=prefix + b"shuffle:*"))
    finally:
        ctx.stop()
    assert not list(r.scan_iter(match=prefix + b"*"))
    assert r.get("dstreams:other-app:block:x") == b"keep me"


def test_second_driver_with_same_app_id_is_refused(redis_server, monkeypatch):
    monkeypatch.setenv("DSTREAMS_REDIS_URL", redis_server.url)
    from dstreams.executor.cluster import DriverConflictError, RedisBackend
    b1 = RedisBackend(redis_server.url, "shared-app", {})
    try:
        with pytest.raises(DriverConflictError, match="shared-app"):
            RedisBackend(redis_server.url, "shared-app", {"dstreams.driver.leaseWait": 0.5})
    finally:
        b1.stop()
    # a stopped driver released its lease: the next one starts at once
    b2 = RedisBackend(redis_server.url, "shared-app", {"dstreams.driver.leaseWait": 0})
    b2.stop()


def test_redis_password_from_the_environment(monkeypatch):
    from tests.servers import RedisServer
    server = RedisServer(password="s3cret")
    try:
        with pytest.raises(RedisUnavailableError, match="127.0.0.1"):
            Context(server.url, "no-password")  # URL without credentials, none in the env
        monkeypatch.setenv("DSTREAMS_REDIS_PASSWORD", "s3cret")
        with Context(server.url, "with-password") as ctx:
            assert ctx._backend.r.ping()
    finally:
        server.stop()


def test_unreachable_redis_names_the_url_and_fails_fast():
    port = free_port()
    url = f"redis://:secret@127.0.0.1:{port}/0"
    start = time.monotonic()
    with pytest.raises(RedisUnavailableError) as info:
        Context(url, "nowhere")
    assert time.monotonic() - start < 10
    assert f"127.0.0.1:{port}" in str(info.value)
    assert "secret" not in str(info.value)


def test_redis_master_with_separately_started_executors(redis_server, tmp_path):
    """`dstreams driver app.py --master redis://...` plus `dstreams executor` processes."""
    app = tmp_path / "app.py"
    out = tmp_path / "out.txt"
    app.write_text(
        "import sys\n"
        "from dstreams import Context\n"
        "ctx = Context()\n"
        "ctx._backend.wait_for_executors(2, 60)\n"
        "r = ctx.parallelize(['a b', 'b c', 'c'], 3).flatMap(str.split).map(lambda w: (w, 1))"
        ".reduceByKey(lambda a, b: a + b)\n"
        f"open({str(out)!r}, 'w').write(repr(sorted(r.collect())))\n"
        "ctx.stop()\n")
    exe = [sys.executable, "-m", "dstreams.cli"]
    execs = [subprocess.Popen(exe + ["executor", "--master", redis_server.url, "--app-id", "cli-app"])
             for _ in range(2)]
    try:
        drv = subprocess.run(exe + ["driver", str(app), "--master", redis_server.url, "--app-id", "cli-app"],
                             capture_output=True, text=True, timeout=120)
        assert drv.returncode == 0, drv.stderr
        assert out.read_text() == repr([("a", 1), ("b", 2), ("c", 2)])
        # the driver's stop tells the executors to exit
        for p in execs:
            assert p.wait(timeout=30) == 0
    finally:
        for p in execs:
            if p.poll() is None:
                p.kill()


def test_executor_with_bad_redis_url_exits_with_message():
    port = free_port()
    p = subprocess.run([sys.executable, "-m", "dstreams.cli", "executor", "--master",
                        f"redis://127.0.0.1:{port}/0", "--app-id", "x"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert f"127.0.0.1:{port}" in p.stderr


def test_block_store_put_many_sends_big_blocks_in_several_round_trips(redis_server, monkeypatch):
    """put_many flushes its pipeline every PIPELINE_BYTES of pickled data: every block
    arrives, in order, whether it went alone or with others."""
    from dstreams.executor.redisconn import connect
    from dstreams.storage import redis_store
    store = redis_store.RedisBlockStore(connect(redis_server.url), "put-many-test")
    sent: list[int] = []
    pipeline = store.r.pipeline

    def counting_pipeline(*args, **kwargs):
        pipe = pipeline(*args, **kwargs)
        execute = pipe.execute

        def counted():
            sent.append(len(pipe.command_stack))
            return execute()

        pipe.execute = counted
        return pipe

    monkeypatch.setattr(store.r, "pipeline", counting_pipeline)
    monkeypatch.setattr(redis_store, "PIPELINE_BYTES", 50_000)
    blocks = {f"b{i}": [f"{i}-{j}" * 4 for j in range(3000 if i % 2 else 10)] for i in range(6)}
    try:
        store.put_many(blocks)
        assert {b: store.get(b) for b in blocks} == blocks
        assert sum(sent) == 6 and len([n for n in sent if n]) == 3, sent  # a flush after each big block
    finally:
        store.remove_many(list(blocks))
