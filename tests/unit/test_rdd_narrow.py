"""Narrow transformations, element-wise set operations and partitioning of RDDs.

Expected values are PySpark's for the same program (its documented examples where it has one).
"""
from __future__ import annotations

import threading

import pytest

from dstreams import RDD, Context
from dstreams.dependencies import NarrowDependency, OneToOneDependency


# -- creating RDDs ----------------------------------------------------------------------------
def test_parallelize_slices_like_spark(ctx: Context) -> None:
    assert ctx.parallelize([1, 2, 3, 4, 5], 2).glom().collect() == [[1, 2], [3, 4, 5]]
    assert ctx.parallelize(range(10), 3).glom().collect() == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]
    assert ctx.parallelize([1, 2, 3, 4, 5, 6, 7], 4).glom().collect() == [[1], [2, 3], [4, 5], [6, 7]]
    assert ctx.parallelize([1, 2], 4).glom().collect() == [[], [1], [], [2]]


def test_parallelize_defaults_and_inputs(ctx: Context) -> None:
    assert ctx.defaultParallelism == 2
    assert ctx.parallelize([1, 2, 3]).getNumPartitions() == 2
    assert ctx.parallelize(x * 2 for x in range(4)).collect() == [0, 2, 4, 6]
    assert ctx.parallelize((1, 2, 3), 1).collect() == [1, 2, 3]
    assert ctx.parallelize([], 3).collect() == []
    assert ctx.range(5).collect() == [0, 1, 2, 3, 4]
    assert ctx.range(2, 10, 3, numSlices=2).glom().collect() == [[2], [5, 8]]
    with pytest.raises(ValueError):
        ctx.parallelize([1], 0)


def test_empty_rdd(ctx: Context) -> None:
    e = ctx.emptyRDD()
    assert isinstance(e, RDD)
    assert e.getNumPartitions() == 0
    assert e.collect() == []
    assert e.count() == 0
    assert e.map(lambda x: x + 1).collect() == []


# -- element-wise ------------------------------------------------------------------------------
def test_map_flatmap_filter(ctx: Context) -> None:
    rdd = ctx.parallelize(["b", "a", "c"])
    assert rdd.map(lambda x: (x, 1)).collect() == [("b", 1), ("a", 1), ("c", 1)]
    assert ctx.parallelize([2, 3, 4]).flatMap(lambda x: range(1, x)).collect() == [1, 1, 2, 1, 2, 3]
    assert ctx.parallelize([2, 3, 4]).flatMap(lambda x: [(x, x), (x, x)]).collect() == [
        (2, 2), (2, 2), (3, 3), (3, 3), (4, 4), (4, 4)]
    assert ctx.parallelize([1, 2, 3, 4, 5]).filter(lambda x: x % 2 == 0).collect() == [2, 4]


def test_map_partitions_and_with_index(ctx: Context) -> None:
    rdd = ctx.parallelize([1, 2, 3, 4], 2)
    assert rdd.mapPartitions(lambda it: [sum(it)]).collect() == [3, 7]
    assert ctx.parallelize([1, 2, 3, 4], 4).mapPartitionsWithIndex(lambda i, it: [i]).sum() == 6
    assert rdd.mapPartitionsWithIndex(lambda i, it: ((i, x) for x in it)).collect() == [
        (0, 1), (0, 2), (1, 3), (1, 4)]
    assert rdd.mapPartitionsWithSplit(lambda i, it: [i]).collect() == [0, 1]


def test_glom(ctx: Context) -> None:
    assert ctx.parallelize([1, 2, 3, 4], 2).glom().collect() == [[1, 2], [3, 4]]
    assert ctx.parallelize([], 2).glom().collect() == [[], []]


def test_key_value_helpers(ctx: Context) -> None:
    assert ctx.parallelize(range(0, 3)).keyBy(lambda x: x * x).collect() == [(0, 0), (1, 1), (4, 2)]
    pairs = ctx.parallelize([(1, 2), (3, 4)])
    assert pairs.keys().collect() == [1, 3]
    assert pairs.values().collect() == [2, 4]
    x = ctx.parallelize([("a", ["apple", "banana", "lemon"]), ("b", ["grapes"])])
    assert x.mapValues(len).collect() == [("a", 3), ("b", 1)]
    y = ctx.parallelize([("a", ["x", "y", "z"]), ("b", ["p", "r"])])
    assert y.flatMapValues(lambda v: v).collect() == [
        ("a", "x"), ("a", "y"), ("a", "z"), ("b", "p"), ("b", "r")]


def test_tasks_run_on_the_local_thread_pool(ctx: Context) -> None:
    names = ctx.parallelize(range(8), 4).map(lambda _: threading.current_thread().name).collect()
    assert all(n.startswith("dstreams-task") for n in names)
    assert threading.current_thread().name not in names


# -- unions, products, zips -------------------------------------------------------------------
def test_union(ctx: Context) -> None:
    rdd = ctx.parallelize([1, 1, 2, 3])
    u = rdd.union(rdd)
    assert u.collect() == [1, 1, 2, 3, 1, 1, 2, 3]
    assert u.getNumPartitions() == 4
    assert (rdd + ctx.parallelize([9], 1)).collect() == [1, 1, 2, 3, 9]
    assert all(isinstance(d, NarrowDependency) for d in u.dependencies())


def test_context_union(ctx: Context) -> None:
    a = ctx.parallelize([1, 2], 1)
    b = ctx.parallelize([3], 1)
    c = ctx.parallelize([4, 5], 2)
    u = ctx.union([a, b, c])
    assert u.collect() == [1, 2, 3, 4, 5]
    assert u.glom().collect() == [[1, 2], [3], [4], [5]]
    assert ctx.union([]).collect() == []


def test_union_of_copartitioned_rdds_keeps_the_partitioner(ctx: Context) -> None:
    a = ctx.parallelize([(1, "a"), (2, "b")]).partitionBy(2)
    b = ctx.parallelize([(3, "c"), (4, "d")]).partitionBy(2)
    u = a.union(b)
    assert u.getNumPartitions() == 2
    assert u.partitioner == a.partitioner
    assert u.glom().collect() == [[(2, "b"), (4, "d")], [(1, "a"), (3, "c")]]


def test_cartesian(ctx: Context) -> None:
    rdd = ctx.parallelize([1, 2])
    assert sorted(rdd.cartesian(rdd).collect()) == [(1, 1), (1, 2), (2, 1), (2, 2)]
    c = ctx.parallelize([1, 2], 2).cartesian(ctx.parallelize(["a", "b", "c"], 3))
    assert c.getNumPartitions() == 6
    assert c.collect() == [(1, "a"), (1, "b"), (1, "c"), (2, "a"), (2, "b"), (2, "c")]


def test_zip(ctx: Context) -> None:
    x = ctx.parallelize(range(0, 5))
    y = ctx.parallelize(range(1000, 1005))
    assert x.zip(y).collect() == [(0, 1000), (1, 1001), (2, 1002), (3, 1003), (4, 1004)]
    with pytest.raises(ValueError, match="same number of partitions"):
        ctx.parallelize([1, 2], 2).zip(ctx.parallelize([1, 2], 1))


def test_zip_with_unequal_partition_sizes_fails(ctx: Context) -> None:
    a = ctx.parallelize([1, 2, 3], 2)
    b = ctx.parallelize([1, 2, 3, 4], 2)
    with pytest.raises(ValueError, match="same number of elements"):
        a.zip(b).collect()


def test_zip_with_index_and_unique_id(ctx: Context) -> None:
    assert ctx.parallelize(["a", "b", "c", "d"], 3).zipWithIndex().collect() == [
        ("a", 0), ("b", 1), ("c", 2), ("d", 3)]
    assert ctx.parallelize(["a", "b", "c", "d", "e"], 3).zipWithUniqueId().collect() == [
        ("a", 0), ("b", 1), ("c", 4), ("d", 2), ("e", 5)]
    assert ctx.parallelize([], 3).zipWithIndex().collect() == []


# -- set operations ----------------------------------------------------------------------------
def test_distinct(ctx: Context) -> None:
    rdd = ctx.parallelize([1, 1, 2, 3])
    assert sorted(rdd.distinct().collect()) == [1, 2, 3]
    assert rdd.distinct().getNumPartitions() == 2
    assert rdd.distinct(3).getNumPartitions() == 3
    # int keys hash to themselves: the order is PySpark's
    assert ctx.parallelize([3, 1, 2, 3, 1], 2).distinct().collect() == [2, 3, 1]


def test_intersection(ctx: Context) -> None:
    rdd1 = ctx.parallelize([1, 10, 2, 3, 4, 5])
    rdd2 = ctx.parallelize([1, 6, 2, 3, 7, 8])
    assert rdd1.intersection(rdd2).collect() == [1, 2, 3]
    assert ctx.parallelize([1, 1, 2]).intersection(ctx.parallelize([1, 1])).collect() == [1]


def test_subtract(ctx: Context) -> None:
    x = ctx.parallelize([("a", 1), ("b", 4), ("b", 5), ("a", 3)])
    y = ctx.parallelize([("a", 3), ("c", None)])
    assert sorted(x.subtract(y).collect()) == [("a", 1), ("b", 4), ("b", 5)]
    assert sorted(ctx.parallelize([1, 1, 2, 3]).subtract(ctx.parallelize([2])).collect()) == [1, 1, 3]


def test_subtract_by_key(ctx: Context) -> None:
    x = ctx.parallelize([("a", 1), ("b", 4), ("b", 5), ("a", 2)])
    y = ctx.parallelize([("a", 3), ("c", None)])
    assert sorted(x.subtractByKey(y).collect()) == [("b", 4), ("b", 5)]


# -- partition count changes -------------------------------------------------------------------
def test_coalesce(ctx: Context) -> None:
    rdd = ctx.parallelize([1, 2, 3, 4, 5], 3)
    assert rdd.glom().collect() == [[1], [2, 3], [4, 5]]
    assert rdd.coalesce(1).glom().collect() == [[1, 2, 3, 4, 5]]
    assert ctx.parallelize(range(8), 4).coalesce(2).glom().collect() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert rdd.coalesce(10).getNumPartitions() == 3  # no shuffle: never more partitions
    assert all(not d.is_shuffle for d in rdd.coalesce(2).dependencies())
    shuffled = rdd.coalesce(5, shuffle=True)
    assert shuffled.getNumPartitions() == 5
    assert sorted(shuffled.collect()) == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError):
        rdd.coalesce(0)


def test_repartition(ctx: Context) -> None:
    rdd = ctx.parallelize([1, 2, 3, 4, 5, 6, 7], 4)
    assert len(rdd.repartition(2).glom().collect()) == 2
    assert len(rdd.repartition(10).glom().collect()) == 10
    assert sorted(rdd.repartition(3).collect()) == [1, 2, 3, 4, 5, 6, 7]
    big = ctx.parallelize(range(1000), 2).repartition(4).glom().map(len).collect()
    assert sum(big) == 1000 and min(big) > 150  # spread round-robin, not skewed


def test_sample_and_random_split(ctx: Context) -> None:
    rdd = ctx.parallelize(range(1000), 4)
    s = rdd.sample(False, 0.1, seed=7).collect()
    assert s == rdd.sample(False, 0.1, seed=7).collect()  # seeded: reproducible
    assert set(s) <= set(range(1000)) and 40 < len(s) < 200
    parts = rdd.randomSplit([1.0, 3.0], seed=3)
    a, b = parts[0].collect(), parts[1].collect()
    assert sorted(a + b) == list(range(1000))
    assert len(a) < len(b)
    assert len(rdd.takeSample(False, 10, seed=1)) == 10
    assert len(set(rdd.takeSample(False, 10, seed=1))) == 10


# -- laziness and lineage ----------------------------------------------------------------------
def test_transformations_are_lazy(ctx: Context) -> None:
    acc = ctx.accumulator(0)

    def touch(x: int) -> int:
        acc.add(1)
        return x

    jobs = ctx._scheduler.stats["jobs"]
    rdd = (ctx.parallelize(range(10), 2).map(touch).filter(lambda x: x > 2).flatMap(lambda x: [x])
           .map(lambda x: (x % 3, x)).reduceByKey(lambda a, b: a + b).mapValues(str))
    assert acc.value == 0
    assert ctx._scheduler.stats["jobs"] == jobs
    assert sorted(rdd.collect()) == [(0, "18"), (1, "11"), (2, "13")]
    assert acc.value == 10


def test_narrow_chains_are_fused_into_one_pipeline(ctx: Context) -> None:
    base = ctx.parallelize(range(6), 2)
    chained = base.map(lambda x: x + 1).filter(lambda x: x % 2 == 0).map(lambda x: x * 10)
    deps = chained.dependencies()
    assert len(deps) == 1 and isinstance(deps[0], OneToOneDependency)
    assert deps[0].rdd is base  # the three functions run in one pass over the parent
    assert chained.collect() == [20, 40, 60]
    debug = chained.toDebugString().decode()
    assert debug.count("PipelinedRDD") == 1 and "ParallelCollectionRDD" in debug


def test_preserves_partitioning_flags(ctx: Context) -> None:
    p = ctx.parallelize([(1, 1), (2, 2)]).partitionBy(2)
    assert p.partitioner is not None
    assert p.mapValues(str).partitioner == p.partitioner
    assert p.flatMapValues(lambda v: [v]).partitioner == p.partitioner
    assert p.filter(lambda kv: True).partitioner == p.partitioner
    assert p.map(lambda kv: kv).partitioner is None
    assert p.map(lambda kv: kv, preservesPartitioning=True).partitioner == p.partitioner
    assert p.keys().partitioner is None
    assert p.glom().partitioner is None


def test_name_and_repr(ctx: Context) -> None:
    rdd = ctx.parallelize([1]).setName("numbers")
    assert rdd.name() == "numbers"
    assert "numbers" in repr(rdd)
    assert rdd.context is ctx
