"""Per-batch results of the element-wise, keyed and two-stream operations over queueStream,
as PySpark Streaming produces them (expected values derived from its documented semantics)."""
from __future__ import annotations

import operator

from dstreams.partitioner import Partitioner, portable_hash

BATCHES = [[1, 2, 3, 4], [5, 6], [], [7]]
PAIRS = [[("a", 1), ("b", 2), ("a", 3)], [("b", 4)], [], [("a", 5), ("c", 6), ("a", 7)]]


def run_one(runner, data, op, n=None, sort=False):
    out = runner.collect(op(runner.ssc.queueStream(data)), sort=sort)
    runner.run(n or len(data))
    return out[: n or len(data)]


def test_map(runner):
    assert run_one(runner, BATCHES, lambda s: s.map(lambda x: x * 10)) == [[10, 20, 30, 40], [50, 60], [], [70]]


def test_flatMap(runner):
    assert run_one(runner, [["a b", "c"], ["d e f"]], lambda s: s.flatMap(str.split)) == [
        ["a", "b", "c"], ["d", "e", "f"]]


def test_filter(runner):
    assert run_one(runner, BATCHES, lambda s: s.filter(lambda x: x % 2)) == [[1, 3], [5], [], [7]]


def test_mapPartitions_and_glom(runner, ctx):
    data = [ctx.parallelize([1, 2, 3, 4], 2), ctx.parallelize([5, 6, 7], 2)]
    out = run_one(runner, data, lambda s: s.mapPartitions(lambda it: [sum(it)]))
    assert out == [[3, 7], [5, 13]]


def test_glom(runner, ctx):
    data = [ctx.parallelize(range(1, 5), 2), ctx.parallelize(range(5, 9), 2)]
    assert run_one(runner, data, lambda s: s.glom()) == [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]


def test_mapPartitionsWithIndex(runner, ctx):
    data = [ctx.parallelize([1, 2, 3, 4], 2)]
    out = run_one(runner, data, lambda s: s.mapPartitionsWithIndex(lambda i, it: [(i, list(it))]))
    assert out == [[(0, [1, 2]), (1, [3, 4])]]


def test_reduce_and_count(runner):
    reduced = runner.collect(runner.ssc.queueStream(BATCHES).reduce(operator.add))
    counted = runner.collect(runner.ssc.queueStream(BATCHES).count())
    runner.run(4)
    # an empty queued list is a 2-partition empty RDD: count gives 0, reduce gives nothing
    assert reduced[:4] == [[10], [11], [], [7]]
    assert counted[:4] == [[4], [2], [0], [1]]


def test_count_of_empty_queue_has_no_element(runner):
    # once the queue is empty, batches are empty RDDs without partitions (PySpark: no output)
    out = run_one(runner, [[1]], lambda s: s.count(), n=3)
    assert out == [[1], [], []]


def test_countByValue(runner):
    out = run_one(runner, [["a", "b", "a"], ["c"]], lambda s: s.countByValue(), sort=True)
    assert out == [[("a", 2), ("b", 1)], [("c", 1)]]


def test_reduceByKey(runner):
    out = run_one(runner, PAIRS, lambda s: s.reduceByKey(operator.add), sort=True)
    assert out == [[("a", 4), ("b", 2)], [("b", 4)], [], [("a", 12), ("c", 6)]]


def test_combineByKey(runner):
    out = run_one(runner, PAIRS, lambda s: s.combineByKey(lambda v: [v], lambda c, v: c + [v],
                                                          lambda a, b: a + b), sort=True)
    assert [[(k, sorted(v)) for k, v in b] for b in out] == [
        [("a", [1, 3]), ("b", [2])], [("b", [4])], [], [("a", [5, 7]), ("c", [6])]]


def test_groupByKey(runner):
    out = run_one(runner, PAIRS, lambda s: s.groupByKey().mapValues(sorted), sort=True)
    assert out == [[("a", [1, 3]), ("b", [2])], [("b", [4])], [], [("a", [5, 7]), ("c", [6])]]


def test_mapValues_and_flatMapValues(runner):
    mv = runner.collect(runner.ssc.queueStream(PAIRS[:2]).mapValues(lambda v: v * 2))
    fmv = runner.collect(runner.ssc.queueStream(PAIRS[:2]).flatMapValues(lambda v: range(v)))
    runner.run(2)
    assert mv[:2] == [[("a", 2), ("b", 4), ("a", 6)], [("b", 8)]]
    assert fmv[:2] == [[("a", 0), ("b", 0), ("b", 1), ("a", 0), ("a", 1), ("a", 2)],
                       [("b", 0), ("b", 1), ("b", 2), ("b", 3)]]


def test_partitionBy(runner):
    seen = []
    s = runner.ssc.queueStream(PAIRS[:1]).partitionBy(3)
    s.foreachRDD(lambda rdd: seen.append((rdd.partitioner, rdd.glom().collect())))
    runner.outputs.append(seen)
    runner.run(1)
    partitioner, parts = seen[0]
    assert partitioner == Partitioner(3, portable_hash)
    for i, part in enumerate(parts):
        assert all(portable_hash(k) % 3 == i for k, _ in part)
    assert sorted(x for p in parts for x in p) == sorted(PAIRS[0])


def test_repartition(runner):
    seen = []
    runner.ssc.queueStream([list(range(10))]).repartition(5).foreachRDD(
        lambda rdd: seen.append((rdd.getNumPartitions(), sorted(rdd.collect()))))
    runner.outputs.append(seen)
    runner.run(1)
    assert seen[0] == (5, list(range(10)))


def test_union(runner):
    a = runner.ssc.queueStream([[1, 2], [3]])
    b = runner.ssc.queueStream([[10], [20, 30]])
    out = runner.collect(a.union(b), sort=True)
    both = runner.collect(runner.ssc.union(runner.ssc.queueStream([[1]]), runner.ssc.queueStream([[2]]),
                                           runner.ssc.queueStream([[3]])), sort=True)
    runner.run(2)
    assert out[:2] == [[1, 2, 10], [3, 20, 30]]
    assert both[0] == [1, 2, 3]


def _two(runner, op):
    a = runner.ssc.queueStream([[("a", 1), ("b", 2)], [("c", 3)]])
    b = runner.ssc.queueStream([[("a", "x"), ("a", "y"), ("d", "z")], [("c", "w")]])
    out = runner.collect(op(a, b), sort=True)
    runner.run(2)
    return out[:2]


def test_join(runner):
    assert _two(runner, lambda a, b: a.join(b)) == [[("a", (1, "x")), ("a", (1, "y"))], [("c", (3, "w"))]]


def test_leftOuterJoin(runner):
    assert _two(runner, lambda a, b: a.leftOuterJoin(b)) == [
        [("a", (1, "x")), ("a", (1, "y")), ("b", (2, None))], [("c", (3, "w"))]]


def test_rightOuterJoin(runner):
    assert _two(runner, lambda a, b: a.rightOuterJoin(b)) == [
        [("a", (1, "x")), ("a", (1, "y")), ("d", (None, "z"))], [("c", (3, "w"))]]


def test_fullOuterJoin(runner):
    assert _two(runner, lambda a, b: a.fullOuterJoin(b)) == [
        [("a", (1, "x")), ("a", (1, "y")), ("b", (2, None)), ("d", (None, "z"))], [("c", (3, "w"))]]


def test_cogroup(runner):
    out = _two(runner, lambda a, b: a.cogroup(b).mapValues(lambda vw: (sorted(vw[0]), sorted(vw[1]))))
    assert out == [[("a", ([1], ["x", "y"])), ("b", ([2], [])), ("d", ([], ["z"]))], [("c", ([3], ["w"]))]]


def test_transform_with_and_without_time(runner):
    times = []

    def with_time(t, rdd):
        times.append(t)
        return rdd.map(lambda x: x + 1)

    a = runner.collect(runner.ssc.queueStream([[1], [2]]).transform(lambda rdd: rdd.map(lambda x: -x)))
    b = runner.collect(runner.ssc.queueStream([[1], [2]]).transform(with_time))
    runner.run(2)
    assert a[:2] == [[-1], [-2]] and b[:2] == [[2], [3]]
    assert [int(t.timestamp() * 1000) for t in times[:2]] == [500, 1000]


def test_transformWith_and_ssc_transform(runner):
    a = runner.ssc.queueStream([[1, 2], [3]])
    b = runner.ssc.queueStream([[2], [3, 4]])
    inter = runner.collect(a.transformWith(lambda x, y: x.intersection(y), b), sort=True)
    three = runner.collect(runner.ssc.transform(
        [runner.ssc.queueStream([[1]]), runner.ssc.queueStream([[2]]), runner.ssc.queueStream([[3]])],
        lambda rdds: rdds[0].union(rdds[1]).union(rdds[2]).map(lambda x: x * 100)), sort=True)
    runner.run(2)
    assert inter[:2] == [[2], [3]]
    assert three[0] == [100, 200, 300]


def test_queueStream_all_at_once_and_default(runner, ctx):
    allq = runner.collect(runner.ssc.queueStream([[1], [2], [3]], oneAtATime=False), sort=True)
    dflt = runner.collect(runner.ssc.queueStream([[1]], default=ctx.parallelize([0], 1)))
    runner.run(3)
    assert allq[:3] == [[1, 2, 3], [], []]
    assert dflt[:3] == [[1], [0], [0]]


def test_live_deque_queue(runner):
    from collections import deque
    q = deque([[1]])
    out = runner.collect(runner.ssc.queueStream(q))
    runner.run(1)
    q.append([2, 3])
    runner.run(1)
    assert out[:2] == [[1], [2, 3]]


def test_chained_narrow_ops_are_fused(runner):
    from dstreams.streaming.dstream import TransformedDStream
    s = runner.ssc.queueStream([[1, 2, 3]])
    chained = s.map(lambda x: x + 1).filter(lambda x: x > 2).map(str)
    assert type(chained) is TransformedDStream and chained._parents[0] is s
    cached = s.map(lambda x: x).cache()
    after = cached.map(str)
    assert after._parents[0] is cached
    out = runner.collect(chained)
    runner.run(1)
    assert out[0] == ["3", "4"]
