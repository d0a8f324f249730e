"""Window operations: per-batch results as PySpark Streaming gives them, and incrementality."""
from __future__ import annotations

import operator

import pytest

SIZES = [list(range(n)) for n in range(1, 6)]          # batches of sizes 1..5 (range(1)..range(5))
RANGES = [list(range(n)) for n in range(1, 7)]         # range(1)..range(6)


@pytest.fixture
def ck(runner, tmp_path):
    runner.ssc.checkpoint(str(tmp_path / "ck"))
    return runner


def test_window_count(runner):
    out = runner.collect(runner.ssc.queueStream(SIZES).window(1.5, 0.5).count())
    runner.run(8)
    # the example; the 8th window holds only empty batches (no partitions: no count)
    assert out[:8] == [[1], [3], [6], [9], [12], [9], [5], []]


def test_window_with_slide(runner):
    out = runner.collect(runner.ssc.queueStream([[1], [2], [3], [4], [5]]).window(1.0, 1.0), sort=True)
    runner.run(6)
    # slide of two batches: windows end at batches 2, 4, 6
    assert out[:3] == [[1, 2], [3, 4], [5]]


def test_window_must_be_multiple_of_batch(runner):
    s = runner.ssc.queueStream([[1]])
    with pytest.raises(ValueError, match="multiple of the parent dstream's slide"):
        s.window(0.7, 0.5)
    with pytest.raises(ValueError, match="slideDuration must be multiple"):
        s.window(1.0, 0.3)


def test_reduceByWindow_without_inverse(runner):
    out = runner.collect(runner.ssc.queueStream(SIZES).reduceByWindow(operator.add, None, 1.5, 0.5))
    runner.run(7)
    # batch sums 0, 1, 3, 6, 10; windows of three batches
    assert out[:7] == [[0], [1], [4], [10], [19], [16], [10]]


def test_countByWindow(ck):
    out = ck.collect(ck.ssc.queueStream(SIZES).countByWindow(1.5, 0.5))
    ck.run(8)
    assert out[:8] == [[1], [3], [6], [9], [12], [9], [5], []]


def test_countByValueAndWindow_incremental(ck):
    out = ck.collect(ck.ssc.queueStream(RANGES).countByValueAndWindow(2.5, 0.5), sort=True)
    ck.run(11)
    assert out[:11] == [
        [(0, 1)], [(0, 2), (1, 1)], [(0, 3), (1, 2), (2, 1)], [(0, 4), (1, 3), (2, 2), (3, 1)],
        [(0, 5), (1, 4), (2, 3), (3, 2), (4, 1)], [(0, 5), (1, 5), (2, 4), (3, 3), (4, 2), (5, 1)],
        [(0, 4), (1, 4), (2, 4), (3, 3), (4, 2), (5, 1)], [(0, 3), (1, 3), (2, 3), (3, 3), (4, 2), (5, 1)],
        [(0, 2), (1, 2), (2, 2), (3, 2), (4, 2), (5, 1)], [(0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1)],
        [],
    ]


def test_groupByKeyAndWindow(ck):
    data = [[("a", i)] for i in range(5)]
    out = ck.collect(ck.ssc.queueStream(data).groupByKeyAndWindow(1.5, 0.5).mapValues(list))
    ck.run(8)
    assert out[:8] == [[("a", [0])], [("a", [0, 1])], [("a", [0, 1, 2])], [("a", [1, 2, 3])],
                       [("a", [2, 3, 4])], [("a", [3, 4])], [("a", [4])], []]


def test_reduceByKeyAndWindow_without_inverse(runner):
    s = runner.ssc.queueStream(RANGES).map(lambda x: (x, 1))
    out = runner.collect(s.reduceByKeyAndWindow(operator.add, None, 2.5, 0.5).filter(lambda kv: kv[1] > 0).count())
    runner.run(6)
    assert out[:6] == [[1], [2], [3], [4], [5], [6]]


def test_reduceByKeyAndWindow_inverse_keeps_zero_keys_without_filter(ck):
    data = [[("a", 1)], [("b", 1)], [], [], [], [], []]
    plain = ck.collect(ck.ssc.queueStream(data).reduceByKeyAndWindow(operator.add, operator.sub, 2.5, 0.5),
                       sort=True)
    pruned = ck.collect(ck.ssc.queueStream(data).reduceByKeyAndWindow(
        operator.add, operator.sub, 2.5, 0.5, filterFunc=lambda kv: kv[1] > 0), sort=True)
    ck.run(7)
    # incremental (window of 5 slides): expired keys stay with 0 unless filterFunc prunes them
    assert plain[:7] == [[("a", 1)], [("a", 1), ("b", 1)], [("a", 1), ("b", 1)], [("a", 1), ("b", 1)],
                         [("a", 1), ("b", 1)], [("a", 0), ("b", 1)], [("a", 0), ("b", 0)]]
    assert pruned[:7] == [[("a", 1)], [("a", 1), ("b", 1)], [("a", 1), ("b", 1)], [("a", 1), ("b", 1)],
                          [("a", 1), ("b", 1)], [("b", 1)], []]


def test_reduceByKeyAndWindow_with_slide(ck):
    data = [[("a", i)] for i in range(1, 13)]
    out = ck.collect(ck.ssc.queueStream(data).reduceByKeyAndWindow(operator.add, operator.sub, 5.0, 1.0))
    ck.run(12)
    # output every 2 batches over the last 10 batches
    assert out[:6] == [[("a", 3)], [("a", 10)], [("a", 21)], [("a", 36)], [("a", 55)], [("a", 75)]]


@pytest.mark.parametrize("window_batches", [10, 20])
def test_inverse_window_touches_only_new_and_expired_slices(ck, ctx, window_batches):
    runner = ck
    calls, inv_calls = ctx.accumulator(0), ctx.accumulator(0)

    def add(a, b):
        calls.add(1)
        return a + b

    def sub(a, b):
        inv_calls.add(1)
        return a - b

    keys = [f"k{i}" for i in range(50)]
    n = window_batches + 4
    s = runner.ssc.queueStream([[(k, 1) for k in keys] for _ in range(n)])
    counts = []
    w = s.reduceByKeyAndWindow(add, sub, window_batches * 0.5, 0.5)

    def record(rdd):
        data = dict(rdd.collect())
        counts.append((calls.value, inv_calls.value, data["k0"]))

    w.foreachRDD(record)
    runner.outputs.append(counts)
    runner.run(n)
    per_batch = [(c2 - c1, i2 - i1) for (c1, i1, _), (c2, i2, _) in zip(counts, counts[1:])]
    # batches 2..window: only the new slice is merged (50 keys); after that the expired
    # slice is subtracted too: the work never depends on the window length
    assert per_batch[: window_batches - 1] == [(50, 0)] * (window_batches - 1)
    assert per_batch[window_batches - 1: n - 1] == [(50, 50)] * (n - window_batches)
    assert [c for _, _, c in counts[:n]] == [min(i, window_batches) for i in range(1, n + 1)]
