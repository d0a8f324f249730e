"""Keyed (shuffle) operators against hand-computed PySpark results.

Int keys hash to themselves in PySpark's ``portable_hash`` and in ours, so for int keys even
the unsorted ``collect()`` order is PySpark's: reduce partition ``k % n``, keys in the order
they are first seen reading the map outputs in map order.
"""
from __future__ import annotations

from operator import add

import pytest

from dstreams import Context, ResultIterable
from dstreams.dependencies import ShuffleDependency


def _lists(rdd_items: list) -> list:
    return [(k, list(v)) for k, v in rdd_items]


# -- reduceByKey and friends -------------------------------------------------------------------
def test_reduce_by_key(ctx: Context) -> None:
    rdd = ctx.parallelize([("a", 1), ("b", 1), ("a", 1)])
    assert sorted(rdd.reduceByKey(add).collect()) == [("a", 2), ("b", 1)]
    ints = ctx.parallelize([(1, 1), (2, 1), (3, 1), (1, 1)], 2)
    assert ints.reduceByKey(add).collect() == [(2, 1), (1, 2), (3, 1)]
    assert ints.reduceByKey(add).glom().collect() == [[(2, 1)], [(1, 2), (3, 1)]]
    assert ints.reduceByKey(add, 3).glom().collect() == [[(3, 1)], [(1, 2)], [(2, 1)]]


def test_default_reduce_partitions_is_the_parents_count(ctx: Context) -> None:
    rdd = ctx.parallelize([(i % 4, i) for i in range(20)], 5)
    assert rdd.reduceByKey(add).getNumPartitions() == 5
    assert rdd.groupByKey().getNumPartitions() == 5
    assert rdd.reduceByKey(add, 2).getNumPartitions() == 2
    assert rdd.distinct().getNumPartitions() == 5
    other = ctx.parallelize([(1, 1)], 3)
    assert rdd.join(other).getNumPartitions() == 8  # the union of both
    assert rdd.cogroup(other).getNumPartitions() == 8


def test_default_parallelism_conf_sets_reduce_partitions() -> None:
    with Context("local[2]", "conf", conf={"spark.default.parallelism": 3}) as c:
        rdd = c.parallelize([(1, 1), (2, 2)], 5)
        assert c.parallelize([1]).getNumPartitions() == 3
        assert rdd.reduceByKey(add).getNumPartitions() == 3


def test_reduce_by_key_is_a_shuffle_dependency(ctx: Context) -> None:
    r = ctx.parallelize([(1, 1)]).reduceByKey(add)
    (dep,) = r.dependencies()
    assert isinstance(dep, ShuffleDependency)
    assert dep.aggregator is not None and dep.aggregator.map_side_combine


def test_reduce_by_key_combines_map_side(ctx: Context) -> None:
    rdd = ctx.parallelize([(1, 1)] * 50 + [(2, 1)] * 50, 2).reduceByKey(add)
    assert sorted(rdd.collect()) == [(1, 50), (2, 50)]
    (sid,) = ctx.env.shuffle_store.shuffle_ids()
    import pickle
    buckets = [pickle.loads(ctx.env.shuffle_store.read(sid, m, r)) for m in range(2) for r in range(2)]
    assert sum(len(b) for b in buckets) == 2  # one pre-combined record per key and map, not 100


def test_reduce_by_key_locally(ctx: Context) -> None:
    rdd = ctx.parallelize([("a", 1), ("b", 1), ("a", 1)])
    assert sorted(rdd.reduceByKeyLocally(add).items()) == [("a", 2), ("b", 1)]


def test_combine_by_key(ctx: Context) -> None:
    x = ctx.parallelize([("a", 1), ("b", 1), ("a", 2)])

    def to_list(a: int) -> list:
        return [a]

    def append(a: list, b: int) -> list:
        a.append(b)
        return a

    def extend(a: list, b: list) -> list:
        a.extend(b)
        return a

    assert sorted(x.combineByKey(to_list, append, extend).collect()) == [("a", [1, 2]), ("b", [1])]


def test_combine_by_key_merges_across_maps(ctx: Context) -> None:
    # partitions [(1,1),(1,2)] and [(1,3)]: map 0 creates and merges, map 1 creates, reduce merges
    x = ctx.parallelize([(1, 1), (1, 2), (1, 3)], 2)
    out = x.combineByKey(lambda v: [v], lambda c, v: c + [v], lambda a, b: a + b, 1).collect()
    assert out == [(1, [1, 2, 3])]


def test_aggregate_by_key(ctx: Context) -> None:
    pairs = ctx.parallelize([("a", 3), ("b", 4), ("a", 2)])
    def seq(x: tuple, y: int) -> tuple:
        return (x[0] + y, x[1] + 1)

    def comb(x: tuple, y: tuple) -> tuple:
        return (x[0] + y[0], x[1] + y[1])

    assert sorted(pairs.aggregateByKey((0, 0), seq, comb).collect()) == [("a", (5, 2)), ("b", (4, 1))]


def test_aggregate_by_key_copies_a_mutable_zero(ctx: Context) -> None:
    pairs = ctx.parallelize([(1, "x"), (2, "y"), (1, "z")], 1)

    def seq(acc: list, v: str) -> list:
        acc.append(v)  # mutates its accumulator: each key must get its own copy of the zero
        return acc

    out = pairs.aggregateByKey([], seq, lambda a, b: a + b).collect()
    assert sorted(out) == [(1, ["x", "z"]), (2, ["y"])]


def test_fold_by_key(ctx: Context) -> None:
    rdd = ctx.parallelize([("a", 1), ("b", 1), ("a", 1)])
    assert sorted(rdd.foldByKey(0, add).collect()) == [("a", 2), ("b", 1)]
    # the zero value is folded in once per key and map partition
    two = ctx.parallelize([(1, 1), (1, 2), (2, 1)], 2)  # partitions [(1,1)] and [(1,2),(2,1)]
    assert sorted(two.foldByKey(10, add).collect()) == [(1, 23), (2, 11)]


# -- grouping ------------------------------------------------------------------------------------
def test_group_by_key(ctx: Context) -> None:
    rdd = ctx.parallelize([("a", 1), ("b", 1), ("a", 1)])
    grouped = rdd.groupByKey().collect()
    assert all(isinstance(v, ResultIterable) for _, v in grouped)
    assert sorted(rdd.groupByKey().mapValues(len).collect()) == [("a", 2), ("b", 1)]
    assert sorted(rdd.groupByKey().mapValues(list).collect()) == [("a", [1, 1]), ("b", [1])]
    ints = ctx.parallelize([(1, "a"), (2, "b"), (1, "c"), (3, "d")], 2)
    assert _lists(ints.groupByKey().collect()) == [(2, ["b"]), (1, ["a", "c"]), (3, ["d"])]


def test_result_iterable_is_reiterable(ctx: Context) -> None:
    ((_, vs),) = ctx.parallelize([(1, 1), (1, 2)]).groupByKey().collect()
    assert list(vs) == [1, 2] and list(vs) == [1, 2] and len(vs) == 2
    assert vs.data == [1, 2]


def test_group_by(ctx: Context) -> None:
    rdd = ctx.parallelize([1, 1, 2, 3, 5, 8])
    result = rdd.groupBy(lambda x: x % 2).collect()
    assert sorted((k, sorted(v)) for k, v in result) == [(0, [2, 8]), (1, [1, 1, 3, 5])]
    assert rdd.groupBy(lambda x: x % 2, 3).getNumPartitions() == 3


def test_cogroup(ctx: Context) -> None:
    x = ctx.parallelize([("a", 1), ("b", 4)])
    y = ctx.parallelize([("a", 2)])
    out = sorted(x.cogroup(y).collect())
    assert all(isinstance(v, tuple) and all(isinstance(i, ResultIterable) for i in v) for _, v in out)
    assert [(k, tuple(map(list, v))) for k, v in out] == [("a", ([1], [2])), ("b", ([4], []))]


def test_cogroup_doc_example_with_key_by(ctx: Context) -> None:
    x = ctx.parallelize(range(0, 3)).keyBy(lambda x: x * x)
    y = ctx.parallelize(zip(range(0, 5), range(0, 5)))
    assert [(k, list(map(list, v))) for k, v in sorted(x.cogroup(y).collect())] == [
        (0, [[0], [0]]), (1, [[1], [1]]), (2, [[], [2]]), (3, [[], [3]]), (4, [[2], [4]])]


def test_group_with(ctx: Context) -> None:
    w = ctx.parallelize([("a", 5), ("b", 6)])
    x = ctx.parallelize([("a", 1), ("b", 4)])
    y = ctx.parallelize([("a", 2)])
    z = ctx.parallelize([("b", 42)])
    assert [(k, tuple(map(list, v))) for k, v in sorted(w.groupWith(x, y, z).collect())] == [
        ("a", ([5], [1], [2], [])), ("b", ([6], [4], [], [42]))]


# -- joins ----------------------------------------------------------------------------------------
def test_join(ctx: Context) -> None:
    x = ctx.parallelize([("a", 1), ("b", 4)])
    y = ctx.parallelize([("a", 2), ("a", 3)])
    assert sorted(x.join(y).collect()) == [("a", (1, 2)), ("a", (1, 3))]
    assert x.join(y, 3).getNumPartitions() == 3


def test_outer_joins(ctx: Context) -> None:
    x = ctx.parallelize([("a", 1), ("b", 4)])
    y = ctx.parallelize([("a", 2)])
    assert sorted(x.leftOuterJoin(y).collect()) == [("a", (1, 2)), ("b", (4, None))]
    assert sorted(y.rightOuterJoin(x).collect()) == [("a", (2, 1)), ("b", (None, 4))]
    z = ctx.parallelize([("a", 2), ("c", 8)])
    assert sorted(x.fullOuterJoin(z).collect()) == [("a", (1, 2)), ("b", (4, None)), ("c", (None, 8))]
    assert sorted(x.join(ctx.emptyRDD()).collect()) == []
    assert sorted(x.leftOuterJoin(ctx.emptyRDD()).collect()) == [("a", (1, None)), ("b", (4, None))]


def test_join_order_of_int_keys(ctx: Context) -> None:
    x = ctx.parallelize([(1, "a"), (2, "b"), (3, "c")], 1)
    y = ctx.parallelize([(3, "z"), (1, "y"), (1, "w")], 1)
    # union has 2 partitions -> keys 2 | 1, 3; values of a key: left ones, then right ones
    assert x.join(y).collect() == [(1, ("a", "y")), (1, ("a", "w")), (3, ("c", "z"))]
    assert x.fullOuterJoin(y).collect() == [(2, ("b", None)), (1, ("a", "y")), (1, ("a", "w")),
                                            (3, ("c", "z"))]


def test_join_of_copartitioned_rdds_needs_no_new_shuffle(ctx: Context) -> None:
    a = ctx.parallelize([(i, i) for i in range(10)]).partitionBy(3)
    b = ctx.parallelize([(i, -i) for i in range(0, 10, 2)]).partitionBy(3)
    j = a.join(b)
    assert j.getNumPartitions() == 3
    assert sorted(j.collect()) == [(i, (i, -i)) for i in range(0, 10, 2)]
    shuffles: set[int] = set()

    def walk(rdd) -> None:
        for d in rdd.dependencies():
            if d.is_shuffle:
                shuffles.add(d.shuffle_id)
            walk(d.rdd)

    walk(j)
    assert len(shuffles) == 2  # only the two partitionBy shuffles


# -- partitioning -------------------------------------------------------------------------------
def test_partition_by(ctx: Context) -> None:
    pairs = ctx.parallelize([1, 2, 3, 4, 2, 4, 1]).map(lambda x: (x, x))
    sets = pairs.partitionBy(2).glom().collect()
    assert len(set(sets[0]).intersection(set(sets[1]))) == 0
    assert sets == [[(2, 2), (4, 4), (2, 2), (4, 4)], [(1, 1), (3, 3), (1, 1)]]


def test_partition_by_custom_function_and_reuse(ctx: Context) -> None:
    p = ctx.parallelize([("x", 1), ("yy", 2), ("zzz", 3)]).partitionBy(3, lambda k: len(k))
    assert p.glom().collect() == [[("zzz", 3)], [("x", 1)], [("yy", 2)]]
    same = p.partitionBy(p.getNumPartitions(), p.partitioner.partitionFunc)
    assert same is p  # already partitioned that way: no shuffle
    grouped = p.groupByKey(3, p.partitioner.partitionFunc)
    assert not any(d.is_shuffle for d in grouped.dependencies())


def test_reduce_by_key_on_partitioned_data_skips_the_shuffle(ctx: Context) -> None:
    p = ctx.parallelize([(i % 5, 1) for i in range(50)], 4).partitionBy(4)
    r = p.reduceByKey(add)
    assert not any(d.is_shuffle for d in r.dependencies())
    assert r.partitioner == p.partitioner
    assert sorted(r.collect()) == [(k, 10) for k in range(5)]


# -- sorting -------------------------------------------------------------------------------------
TMP = [("a", 1), ("b", 2), ("1", 3), ("d", 4), ("2", 5)]


def test_sort_by_key(ctx: Context) -> None:
    assert ctx.parallelize(TMP).sortByKey().first() == ("1", 3)
    expected = [("1", 3), ("2", 5), ("a", 1), ("b", 2), ("d", 4)]
    assert ctx.parallelize(TMP).sortByKey(True, 1).collect() == expected
    assert ctx.parallelize(TMP).sortByKey(True, 2).collect() == expected
    assert ctx.parallelize(TMP).sortByKey(False, 3).collect() == expected[::-1]


def test_sort_by_key_with_keyfunc(ctx: Context) -> None:
    tmp2 = [("Mary", 1), ("had", 2), ("a", 3), ("little", 4), ("lamb", 5),
            ("whose", 6), ("fleece", 7), ("was", 8), ("white", 9)]
    assert ctx.parallelize(tmp2).sortByKey(True, 3, keyfunc=lambda k: k.lower()).collect() == [
        ("a", 3), ("fleece", 7), ("had", 2), ("lamb", 5), ("little", 4), ("Mary", 1),
        ("was", 8), ("white", 9), ("whose", 6)]


def test_sort_by_key_is_fully_sorted_across_partitions(ctx: Context) -> None:
    data = [((i * 7919) % 1000, i) for i in range(1000)]
    s = ctx.parallelize(data, 7).sortByKey(numPartitions=5)
    assert s.getNumPartitions() == 5
    parts = s.glom().collect()
    keys = [k for part in parts for k, _ in part]
    assert keys == sorted(k for k, _ in data)
    assert sum(1 for p in parts if p) >= 3  # range partitioned, not all in one
    desc = [k for k, _ in ctx.parallelize(data, 7).sortByKey(False, 4).collect()]
    assert desc == sorted(desc, reverse=True)
    assert ctx.parallelize([], 2).sortByKey().collect() == []


def test_sort_by(ctx: Context) -> None:
    assert ctx.parallelize(TMP).sortBy(lambda x: x[0]).collect() == [
        ("1", 3), ("2", 5), ("a", 1), ("b", 2), ("d", 4)]
    assert ctx.parallelize(TMP).sortBy(lambda x: x[1]).collect() == [
        ("a", 1), ("b", 2), ("1", 3), ("d", 4), ("2", 5)]
    assert ctx.parallelize([5, 3, 9, 1], 2).sortBy(lambda x: x, ascending=False).collect() == [9, 5, 3, 1]


def test_lookup(ctx: Context) -> None:
    pairs = ctx.parallelize(zip(range(1000), range(1000)), 10)
    assert pairs.lookup(42) == [42]
    sorted_pairs = pairs.sortByKey()
    assert sorted_pairs.lookup(42) == [42]
    assert sorted_pairs.lookup(1024) == []
    rdd2 = ctx.parallelize([(("a", "b"), "c")]).groupByKey()
    assert list(rdd2.lookup(("a", "b"))[0]) == ["c"]


def test_lookup_on_partitioned_rdd_scans_one_partition(ctx: Context) -> None:
    p = ctx.parallelize([(i % 10, i) for i in range(100)], 4).partitionBy(5)
    p.count()
    tasks = ctx._scheduler.stats["tasks"]
    assert sorted(p.lookup(3)) == list(range(3, 100, 10))
    assert ctx._scheduler.stats["tasks"] - tasks == 1


def test_count_by_key(ctx: Context) -> None:
    rdd = ctx.parallelize([("a", 1), ("b", 1), ("a", 1)])
    counts = rdd.countByKey()
    assert isinstance(counts, dict)
    assert sorted(counts.items()) == [("a", 2), ("b", 1)]


def test_keyed_operators_on_empty_rdds(ctx: Context) -> None:
    e = ctx.parallelize([], 2)
    assert e.reduceByKey(add).collect() == []
    assert e.groupByKey().collect() == []
    assert e.join(e).collect() == []
    assert e.countByKey() == {}
    with pytest.raises(ValueError):
        ctx.parallelize([(1, 1)]).partitionBy(0)
