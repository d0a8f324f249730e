"""The local-processes[N] master: tasks in worker processes, blocks and shuffles in the driver."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from operator import add

import pytest

from dstreams import Context, StreamingContext
from dstreams.errors import MasterURLError
from dstreams.executor.processes import WorkerStartError
from dstreams.master import parse_master
from tests.servers import wait_until


@pytest.fixture
def pctx():
    c = Context("local-processes[2]", "unit-processes")
    try:
        yield c
    finally:
        c.stop()


def _lines(n=3000):
    return [" ".join(f"w{(i * 7 + j) % 60}" for j in range(10)) for i in range(n)]


def test_master_forms():
    assert parse_master("local-processes[3]").kind == "local-processes"
    assert parse_master("local-processes[3]").cores == 3
    assert parse_master("local-processes[*]").cores == (os.cpu_count() or 1)
    assert parse_master("local-processes[2, 5]").max_failures == 5
    assert parse_master("local-processes").cores == 1
    with pytest.raises(MasterURLError, match="workers must be at least 1"):
        parse_master("local-processes[0]")
    with pytest.raises(MasterURLError, match=r"local-processes\[N\]"):
        parse_master("local-process[2]")


def test_results_match_local_partition_by_partition(pctx):
    assert pctx.defaultParallelism == 2
    counts = pctx.parallelize(_lines(), 4).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(add)
    got = counts.glom().collect()
    pctx.stop()
    with Context("local[2]", "ref") as local:
        ref = local.parallelize(_lines(), 4).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(add).glom().collect()
    assert [sorted(p) for p in got] == [sorted(p) for p in ref]
    assert sum(v for p in got for _, v in p) == 30000


def test_tasks_run_in_worker_processes(pctx):
    pids = set(pctx.parallelize(range(40), 20).map(lambda _: os.getpid()).collect())
    assert os.getpid() not in pids
    assert pids <= set(pctx._backend.worker_pids()) and len(pids) >= 1


def test_broadcast_accumulator_cache_and_sort(pctx):
    b = pctx.broadcast({"k": 10})
    acc = pctx.accumulator(0)

    def f(x):
        acc.add(1)
        return x + b.value["k"]

    rdd = pctx.parallelize(range(5000), 3).map(f).cache()
    assert rdd.sum() == sum(range(5000)) + 50000
    assert rdd.count() == 5000
    assert acc.value == 5000  # computed once: the second action read the cached blocks
    assert any(bid.startswith(f"rdd-{rdd.id}-") for bid in pctx._backend.env.block_store.block_ids())
    assert rdd.sortBy(lambda x: -x).take(3) == [5009, 5008, 5007]
    rdd.unpersist()
    assert not any(bid.startswith(f"rdd-{rdd.id}-") for bid in pctx._backend.env.block_store.block_ids())



def test_histogram_and_count_approx_distinct_in_worker_processes(pctx):
    from dstreams.partitioner import portable_hash
    from dstreams.sketches import HyperLogLog
    keys = [(f"user-{i % 3000}", i % 7) for i in range(30000)]  # 21000 distinct pairs
    # sketched in the workers, each with its own hash seed: the same as sketching here
    expected = HyperLogLog.for_relative_sd(0.02).add_all(portable_hash(k) & 0xFFFFFFFF for k in keys)
    assert pctx.parallelize(keys, 4).countApproxDistinct(0.02) == int(round(expected.estimate()))
    assert abs(int(round(expected.estimate())) - 21000) < 0.02 * 21000 * 3
    assert pctx.parallelize(range(101), 3).histogram(4) == ([0, 25, 50, 75, 100], [25, 25, 25, 26])

def test_user_error_reaches_driver_with_worker_traceback(pctx):
    def explode(x):
        raise ZeroDivisionError(f"bad record {x}")

    with pytest.raises(ZeroDivisionError, match="bad record") as info:
        pctx.parallelize([1, 2], 1).map(explode).collect()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "failed 4 times" in notes and "explode" in notes
    assert pctx.parallelize(range(4), 2).sum() == 6  # the workers still serve jobs


def test_killed_worker_task_is_rescheduled_and_worker_replaced(pctx, tmp_path):
    backend = pctx._backend
    wait_until(lambda: len(backend.worker_pids()) == 2, 30, "two workers")
    marker = tmp_path / "victim"

    def work(x):
        if x == 0:
            try:  # the first attempt to get here waits to be killed
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return x * 2
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                time.sleep(0.01)
            raise AssertionError("this worker was not killed")
        return x * 2

    result: dict = {}
    t = threading.Thread(target=lambda: result.setdefault("v", pctx.parallelize(range(100), 10).map(work).collect()))
    t.start()
    pid = int(wait_until(lambda: marker.exists() and marker.read_text(), 30, "the task to start"))
    os.kill(pid, signal.SIGKILL)
    t.join(60)
    assert not t.is_alive()
    assert result["v"] == [x * 2 for x in range(100)]
    assert backend.lost_workers == 1
    wait_until(lambda: len(backend.worker_pids()) == 2, 30, "a replacement worker")
    assert pid not in backend.worker_pids()


def test_workers_that_cannot_start_fail_jobs_with_a_clear_error(monkeypatch):
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with Context("local-processes[1]", "broken") as c:
        with pytest.raises(WorkerStartError, match="exit before they start"):
            c.parallelize(range(4), 2).collect()


def test_streaming_word_count(pctx):
    ssc = StreamingContext(pctx, 0.1)
    batches = [[" ".join(["a", "b", "a"])] * 50, ["c a"] * 10]
    out: list = []
    ssc.queueStream([pctx.parallelize(b, 2) for b in batches]).flatMap(str.split).map(lambda w: (w, 1)) \
        .reduceByKey(add).foreachRDD(lambda rdd: out.append(dict(rdd.collect())))
    ssc.start()
    try:
        wait_until(lambda: len(out) >= 2, 30, "two batches")
    finally:
        ssc.stop(stopSparkContext=False)
    assert out[:2] == [{"a": 100, "b": 50}, {"c": 10, "a": 10}]
