"""Key hashing and partitioners.

``portable_hash`` follows PySpark's ``portable_hash`` (None -> 0, tuples combined element by
element) but hashes ``str`` and ``bytes`` with CRC32 instead of Python's salted ``hash`` (and
naive dates/times and Enum members, also salted, by their fields), so partition assignment
never depends on PYTHONHASHSEED: every process of every run agrees. Other objects use
``hash()``; a class whose ``__hash__`` hashes strings (e.g. a frozen dataclass with str
fields) is only stable across processes that share PYTHONHASHSEED.
"""
from __future__ import annotations

import bisect
import datetime as _dt
import sys
from collections.abc import Callable, Hashable
from enum import Enum
from typing import Any
from zlib import crc32

__all__ = ["portable_hash", "Partitioner", "RangeBounds"]

_MASK = sys.maxsize


def portable_hash(x: Hashable) -> int:
    """Return a hash of ``x`` that is the same in every process and run.

    >>> portable_hash("spark") == portable_hash("spark")
    True
    >>> portable_hash(None)
    0
    """
    t = type(x)
    if t is str:
        return crc32(x.encode("utf-8", "surrogatepass"))
    if t is int or t is float or t is bool:
        return hash(x)
    if x is None:
        return 0
    if t is tuple:
        h = 0x345678
        for item in x:
            h ^= portable_hash(item)
            h *= 1000003
            h &= _MASK
        h ^= len(x)
        if h == -1:
            h = -2
        return int(h)
    if t is bytes:
        return crc32(x)
    if isinstance(x, str):  # str subclasses (StrEnum...) equal their str value: hash that
        return crc32(str.encode(x, "utf-8", "surrogatepass"))
    if isinstance(x, tuple):
        return portable_hash(tuple(x))
    if isinstance(x, frozenset):
        h = 0
        for item in x:
            h ^= portable_hash(item)
        return h
    if isinstance(x, (int, float, complex)):  # numbers (IntEnum too) hash by value, unsalted
        return hash(x)
    if isinstance(x, (_dt.datetime, _dt.time)) and x.utcoffset() is None:  # naive: salted by CPython
        fields = (x.hour, x.minute, x.second, x.microsecond)
        return portable_hash((x.year, x.month, x.day) + fields if isinstance(x, _dt.datetime) else fields)
    if type(x) is _dt.date:  # salted by CPython
        return portable_hash((x.year, x.month, x.day))
    if isinstance(x, Enum):  # Enum hashes its (salted) name; members compare by identity
        return portable_hash((type(x).__qualname__, x.name))
    return hash(x)


class Partitioner:
    """Assigns a key to one of ``numPartitions`` partitions as ``partitionFunc(key) % n``.

    Two partitioners are equal when they have the same count and the same function, so a
    keyed operation on data already partitioned this way needs no shuffle.
    """

    __slots__ = ("numPartitions", "partitionFunc")

    def __init__(self, numPartitions: int, partitionFunc: Callable[[Any], int] = portable_hash) -> None:
        if numPartitions < 1:
            raise ValueError(f"numPartitions must be at least 1, got {numPartitions}")
        self.numPartitions = int(numPartitions)
        self.partitionFunc = partitionFunc

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Partitioner) and self.numPartitions == other.numPartitions
                and self.partitionFunc == other.partitionFunc)

    def __hash__(self) -> int:
        return hash((self.numPartitions, id(self.partitionFunc)))

    def __call__(self, key: Any) -> int:
        return self.partitionFunc(key) % self.numPartitions

    def __repr__(self) -> str:
        name = getattr(self.partitionFunc, "__name__", repr(self.partitionFunc))
        return f"Partitioner({self.numPartitions}, {name})"

    def __getstate__(self):
        return (self.numPartitions, self.partitionFunc)

    def __setstate__(self, state):
        self.numPartitions, self.partitionFunc = state


class RangeBounds:
    """The partition function of sortByKey: the index of the range a key falls in."""

    __slots__ = ("bounds", "ascending", "keyfunc", "numPartitions")

    def __init__(self, bounds: list, ascending: bool, keyfunc: Callable[[Any], Any], numPartitions: int) -> None:
        self.bounds = bounds
        self.ascending = ascending
        self.keyfunc = keyfunc
        self.numPartitions = numPartitions

    def __call__(self, key: Any) -> int:
        p = bisect.bisect_left(self.bounds, self.keyfunc(key))
        return p if self.ascending else self.numPartitions - 1 - p

    def __getstate__(self):
        return (self.bounds, self.ascending, self.keyfunc, self.numPartitions)

    def __setstate__(self, state):
        self.bounds, self.ascending, self.keyfunc, self.numPartitions = state
