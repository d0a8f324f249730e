"""The hash join gives PySpark's python_join results record for record, and reuses shuffles."""
from __future__ import annotations

import pytest

from dstreams import Context


class _Tag:
    def __init__(self, i):
        self.i = i

    def __call__(self, v):
        return (self.i, v)


def python_join(a, b, n, keep_left_missing, keep_right_missing):
    """PySpark's python_join / python_left_outer_join... (what dstreams did before)."""
    def dispatch(values):
        vbuf, wbuf = [], []
        for i, v in values:
            (vbuf if i == 0 else wbuf).append(v)
        if keep_right_missing and not wbuf:
            wbuf.append(None)
        if keep_left_missing and not vbuf:
            vbuf.append(None)
        return [(v, w) for v in vbuf for w in wbuf]

    return a.mapValues(_Tag(0)).union(b.mapValues(_Tag(1))).groupByKey(n).flatMapValues(dispatch)


LEFT = [(1, "a"), (2, "b"), (3, "c"), (1, "d"), ("k", 0), (None, 1), (7, "x")]
RIGHT = [(3, "z"), (1, "y"), (1, "w"), ("k", 1), (9, "q"), (None, None), (3, "zz")]
VARIANTS = [("join", False, False), ("leftOuterJoin", False, True), ("rightOuterJoin", True, False),
            ("fullOuterJoin", True, True)]


def _sides(ctx: Context, kind: str):
    a, b = ctx.parallelize(LEFT, 2), ctx.parallelize(RIGHT, 3)
    if kind == "a-partitioned":
        a = a.partitionBy(5)
    elif kind == "b-partitioned":
        b = b.partitionBy(5)
    elif kind == "both-partitioned":
        a, b = a.partitionBy(5), b.partitionBy(5)
    elif kind == "both-partitioned-otherwise":
        a, b = a.partitionBy(3), b.partitionBy(3)
    elif kind == "b-cached":
        b = b.cache()
    return a, b


@pytest.mark.parametrize("kind", ["plain", "a-partitioned", "b-partitioned", "both-partitioned",
                                  "both-partitioned-otherwise", "b-cached"])
@pytest.mark.parametrize("n", [None, 5, 1])
def test_join_matches_python_join_in_order(ctx, kind, n):
    a, b = _sides(ctx, kind)
    for name, keep_left, keep_right in VARIANTS:
        got = getattr(a, name)(b, n)
        want = python_join(a, b, n if n is not None else got.getNumPartitions(), keep_left, keep_right)
        assert got.glom().collect() == want.glom().collect(), name


def test_join_with_a_cached_side_shuffles_it_once(ctx):
    static = ctx.parallelize([(i, -i) for i in range(100)], 2).cache()

    def stages():
        return ctx._scheduler.stats["stages"]

    first = ctx.parallelize([(i, i) for i in range(0, 100, 7)], 2)
    assert sorted(first.join(static).collect()) == [(i, (i, -i)) for i in range(0, 100, 7)]
    before = stages()
    second = ctx.parallelize([(i, i) for i in range(0, 100, 9)], 2)
    assert sorted(second.join(static).collect()) == [(i, (i, -i)) for i in range(0, 100, 9)]
    assert stages() - before == 2  # the new side's map stage and the result stage
    static.unpersist()
    assert "_partitioned_by" not in static.__dict__


def test_join_of_empty_sides(ctx):
    e = ctx.emptyRDD()
    x = ctx.parallelize([("a", 1)], 2)
    assert x.join(e).collect() == [] and e.join(x).collect() == []
    assert x.leftOuterJoin(e).collect() == [("a", (1, None))]
    assert e.rightOuterJoin(x).collect() == [("a", (None, 1))]
