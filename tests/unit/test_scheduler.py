"""The DAG scheduler: stages at shuffle boundaries, task retries, job failure, lost map outputs."""
from __future__ import annotations

import threading
import time
import traceback
from operator import add

import pytest

from dstreams import Context, TaskContext


class UserError(Exception):
    """An application's own exception type."""


def _stages(ctx: Context) -> int:
    return ctx._scheduler.stats["stages"]


def _attempt() -> int:
    tc = TaskContext.get()
    assert tc is not None
    return tc.attemptNumber()


# -- stages ----------------------------------------------------------------------------------------
def test_narrow_job_is_one_stage(ctx: Context) -> None:
    before = _stages(ctx)
    assert ctx.parallelize(range(10), 3).map(lambda x: x * 2).filter(lambda x: x > 4).count() == 7
    assert _stages(ctx) - before == 1


def test_one_shuffle_makes_two_stages_and_reuse_skips_the_map_stage(ctx: Context) -> None:
    counts = ctx.parallelize(["a", "b", "a"], 2).map(lambda w: (w, 1)).reduceByKey(add)
    before = _stages(ctx)
    assert sorted(counts.collect()) == [("a", 2), ("b", 1)]
    assert _stages(ctx) - before == 2
    before = _stages(ctx)
    assert counts.count() == 2  # map outputs are still there: only the result stage runs
    assert _stages(ctx) - before == 1


def test_chained_shuffles_make_a_stage_each(ctx: Context) -> None:
    rdd = (ctx.parallelize(range(20), 4).map(lambda x: (x % 5, x)).reduceByKey(add)
           .map(lambda kv: (kv[1] % 2, kv[0])).groupByKey().mapValues(sorted))
    before = _stages(ctx)
    assert sorted(rdd.collect()) == [(0, [0, 1, 2, 3, 4])]  # sums 30, 34, 38, 42, 46 are all even
    assert _stages(ctx) - before == 3


def test_join_of_two_inputs_shuffles_once(ctx: Context) -> None:
    a = ctx.parallelize([(1, "a"), (2, "b")])
    b = ctx.parallelize([(1, "x")])
    before = _stages(ctx)
    assert a.join(b).collect() == [(1, ("a", "x"))]
    assert _stages(ctx) - before == 2  # both inputs feed one shuffle (their union)


def test_debug_string_marks_shuffle_boundaries(ctx: Context) -> None:
    rdd = ctx.parallelize(range(4), 2).map(lambda x: (x, x)).reduceByKey(add, 3).mapValues(str)
    text = rdd.toDebugString()
    assert isinstance(text, bytes)
    lines = text.decode().splitlines()
    assert lines[0].startswith("(3) PipelinedRDD")
    assert any("ShuffledRDD" in ln for ln in lines)
    assert any(ln.lstrip().startswith("+-(2)") for ln in lines)  # the map side: 2 partitions


# -- retries ----------------------------------------------------------------------------------------
def test_a_task_failing_twice_is_retried_and_the_job_succeeds(ctx: Context) -> None:
    def flaky(x: int) -> int:
        if _attempt() < 2:
            raise UserError(f"attempt {_attempt()} fails")
        return x * 10

    failures = ctx._scheduler.stats["task_failures"]
    assert ctx.parallelize([1, 2, 3], 3).map(flaky).collect() == [10, 20, 30]
    assert ctx._scheduler.stats["task_failures"] - failures == 6  # 2 per partition


def test_a_shuffle_map_task_is_retried_too(ctx: Context) -> None:
    def flaky(x: int) -> tuple:
        if _attempt() == 0:
            raise UserError("map side fails once")
        return (x % 2, x)

    assert sorted(ctx.parallelize(range(6), 2).map(flaky).reduceByKey(add).collect()) == [(0, 6), (1, 9)]


def test_a_task_failing_four_times_fails_the_job_with_the_users_exception(ctx: Context) -> None:
    attempts: list[int] = []

    def always_fails(x: int) -> int:
        attempts.append(_attempt())
        raise UserError(f"bad record {x}")

    with pytest.raises(UserError, match="bad record 7") as info:
        ctx.parallelize([7], 1).map(always_fails).collect()
    assert sorted(attempts) == [0, 1, 2, 3]
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "failed 4 times" in notes and "task 0 in stage" in notes
    tb = "".join(traceback.format_exception(info.value))
    assert "always_fails" in tb  # the user's own frame is in the traceback


def test_max_failures_from_conf() -> None:
    attempts: list[int] = []

    def always_fails(x: int) -> int:
        attempts.append(_attempt())
        raise KeyError("missing")

    with Context("local[2]", "conf", conf={"dstreams.task.maxFailures": 2}) as c:
        with pytest.raises(KeyError):
            c.parallelize([1], 1).map(always_fails).count()
    assert sorted(attempts) == [0, 1]


def test_max_failures_one_means_no_retry() -> None:
    attempts: list[int] = []

    def always_fails(x: int) -> int:
        attempts.append(_attempt())
        raise ZeroDivisionError("x")

    with Context("local[2]", "conf", conf={"dstreams.task.maxFailures": "1"}) as c:
        with pytest.raises(ZeroDivisionError):
            c.parallelize([1], 1).map(always_fails).count()
    assert attempts == [0]


def test_max_failures_from_the_master_string() -> None:
    attempts: list[int] = []

    def always_fails(x: int) -> int:
        attempts.append(_attempt())
        raise UserError("x")

    with Context("local[2, 3]", "master") as c:
        with pytest.raises(UserError):
            c.parallelize([1], 1).map(always_fails).count()
    assert sorted(attempts) == [0, 1, 2]


def test_the_context_stays_usable_after_a_failed_job(ctx: Context) -> None:
    with pytest.raises(UserError):
        ctx.parallelize([1], 1).map(lambda x: (_ for _ in ()).throw(UserError("no"))).collect()
    assert ctx.parallelize([1, 2]).map(lambda x: x + 1).collect() == [2, 3]


# -- accumulators under retries ------------------------------------------------------------------
def test_accumulators_count_each_successful_task_once(ctx: Context) -> None:
    acc = ctx.accumulator(0)

    def count_then_fail_once(it):
        for x in it:
            acc.add(1)
            yield x
        if _attempt() == 0:
            raise UserError("fail after counting")

    assert ctx.parallelize(range(10), 3).mapPartitions(count_then_fail_once).count() == 10
    assert acc.value == 10  # the failed attempts' updates are dropped


def test_accumulators_of_a_failed_job_are_not_applied(ctx: Context) -> None:
    acc = ctx.accumulator(0)

    def add_then_fail(x: int) -> int:
        acc.add(100)
        raise UserError("always")

    with pytest.raises(UserError):
        ctx.parallelize([1], 1).map(add_then_fail).collect()
    assert acc.value == 0


# -- lost shuffle outputs ---------------------------------------------------------------------------
def test_lost_map_outputs_are_recomputed_from_lineage(ctx: Context) -> None:
    maps = ctx.accumulator(0)

    def key(x: int) -> tuple:
        maps.add(1)
        return (x % 5, 1)

    counts = ctx.parallelize(range(100), 8).map(key).reduceByKey(add, 3)
    expected = [(k, 20) for k in range(5)]
    assert sorted(counts.collect()) == expected
    assert maps.value == 100
    store = ctx.env.shuffle_store
    (sid,) = store.shuffle_ids()
    store.remove_shuffle(sid)  # every map output is gone
    assert sorted(counts.collect()) == expected
    assert maps.value == 200  # all 8 map tasks ran again
    assert ctx._scheduler.stats["fetch_failures"] >= 1


def test_one_lost_map_output_reruns_only_that_map(ctx: Context) -> None:
    maps = ctx.accumulator(0)

    def key(x: int) -> tuple:
        maps.add(1)
        return (x % 3, x)

    grouped = ctx.parallelize(range(30), 3).map(key).groupByKey().mapValues(sorted)
    expected = sorted(grouped.collect())
    store = ctx.env.shuffle_store
    (sid,) = store.shuffle_ids()
    del store._outputs[(sid, 1)]  # the memory store's map 1 output (10 records)
    assert not store.has_output(sid, 1) and store.has_output(sid, 0)
    assert sorted(grouped.collect()) == expected
    assert maps.value == 40


def test_lost_outputs_of_an_upstream_shuffle_are_recomputed(ctx: Context) -> None:
    first = ctx.parallelize(range(40), 4).map(lambda x: (x % 4, x)).reduceByKey(add)
    second = first.map(lambda kv: (kv[0] % 2, kv[1])).reduceByKey(add)
    assert sorted(second.collect()) == [(0, 180 + 200), (1, 190 + 210)]
    store = ctx.env.shuffle_store
    for sid in store.shuffle_ids():
        store.remove_shuffle(sid)
    assert sorted(second.collect()) == [(0, 380), (1, 400)]


# -- local[N]: N task threads -------------------------------------------------------------------------
_MEETING = threading.Barrier(3, timeout=20)
_RUNNING = {"now": 0, "max": 0}
_RUNNING_LOCK = threading.Lock()


def _meet(x: int) -> int:
    _MEETING.wait()  # returns only when 3 tasks run at the same time
    return x


def _track_concurrency(x: int) -> int:
    with _RUNNING_LOCK:
        _RUNNING["now"] += 1
        _RUNNING["max"] = max(_RUNNING["max"], _RUNNING["now"])
    time.sleep(0.005)
    with _RUNNING_LOCK:
        _RUNNING["now"] -= 1
    return x


def test_local_n_runs_n_tasks_at_once() -> None:
    with Context("local[3]", "threads") as c:
        assert c.parallelize([1, 2, 3], 3).map(_meet).collect() == [1, 2, 3]


def test_local_n_runs_no_more_than_n_tasks_at_once() -> None:
    _RUNNING.update(now=0, max=0)
    with Context("local[2]", "threads") as c:
        assert c.parallelize(range(12), 12).map(_track_concurrency).count() == 12
    assert 1 <= _RUNNING["max"] <= 2
