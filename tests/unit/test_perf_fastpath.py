"""The fast paths of dstreams.fastpath and the shuffle give exactly the generic path's results."""
from __future__ import annotations

import operator
import pickle
from functools import partial
from itertools import repeat

import pytest

from dstreams.fastpath import ConstPairs, const_pair, count_into, is_add, is_identity
from dstreams.partitioner import portable_hash
from dstreams.storage.shuffle import (SUM, Aggregator, bucket_records, combine_const, combine_values, key_hashes,
                                      read_shuffle, write_shuffle)


def _add(a, b):
    return operator.add(a, b)  # an add the recognizer must not know: the generic path


def _ident(x):
    return (lambda y: y)(x)


GENERIC_SUM = Aggregator(_ident, _add, _add)
FAST_SUM = Aggregator(lambda x: x, operator.add, lambda a, b: a + b)


# -- recognition ------------------------------------------------------------------------------
def test_recognizes_addition_by_bytecode_only():
    assert is_add(operator.add)
    assert is_add(lambda a, b: a + b)
    assert is_add(lambda x, y: x + y)

    def named(left, right):
        """An adder with a docstring."""
        return left + right
    assert is_add(named)
    k = 1
    for f in (lambda a, b: b + a, lambda a, b: a - b, lambda a, b: a + b + k, lambda a, b=1: a + b + 0,
              lambda a, *b: a + b, lambda a, b, *, c=0: a + b, lambda a: a + a, _add, sum, partial(operator.add),
              operator.iadd, operator.concat):
        assert not is_add(f), f


def test_recognizes_identity_and_constant_pairs():
    assert is_identity(lambda x: x)
    assert not is_identity(lambda x: (x,))
    assert not is_identity(lambda x, y=0: x)
    assert const_pair(lambda w: (w, 1)) == (1,)
    assert const_pair(lambda line: (line, "a")) == ("a",)
    assert const_pair(lambda w: (w, None)) == (None,)
    assert const_pair(lambda w: (w, (1, 2))) == ((1, 2),)
    one = 1
    for f in (lambda w: (w, one), lambda w: (1, w), lambda w: (w, 1, 2), lambda w: [w, 1], lambda w, x=0: (w, 1),
              lambda w: (w.lower(), 1), str.split, partial(lambda w: (w, 1))):
        assert const_pair(f) is None, f


def test_aggregator_kind_survives_pickling():
    assert FAST_SUM.kind == SUM
    assert GENERIC_SUM.kind is None
    assert Aggregator(lambda x: [x], operator.add, operator.add).kind is None
    assert pickle.loads(pickle.dumps(Aggregator(_ident_fn, operator.add, operator.add))).kind == SUM


def _ident_fn(x):
    return x


# -- combining --------------------------------------------------------------------------------
KEYS = ["b", "a", "b", "c", "a", "b", 1, (1, "x"), None, 1, 2.5, "a"]


@pytest.mark.parametrize("value", [1, 0, -3, 7, 2**70, True, 1.1, "s", (1,), None])
def test_sum_of_a_constant_matches_the_generic_combine(value):
    pairs = list(zip(KEYS, repeat(value)))
    try:
        expected = combine_values(GENERIC_SUM, pairs)
    except TypeError:  # None + None: both paths must fail the same way
        with pytest.raises(TypeError):
            combine_const(FAST_SUM, iter(KEYS), value)
        return
    got = combine_const(FAST_SUM, iter(KEYS), value)
    assert list(got.items()) == list(expected.items())  # same values, same key order
    assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]


def test_count_into_counts_in_first_seen_order():
    assert list(count_into(iter("abracadabra"), 2).items()) == [("a", 10), ("b", 4), ("r", 4), ("c", 2), ("d", 2)]


@pytest.mark.parametrize("values", [
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    [0.1, 0.2, 0.3, 1e16, 1.0, -1e16, 0.7, 0.1, 0.2, 0.3, 0.4, 0.5],
    list("abcdefghijkl"),
    [[1], [2], [3], [4], [5], [6], [7], [8], [9], [10], [11], [12]],
])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_shuffle_of_a_sum_matches_the_generic_path(values, n):
    maps = [list(zip(KEYS, values)), list(zip(reversed(KEYS), values))]

    def run(agg):
        outputs = [write_shuffle(iter(m), n, portable_hash, agg) for m in maps]
        return [list(read_shuffle([o[r] for o in outputs], agg)) for r in range(n)]

    assert run(FAST_SUM) == run(GENERIC_SUM)


def test_shuffle_of_constant_pairs_matches_the_generic_path():
    for value in (1, 5, 1.5, "x"):
        fast = write_shuffle(ConstPairs(iter(KEYS), value), 3, portable_hash, FAST_SUM)
        slow = write_shuffle(iter(list(zip(KEYS, repeat(value)))), 3, portable_hash, GENERIC_SUM)
        assert [list(bucket_records(b)) for b in fast] == [list(bucket_records(b)) for b in slow]
        no_agg = write_shuffle(ConstPairs(iter(KEYS), value), 3, portable_hash, None)
        assert [list(bucket_records(b)) for b in no_agg] == [
            [(k, value) for k in KEYS if portable_hash(k) % 3 == r] for r in range(3)]


def test_reduce_side_sum_with_repeated_keys_in_a_bucket():
    # buckets normally hold distinct keys; the merge must still be right when they do not
    blobs = [pickle.dumps([("a", 1), ("b", 2), ("a", 3)]), pickle.dumps([("b", 1), ("c", 1), ("c", 1)])]
    assert list(read_shuffle(blobs, FAST_SUM)) == list(read_shuffle(blobs, GENERIC_SUM)) == [
        ("a", 4), ("b", 3), ("c", 2)]


def test_key_hashes_are_portable_hash():
    for keys in (["a", "é", "\ud800x", ""], [1, -5, 2**80, True, 2.5], ["a", 1, None, (1, "b")]):
        assert list(key_hashes(keys, portable_hash)) == [portable_hash(k) for k in keys]
    assert list(key_hashes([3, 4], lambda k: k * 10)) == [30, 40]


# -- through RDDs -------------------------------------------------------------------------------
WORDS = "the quick brown fox jumps over the lazy dog the end".split() * 7 + ["x", 3, 3, None]


def test_word_count_fast_path_equals_generic(ctx):
    one = 1
    fast = ctx.parallelize(WORDS, 3).map(lambda w: (w, 1)).reduceByKey(operator.add, 2).collect()
    slow = ctx.parallelize(WORDS, 3).map(lambda w: (w, one)).reduceByKey(_add, 2).collect()
    assert fast == slow
    assert dict(fast)["the"] == 21


def test_constant_pairs_feed_later_steps_as_pairs(ctx):
    rdd = ctx.parallelize(WORDS[:6], 2).map(lambda w: (w, 1))
    assert rdd.mapPartitions(lambda it: [next(it)]).collect() == [("the", 1), ("fox", 1)]
    assert rdd.filter(lambda kv: kv[0] != "the").keys().collect() == ["quick", "brown", "fox", "jumps", "over"]
    cached = rdd.cache()
    assert cached.reduceByKey(operator.add).collectAsMap() == {"the": 1, "quick": 1, "brown": 1, "fox": 1,
                                                                "jumps": 1, "over": 1}
    assert cached.reduceByKey(operator.add).collectAsMap() == {"the": 1, "quick": 1, "brown": 1, "fox": 1,
                                                                "jumps": 1, "over": 1}


def test_combine_without_shuffle_uses_the_constant(ctx):
    parted = ctx.parallelize(WORDS, 2).map(lambda w: (w, 1)).partitionBy(2)
    keys = parted.keys()
    again = keys.map(lambda w: (w, 2)).reduceByKey(lambda a, b: a + b, 2)  # not partitioned: shuffles
    assert sorted(again.collect(), key=repr) == sorted(((k, 2 * WORDS.count(k)) for k in set(WORDS)), key=repr)
    same = parted.reduceByKey(operator.add, 2)  # already partitioned: combined in place
    assert sorted(same.collect(), key=repr) == sorted(((k, WORDS.count(k)) for k in set(WORDS)), key=repr)


def test_count_of_partitions(ctx):
    assert ctx.parallelize(range(1001), 4).count() == 1001
    assert ctx.parallelize([], 2).count() == 0


@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("n", [1, 2, 3, 9])
def test_bucket_formats_round_trip(keep, n):
    records = [("a", 1), (2, [1]), ("c", None), ((1, 2), 3.5), ("a", 2)]
    buckets = write_shuffle(iter(records), n, portable_hash, None, keep)
    assert sorted((list(bucket_records(b)) for b in buckets), key=repr) == sorted(
        ([r for r in records if portable_hash(r[0]) % n == i] for i in range(n)), key=repr)
    odd = [("a", 1, "extra"), ["b", 2], ("c", 3)]  # not all 2-tuples: stored as they are
    buckets = write_shuffle(iter(odd), n, portable_hash, None, keep)
    assert sorted((x for b in buckets for x in bucket_records(b)), key=repr) == sorted(odd, key=repr)
    scalars = write_shuffle(iter([("x", 1), ("y", 2.5)]), 1, portable_hash, None, keep)
    assert (type(scalars[0]) is not bytes) == keep  # in-process stores keep immutable scalars unpickled
    mutable = write_shuffle(iter([("x", [1])]), 1, portable_hash, None, keep)
    assert type(mutable[0]) is bytes  # anything mutable is always pickled (a private copy)
    assert pickle.loads(mutable[0]) == [("x", [1])]  # plain pickle reads the list of records
