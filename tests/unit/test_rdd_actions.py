"""Actions, shared variables and the Context's lifecycle, against PySpark's results."""
from __future__ import annotations

import math
from operator import add

import pytest

from dstreams import Context, ContextStoppedError, StatCounter


# -- collecting ----------------------------------------------------------------------------------
def test_collect_count_first(ctx: Context) -> None:
    assert ctx.parallelize([2, 3, 4]).collect() == [2, 3, 4]
    assert ctx.parallelize([2, 3, 4]).count() == 3
    assert ctx.parallelize([2, 3, 4]).first() == 2
    assert ctx.parallelize([], 3).count() == 0


def test_first_on_empty_raises(ctx: Context) -> None:
    with pytest.raises(ValueError, match="RDD is empty"):
        ctx.parallelize([]).first()
    with pytest.raises(ValueError, match="RDD is empty"):
        ctx.emptyRDD().first()


def test_take(ctx: Context) -> None:
    assert ctx.parallelize([2, 3, 4, 5, 6]).cache().take(2) == [2, 3]
    assert ctx.parallelize([2, 3, 4, 5, 6]).take(10) == [2, 3, 4, 5, 6]
    assert ctx.parallelize(range(100), 100).filter(lambda x: x > 90).take(3) == [91, 92, 93]
    assert ctx.parallelize([1, 2]).take(0) == []
    assert ctx.emptyRDD().take(3) == []


def test_take_scans_partitions_incrementally(ctx: Context) -> None:
    rdd = ctx.parallelize(range(100), 10)
    tasks = ctx._scheduler.stats["tasks"]
    assert rdd.take(5) == [0, 1, 2, 3, 4]
    assert ctx._scheduler.stats["tasks"] - tasks == 1  # the first partition had enough
    tasks = ctx._scheduler.stats["tasks"]
    assert ctx.parallelize(range(10), 10).filter(lambda x: x == 9).take(1) == [9]
    assert ctx._scheduler.stats["tasks"] - tasks == 10  # 1, then 4, then the remaining 5


def test_is_empty(ctx: Context) -> None:
    assert ctx.emptyRDD().isEmpty()
    assert ctx.parallelize([], 3).isEmpty()
    assert not ctx.parallelize([1]).isEmpty()
    assert ctx.parallelize([1, 2]).filter(lambda x: x > 5).isEmpty()


def test_collect_as_map(ctx: Context) -> None:
    m = ctx.parallelize([(1, 2), (3, 4)]).collectAsMap()
    assert m == {1: 2, 3: 4} and m[1] == 2
    assert ctx.parallelize([(1, "a"), (1, "b")]).collectAsMap() == {1: "b"}  # later values win


def test_to_local_iterator(ctx: Context) -> None:
    it = ctx.parallelize(range(10), 3).toLocalIterator()
    assert next(it) == 0
    assert list(it) == list(range(1, 10))


# -- ordering ------------------------------------------------------------------------------------
def test_top(ctx: Context) -> None:
    assert ctx.parallelize([10, 4, 2, 12, 3]).top(1) == [12]
    assert ctx.parallelize([2, 3, 4, 5, 6], 2).top(2) == [6, 5]
    assert ctx.parallelize([10, 4, 2, 12, 3]).top(3, key=str) == [4, 3, 2]
    assert ctx.parallelize([1, 2]).top(5) == [2, 1]


def test_take_ordered(ctx: Context) -> None:
    assert ctx.parallelize([10, 1, 2, 9, 3, 4, 5, 6, 7]).takeOrdered(6) == [1, 2, 3, 4, 5, 6]
    assert ctx.parallelize([10, 1, 2, 9, 3, 4, 5, 6, 7], 2).takeOrdered(6, key=lambda x: -x) == [
        10, 9, 7, 6, 5, 4]
    assert ctx.emptyRDD().takeOrdered(3) == []


def test_max_min(ctx: Context) -> None:
    rdd = ctx.parallelize([1.0, 5.0, 43.0, 10.0])
    assert rdd.max() == 43.0
    assert rdd.max(key=str) == 5.0
    assert rdd.min() == 1.0
    assert rdd.min(key=lambda x: -x) == 43.0
    with pytest.raises(ValueError):
        ctx.parallelize([]).max()


# -- reducing -------------------------------------------------------------------------------------
def test_reduce(ctx: Context) -> None:
    assert ctx.parallelize([1, 2, 3, 4, 5]).reduce(add) == 15
    assert ctx.parallelize((2 for _ in range(10))).map(lambda x: 1).cache().reduce(add) == 10
    assert ctx.parallelize([1, 2, 3], 5).reduce(add) == 6  # empty partitions are skipped
    assert ctx.parallelize(["a", "b", "c"], 3).reduce(add) == "abc"  # partition order
    with pytest.raises(ValueError, match="Can not reduce\\(\\) empty RDD"):
        ctx.parallelize([]).reduce(add)
    with pytest.raises(ValueError):
        ctx.emptyRDD().reduce(add)


def test_fold(ctx: Context) -> None:
    assert ctx.parallelize([1, 2, 3, 4, 5]).fold(0, add) == 15
    # the zero is used once per partition and once more to merge: 1 + (1+1) + (1+2+3)
    assert ctx.parallelize([1, 2, 3], 2).fold(1, add) == 9
    assert ctx.parallelize([], 2).fold(0, add) == 0


def test_aggregate(ctx: Context) -> None:
    def seq(x: tuple, y: int) -> tuple:
        return (x[0] + y, x[1] + 1)

    def comb(x: tuple, y: tuple) -> tuple:
        return (x[0] + y[0], x[1] + y[1])

    assert ctx.parallelize([1, 2, 3, 4]).aggregate((0, 0), seq, comb) == (10, 4)
    assert ctx.parallelize([]).aggregate((0, 0), seq, comb) == (0, 0)


def test_aggregate_with_mutable_zero_per_partition(ctx: Context) -> None:
    def seq(acc: list, x: int) -> list:
        acc.append(x)
        return acc

    out = ctx.parallelize(range(6), 3).aggregate([], seq, lambda a, b: a + b)
    assert out == [0, 1, 2, 3, 4, 5]


def test_sum_mean_stats(ctx: Context) -> None:
    assert ctx.parallelize([1.0, 2.0, 3.0]).sum() == 6.0
    assert ctx.parallelize([]).sum() == 0
    assert ctx.parallelize([1, 2, 3]).mean() == 2.0
    assert ctx.parallelize([1, 2, 3]).variance() == pytest.approx(2 / 3)
    assert ctx.parallelize([1, 2, 3]).stdev() == pytest.approx(math.sqrt(2 / 3))
    assert ctx.parallelize([1, 2, 3]).sampleStdev() == 1.0
    assert ctx.parallelize([1, 2, 3]).sampleVariance() == 1.0
    st = ctx.parallelize([2, 4, 4, 4, 5, 5, 7, 9], 3).stats()
    assert isinstance(st, StatCounter)
    assert (st.count(), st.mean(), st.stdev(), st.max(), st.min(), st.sum()) == (8, 5.0, 2.0, 9, 2, 40.0)
    assert repr(st) == "(count: 8, mean: 5.0, stdev: 2.0, max: 9, min: 2)"
    assert st.asDict()["variance"] == 4.0


def test_stats_merges_across_many_partitions(ctx: Context) -> None:
    data = [float(i * i % 17) for i in range(200)]
    st = ctx.parallelize(data, 9).stats()
    mean = sum(data) / len(data)
    assert st.count() == 200
    assert st.mean() == pytest.approx(mean)
    assert st.variance() == pytest.approx(sum((x - mean) ** 2 for x in data) / len(data))



# -- histogram and countApproxDistinct: PySpark's test cases and results --------------------------
def test_histogram_with_given_buckets(ctx: Context) -> None:
    nan, inf = float("nan"), float("inf")
    empty = ctx.parallelize([])
    assert empty.histogram([0, 10])[1] == [0] and empty.histogram([0, 4, 10])[1] == [0, 0]
    outside = ctx.parallelize([10.01, -0.01])
    assert outside.histogram([0, 10])[1] == [0] and outside.histogram((0, 4, 10))[1] == [0, 0]
    assert outside.histogram([0, 5, 10])[1] == [0, 0]
    r = ctx.parallelize(range(1, 5))
    assert r.histogram([0, 10])[1] == [4] and r.histogram([0, 4, 10])[1] == [3, 1]
    assert r.histogram([1, 4])[1] == [4]  # the last bucket is closed
    assert ctx.parallelize([1, 2, 3, 5, 6]).histogram([0, 5, 10])[1] == [3, 2]
    assert ctx.parallelize([1, 2, 3, 5, 6, None, nan]).histogram([0, 5, 10])[1] == [3, 2]
    assert ctx.parallelize([1, 2, 3, 5, 6]).histogram([0, 5, 11])[1] == [3, 2]
    assert ctx.parallelize([-0.01, 0.0, 1, 2, 3, 5, 6, 11.0, 11.01]).histogram([0, 5, 11])[1] == [4, 3]
    mixed = [-0.01, 0.0, 1, 2, 3, 5, 6, 11.01, 12.0, 199.0, 200.0, 200.1]
    assert ctx.parallelize(mixed).histogram([0.0, 5.0, 11.0, 12.0, 200.0])[1] == [4, 2, 1, 3]
    assert ctx.parallelize(mixed + [None, nan]).histogram([0.0, 5.0, 11.0, 12.0, 200.0])[1] == [4, 2, 1, 3]
    assert ctx.parallelize([10.01, -0.01, nan, inf]).histogram([-inf, 0, inf])[1] == [1, 2]
    r51 = ctx.parallelize(range(51))
    assert r51.histogram([0, 5, 25, 50]) == ([0, 5, 25, 50], [5, 20, 26])
    assert r51.histogram([0, 15, 30, 45, 60]) == ([0, 15, 30, 45, 60], [15, 15, 15, 6])
    words = ctx.parallelize(["ab", "ac", "b", "bd", "ef"], 2)
    assert words.histogram(("a", "b", "c")) == (("a", "b", "c"), [2, 2])  # the buckets come back as given
    for bad, exc in (([], ValueError), ([1], ValueError), (0, ValueError), ({}, TypeError), ([0, None], ValueError),
                     ([0, nan], ValueError), ([2, 1], ValueError), ([1, 1, 2], ValueError), ([1, "a"], TypeError)):
        with pytest.raises(exc):
            r.histogram(bad)
    with pytest.raises(ValueError):  # no partitions at all, as PySpark's reduce
        ctx.emptyRDD().histogram([0, 1])


def test_histogram_with_a_bucket_count(ctx: Context) -> None:
    assert ctx.parallelize(range(51)).histogram(2) == ([0, 25, 50], [25, 26])
    assert ctx.parallelize(range(1, 5)).histogram(1) == ([1, 4], [4])
    assert ctx.parallelize([1]).histogram(1) == ([1, 1], [1])
    assert ctx.parallelize([1] * 4).histogram(1) == ([1, 1], [4])
    assert ctx.parallelize([1, None, float("nan"), 1]).histogram(3) == ([1, 1], [2])
    assert ctx.parallelize(range(1, 5)).histogram(2) == ([1, 2.5, 4], [2, 2])
    assert ctx.parallelize([1, 2]).histogram(5) == ([1 + 0.2 * i for i in range(6)], [1, 0, 0, 0, 1])
    b, counts = ctx.parallelize(range(101), 7).histogram(10)  # integer buckets when the step is exact
    assert b == list(range(0, 101, 10)) and counts == [10] * 9 + [11] and all(type(x) is int for x in b)
    b, counts = ctx.parallelize(range(100), 7).histogram(10)
    assert b == [9.9 * i for i in range(10)] + [99] and counts == [10] * 10
    words = ctx.parallelize(["ab", "ac", "b", "bd", "ef"], 2)
    assert words.histogram(1) == (["ab", "ef"], [5])
    with pytest.raises(TypeError, match="non-number"):
        words.histogram(2)
    with pytest.raises(ValueError, match="infinite"):
        ctx.parallelize([1, float("inf")]).histogram(2)
    for nothing in ([float("nan")], [], [None]):
        with pytest.raises(ValueError, match="empty"):
            ctx.parallelize(nothing).histogram(2)
    with pytest.raises(TypeError):  # unsortable elements
        ctx.parallelize(["a", 1], 1).histogram(2)


def test_count_approx_distinct(ctx: Context) -> None:
    r = ctx.parallelize(range(1000))
    for rdd in (r, r.map(float), r.map(str), r.map(lambda x: (x, -x))):
        assert 950 < rdd.countApproxDistinct(0.03) < 1050
    r = ctx.parallelize([i % 20 for i in range(1000)], 7)
    for rdd in (r, r.map(float), r.map(str), r.map(lambda x: (x, -x))):
        assert 18 < rdd.countApproxDistinct() < 22
    assert isinstance(r.countApproxDistinct(), int)
    assert ctx.parallelize([], 3).countApproxDistinct() == 0
    many = ctx.parallelize(range(200_000), 4).map(lambda i: f"user-{i % 50_000}")
    assert abs(many.countApproxDistinct(0.01) - 50_000) < 0.01 * 50_000 * 3
    for bad in (0.00000001, 0.000017, 0.0, -1.0, 0.5, float("nan")):
        with pytest.raises(ValueError, match="relativeSD"):
            r.countApproxDistinct(bad)

def test_count_by_value(ctx: Context) -> None:
    counts = ctx.parallelize([1, 2, 1, 2, 2], 2).countByValue()
    assert isinstance(counts, dict)
    assert sorted(counts.items()) == [(1, 2), (2, 3)]


# -- side effects ---------------------------------------------------------------------------------
def test_foreach_and_foreach_partition(ctx: Context) -> None:
    acc = ctx.accumulator(0)
    ctx.parallelize([1, 2, 3, 4, 5]).foreach(lambda x: acc.add(x))
    assert acc.value == 15
    sizes: list[int] = []  # local[N] tasks share the driver's memory; list.append is atomic

    def record(it) -> None:
        sizes.append(sum(1 for _ in it))

    ctx.parallelize(range(7), 3).foreachPartition(record)
    assert sorted(sizes) == [2, 2, 3]

    def generator_partition_func(it):  # PySpark consumes a returned iterator
        for x in it:
            acc.add(x)
            yield x

    ctx.parallelize([10, 20], 2).foreachPartition(generator_partition_func)
    assert acc.value == 45
    ctx.parallelize([1, 2], 2).foreachPartition(lambda it: sum(it))  # a non-iterable result is ignored


# -- shared variables -----------------------------------------------------------------------------
def test_accumulators(ctx: Context) -> None:
    ints = ctx.accumulator(0)
    floats = ctx.accumulator(1.5)
    ctx.parallelize(range(10), 4).foreach(lambda x: (ints.add(x), floats.add(0.5)))
    assert ints.value == 45
    assert floats.value == 6.5
    ints += 5  # the driver may add too
    assert ints.value == 50
    with pytest.raises(TypeError):
        ctx.accumulator("text")


def test_accumulator_value_is_unreadable_in_tasks(ctx: Context) -> None:
    acc = ctx.accumulator(0)
    with pytest.raises(RuntimeError, match="cannot be accessed inside tasks"):
        ctx.parallelize([1], 1).map(lambda _: acc.value).collect()


def test_custom_accumulator_param(ctx: Context) -> None:
    from dstreams import AccumulatorParam

    class ListParam(AccumulatorParam):
        def zero(self, value: list) -> list:
            return []

        def addInPlace(self, a: list, b: list) -> list:
            a.extend(b)
            return a

    acc = ctx.accumulator([], ListParam())
    ctx.parallelize([1, 2, 3], 3).foreach(lambda x: acc.add([x]))
    assert sorted(acc.value) == [1, 2, 3]


def test_broadcast(ctx: Context) -> None:
    b = ctx.broadcast({"a": 1, "b": 2})
    assert b.value == {"a": 1, "b": 2}
    assert ctx.parallelize(["a", "b", "a"]).map(lambda k: b.value[k]).collect() == [1, 2, 1]
    b.unpersist()
    assert ctx.parallelize(["b"]).map(lambda k: b.value[k]).collect() == [2]
    b.destroy()
    with pytest.raises(RuntimeError, match="destroyed"):
        _ = b.value


# -- the Context ----------------------------------------------------------------------------------
def test_context_manager_stops_and_allows_a_new_context() -> None:
    with Context("local[2]", "first") as c:
        assert c.master == "local[2]" and c.appName == "first"
        rdd = c.parallelize([1, 2])
        assert rdd.count() == 2
    assert Context._active is None
    with pytest.raises(ContextStoppedError):
        rdd.count()
    with pytest.raises(ContextStoppedError):
        c.parallelize([1])
    with Context("local[1]", "second") as c2:
        assert c2.defaultParallelism == 1
        assert c2.parallelize([1, 2]).sum() == 3
    c2.stop()  # stopping twice is harmless


def test_only_one_active_context(ctx: Context) -> None:
    with pytest.raises(ValueError, match="Cannot run multiple Contexts at once"):
        Context("local[1]", "second")
    assert Context.getOrCreate() is ctx


def test_local_star_uses_every_core() -> None:
    import os
    with Context("local[*]") as c:
        assert c.defaultParallelism == (os.cpu_count() or 1)
        assert c.defaultMinPartitions == min(c.defaultParallelism, 2)


def test_dropped_accumulators_are_released(ctx: Context) -> None:
    import gc
    import weakref

    def use_one() -> weakref.ref:
        acc = ctx.accumulator(0)
        ctx.parallelize([1, 2]).foreach(lambda x: acc.add(x))
        assert acc.value == 3
        return weakref.ref(acc)

    ref = use_one()
    gc.collect()
    assert ref() is None
