"""portable_hash and hash partitioning do not depend on PYTHONHASHSEED (unlike ``hash(str)``)."""
from __future__ import annotations

import datetime as dt
import enum
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dstreams import Partitioner, portable_hash

PROBE = """
import datetime as dt, enum, json
from operator import add
from dstreams import Context, portable_hash

class Color(enum.Enum):
    RED = 1

keys = ["", "a", "spark", "héllo", "日本", b"bytes", None, 0, 1, -1, 2**70, 1.5, -0.0, True,
        ("a", 1), ("a", ("b", None)), frozenset({"x", "y"}), dt.date(2024, 1, 2),
        dt.datetime(2024, 1, 2, 3, 4, 5, 6), dt.time(7, 8), Color.RED]
hashes = [portable_hash(k) for k in keys]
words = "the quick brown fox jumps over the lazy dog the end".split()
with Context("local[2]", "hash-probe") as ctx:
    counts = ctx.parallelize(words, 3).map(lambda w: (w, 1)).reduceByKey(add, 4).glom().collect()
    pairs = ctx.parallelize([(w, len(w)) for w in words], 2).partitionBy(3).glom().collect()
print(json.dumps({"hashes": hashes, "counts": counts, "pairs": pairs, "str_hash": hash("spark")}))
"""


def _probe(seed: str, tmp_path: Path) -> dict:
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    return json.loads(out.stdout)


def test_hashes_and_partitions_are_identical_across_hash_seeds(tmp_path: Path) -> None:
    runs = [_probe(seed, tmp_path) for seed in ("0", "1", "random")]
    assert runs[0]["str_hash"] != runs[1]["str_hash"]  # the builtin hash really is salted
    for other in runs[1:]:
        assert other["hashes"] == runs[0]["hashes"]
        assert other["counts"] == runs[0]["counts"]  # reduceByKey: same keys in same partitions
        assert other["pairs"] == runs[0]["pairs"]
    assert sorted(kv for part in runs[0]["counts"] for kv in part) == sorted(
        [["brown", 1], ["dog", 1], ["end", 1], ["fox", 1], ["jumps", 1], ["lazy", 1], ["over", 1],
         ["quick", 1], ["the", 3]])


def test_portable_hash_follows_pyspark_for_none_numbers_and_tuples() -> None:
    assert portable_hash(None) == 0
    for x in (0, 1, -1, -2, 2**64, 3.25, True):
        assert portable_hash(x) == hash(x)
    # PySpark's tuple formula, with element hashes from portable_hash
    h = 0x345678
    for item in (1, None, 2):
        h ^= portable_hash(item)
        h *= 1000003
        h &= sys.maxsize
    h ^= 3
    assert portable_hash((1, None, 2)) == h
    assert portable_hash(()) == 0x345678 ^ 0


def test_equal_keys_hash_equally() -> None:
    class Kind(str, enum.Enum):
        A = "a"

    class Level(enum.IntEnum):
        LOW = 1

    assert portable_hash(Kind.A) == portable_hash("a")
    assert portable_hash(Level.LOW) == portable_hash(1) == portable_hash(1.0) == portable_hash(True)
    assert portable_hash(frozenset({"x", "y"})) == portable_hash(frozenset({"y", "x"}))
    utc = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc)
    plus2 = dt.datetime(2024, 1, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert utc == plus2 and portable_hash(utc) == portable_hash(plus2)
    from collections import namedtuple
    Point = namedtuple("Point", "x y")
    assert portable_hash(Point("a", 1)) == portable_hash(("a", 1))


def test_partitioner() -> None:
    p = Partitioner(4)
    assert p(5) == 1 and p(-1) == portable_hash(-1) % 4 and 0 <= p("word") < 4
    assert p == Partitioner(4, portable_hash)
    assert p != Partitioner(3) and p != Partitioner(4, lambda k: 0)
    with pytest.raises(ValueError):
        Partitioner(0)
