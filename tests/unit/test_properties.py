"""Property tests: every keyed operator equals the same computation in plain Python, for random
data and partition counts; textFile returns a file's lines for any number of splits."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from operator import add
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dstreams import Context, portable_hash

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

keys = st.one_of(st.integers(-5, 5), st.sampled_from(["a", "b", "c", "dd", "é"]))
int_keys = st.integers(-20, 20)
str_keys = st.text(alphabet="abcxyz", max_size=3)
pairs = st.lists(st.tuples(keys, st.integers(-100, 100)), max_size=40)
parts = st.integers(1, 6)


def _group(data: list) -> dict:
    out: dict = defaultdict(list)
    for k, v in data:
        out[k].append(v)
    return out


def _canon(items) -> list:
    """Sort pairs whose keys may mix ints and strings."""
    return sorted(items, key=repr)


# -- aggregations -----------------------------------------------------------------------------------
@SETTINGS
@given(data=pairs, n=parts, m=st.one_of(st.none(), parts))
def test_reduce_fold_aggregate_combine_by_key(ctx: Context, data: list, n: int, m: int | None) -> None:
    rdd = ctx.parallelize(data, n)
    groups = _group(data)
    sums = {k: sum(vs) for k, vs in groups.items()}
    reduced = rdd.reduceByKey(add, m).collect()
    assert len(reduced) == len(sums) and dict(reduced) == sums
    assert rdd.reduceByKey(add, m).getNumPartitions() == (m or n)
    assert dict(rdd.foldByKey(0, add, m).collect()) == sums
    agg = rdd.aggregateByKey((0, 0), lambda a, v: (a[0] + v, a[1] + 1),
                             lambda a, b: (a[0] + b[0], a[1] + b[1]), m).collect()
    assert dict(agg) == {k: (sum(vs), len(vs)) for k, vs in groups.items()}
    combined = rdd.combineByKey(lambda v: [v], lambda c, v: c + [v], lambda a, b: a + b, m).collect()
    assert {k: sorted(c) for k, c in combined} == {k: sorted(vs) for k, vs in groups.items()}
    assert rdd.reduceByKeyLocally(add) == sums


@SETTINGS
@given(data=pairs, n=parts, m=st.one_of(st.none(), parts))
def test_group_by_key_and_counts(ctx: Context, data: list, n: int, m: int | None) -> None:
    rdd = ctx.parallelize(data, n)
    groups = _group(data)
    got = rdd.groupByKey(m).collect()
    assert len(got) == len(groups)
    assert {k: sorted(vs) for k, vs in got} == {k: sorted(vs) for k, vs in groups.items()}
    assert dict(rdd.countByKey()) == {k: len(vs) for k, vs in groups.items()}
    assert dict(rdd.countByValue()) == dict(Counter(data))
    by = rdd.groupBy(lambda kv: kv[1] % 3, m).mapValues(_canon).collect()
    expect: dict = defaultdict(list)
    for kv in data:
        expect[kv[1] % 3].append(kv)
    assert dict(by) == {k: _canon(v) for k, v in expect.items()}


@SETTINGS
@given(data=pairs, n=parts)
def test_a_key_lives_in_exactly_the_partition_its_hash_selects(ctx: Context, data: list, n: int) -> None:
    rdd = ctx.parallelize(data, 3)
    for grouped in (rdd.partitionBy(n), rdd.reduceByKey(add, n), rdd.groupByKey(n)):
        glom = grouped.glom().collect()
        assert len(glom) == n
        for i, part in enumerate(glom):
            assert all(portable_hash(k) % n == i for k, _ in part)
    assert Counter(x for part in rdd.partitionBy(n).glom().collect() for x in part) == Counter(data)


@SETTINGS
@given(data=pairs, n=parts, m=parts, probe=keys)
def test_lookup_and_per_value_maps(ctx: Context, data: list, n: int, m: int, probe) -> None:
    rdd = ctx.parallelize(data, n)
    values = [v for k, v in data if k == probe]
    assert sorted(rdd.lookup(probe)) == sorted(values)
    assert sorted(rdd.partitionBy(m).lookup(probe)) == sorted(values)  # scans one partition only
    assert rdd.reduceByKey(add, m).lookup(probe) == ([sum(values)] if values else [])
    assert rdd.keys().collect() == [k for k, _ in data]
    assert rdd.values().collect() == [v for _, v in data]
    assert rdd.mapValues(lambda v: v * 2).collect() == [(k, v * 2) for k, v in data]
    assert rdd.flatMapValues(lambda v: range(v % 3)).collect() == [(k, i) for k, v in data for i in range(v % 3)]
    assert rdd.collectAsMap() == dict(data)


# -- joins and set operations ----------------------------------------------------------------------
@SETTINGS
@given(left=pairs, right=pairs, n1=parts, n2=parts, m=st.one_of(st.none(), parts))
def test_joins_and_cogroup(ctx: Context, left: list, right: list, n1: int, n2: int, m: int | None) -> None:
    a, b = ctx.parallelize(left, n1), ctx.parallelize(right, n2)
    lg, rg = _group(left), _group(right)
    inner = [(k, (v, w)) for k in lg for v in lg[k] for w in rg.get(k, [])]
    left_outer = inner + [(k, (v, None)) for k in lg if k not in rg for v in lg[k]]
    right_outer = inner + [(k, (None, w)) for k in rg if k not in lg for w in rg[k]]
    full = left_outer + [(k, (None, w)) for k in rg if k not in lg for w in rg[k]]
    assert _canon(a.join(b, m).collect()) == _canon(inner)
    assert _canon(a.leftOuterJoin(b, m).collect()) == _canon(left_outer)
    assert _canon(a.rightOuterJoin(b, m).collect()) == _canon(right_outer)
    assert _canon(a.fullOuterJoin(b, m).collect()) == _canon(full)
    assert a.join(b, m).getNumPartitions() == (m or n1 + n2)
    cg = {k: (sorted(x), sorted(y)) for k, (x, y) in a.cogroup(b, m).collect()}
    assert cg == {k: (sorted(lg.get(k, [])), sorted(rg.get(k, []))) for k in set(lg) | set(rg)}
    assert _canon(a.subtractByKey(b, m).collect()) == _canon([(k, v) for k, v in left if k not in rg])


@SETTINGS
@given(xs=st.lists(keys, max_size=30), ys=st.lists(keys, max_size=30), n1=parts, n2=parts)
def test_distinct_union_intersection_subtract_cartesian(ctx: Context, xs: list, ys: list,
                                                        n1: int, n2: int) -> None:
    a, b = ctx.parallelize(xs, n1), ctx.parallelize(ys, n2)
    assert _canon(a.distinct().collect()) == _canon(set(xs))
    assert a.union(b).collect() == xs + ys
    assert _canon(a.intersection(b).collect()) == _canon(set(xs) & set(ys))
    assert _canon(a.subtract(b).collect()) == _canon([x for x in xs if x not in set(ys)])
    assert Counter(a.cartesian(b).collect()) == Counter((x, y) for x in xs for y in ys)


# -- ordering ------------------------------------------------------------------------------------------
@SETTINGS
@given(data=st.lists(st.tuples(int_keys, st.integers()), max_size=60), n=parts,
       m=st.one_of(st.none(), parts), ascending=st.booleans())
def test_sort_by_key(ctx: Context, data: list, n: int, m: int | None, ascending: bool) -> None:
    out = ctx.parallelize(data, n).sortByKey(ascending, m).collect()
    assert [k for k, _ in out] == sorted((k for k, _ in data), reverse=not ascending)
    assert Counter(out) == Counter(data)


@SETTINGS
@given(words=st.lists(str_keys, max_size=60), n=parts, m=parts)
def test_sort_by_and_top(ctx: Context, words: list, n: int, m: int) -> None:
    rdd = ctx.parallelize(words, n)
    assert rdd.sortBy(lambda w: (len(w), w), numPartitions=m).collect() == sorted(words, key=lambda w: (len(w), w))
    assert rdd.top(3) == sorted(words, reverse=True)[:3]
    assert rdd.takeOrdered(4, key=len) == sorted(words, key=len)[:4]


# -- partition layout --------------------------------------------------------------------------------
@SETTINGS
@given(data=st.lists(st.integers(), max_size=50), n=st.integers(1, 8), m=st.integers(1, 8))
def test_parallelize_coalesce_repartition_zip_with_index(ctx: Context, data: list, n: int, m: int) -> None:
    rdd = ctx.parallelize(data, n)
    glom = rdd.glom().collect()
    assert [len(p) for p in glom] == [(i + 1) * len(data) // n - i * len(data) // n for i in range(n)]
    assert rdd.coalesce(m).collect() == data
    assert rdd.coalesce(m).getNumPartitions() == min(m, n)
    assert Counter(rdd.repartition(m).collect()) == Counter(data)
    assert rdd.repartition(m).getNumPartitions() == m
    assert rdd.zipWithIndex().collect() == [(x, i) for i, x in enumerate(data)]
    assert rdd.take(5) == data[:5]
    assert rdd.sum() == sum(data) and rdd.count() == len(data)


# -- text files ---------------------------------------------------------------------------------------
line_text = st.text(alphabet="ab é\t", max_size=12)
terminator = st.sampled_from(["\n", "\r\n", "\r"])


@SETTINGS
@given(lines=st.lists(st.tuples(line_text, terminator), max_size=25), last_terminated=st.booleans(),
       n=st.integers(1, 40))
def test_text_file_returns_every_line_once_for_any_split(ctx: Context, tmp_path_factory, lines: list,
                                                         last_terminated: bool, n: int) -> None:
    content = "".join(text + eol for text, eol in lines)
    if lines and not last_terminated:
        content = content[: -len(lines[-1][1])]
    path = Path(tmp_path_factory.mktemp("text")) / "f.txt"
    path.write_bytes(content.encode("utf-8"))
    expected = re.split(r"\r\n|\r|\n", content) if content else []
    if content.endswith(("\n", "\r")):
        expected.pop()
    rdd = ctx.textFile(str(path), n)
    assert rdd.collect() == expected
