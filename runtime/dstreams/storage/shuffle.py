"""Shuffle write and read: map tasks bucket (and pre-combine) records by reduce partition,
reduce tasks fetch their bucket from every map output and merge.

Buckets are stored pickled (protocol 5), so a reduce-side merge that mutates a combiner can
never corrupt a stored map output, and the memory and Redis stores share one format.
"""
from __future__ import annotations

import pickle
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..errors import FetchFailedError

__all__ = ["Aggregator", "ShuffleStore", "MemoryShuffleStore", "write_shuffle", "read_shuffle",
           "combine_values", "merge_combiners"]

_MISSING = object()


class Aggregator:
    """The three functions of combineByKey, and whether maps combine before the shuffle."""

    __slots__ = ("createCombiner", "mergeValue", "mergeCombiners", "map_side_combine")

    def __init__(self, createCombiner: Callable, mergeValue: Callable, mergeCombiners: Callable,
                 map_side_combine: bool = True) -> None:
        self.createCombiner = createCombiner
        self.mergeValue = mergeValue
        self.mergeCombiners = mergeCombiners
        self.map_side_combine = map_side_combine

    def __getstate__(self):
        return (self.createCombiner, self.mergeValue, self.mergeCombiners, self.map_side_combine)

    def __setstate__(self, state):
        self.createCombiner, self.mergeValue, self.mergeCombiners, self.map_side_combine = state


def combine_values(agg: Aggregator, records: Iterable[tuple], into: dict | None = None) -> dict:
    """Return a dict key -> combiner built from (key, value) records (insertion-ordered)."""
    d: dict = {} if into is None else into
    create, merge = agg.createCombiner, agg.mergeValue
    get = d.get
    for k, v in records:
        c = get(k, _MISSING)
        d[k] = create(v) if c is _MISSING else merge(c, v)
    return d


def merge_combiners(agg: Aggregator, pairs: Iterable[tuple], into: dict | None = None) -> dict:
    """Return a dict key -> combiner merging (key, combiner) pairs."""
    d: dict = {} if into is None else into
    merge = agg.mergeCombiners
    get = d.get
    for k, c in pairs:
        old = get(k, _MISSING)
        d[k] = c if old is _MISSING else merge(old, c)
    return d


class ShuffleStore(ABC):
    """Where map outputs live, one serialized bucket per (shuffle, map, reduce)."""

    @abstractmethod
    def write(self, shuffle_id: int, map_id: int, buckets: list[bytes]) -> None:
        """Store all buckets of one map task at once (a re-run map task replaces them)."""

    @abstractmethod
    def read(self, shuffle_id: int, map_id: int, reduce_id: int) -> bytes:
        """Return one bucket or raise FetchFailedError when it is gone."""

    def read_many(self, shuffle_id: int, num_maps: int, reduce_id: int) -> Iterator[bytes]:
        """Yield the bucket of every map in map order (stores may pipeline this)."""
        for m in range(num_maps):
            yield self.read(shuffle_id, m, reduce_id)

    @abstractmethod
    def has_output(self, shuffle_id: int, map_id: int) -> bool:
        """Return whether the map output is (still) stored."""

    def missing_outputs(self, shuffle_id: int, map_ids: list[int]) -> list[int]:
        """Return the map ids among ``map_ids`` whose output is no longer stored."""
        return [m for m in map_ids if not self.has_output(shuffle_id, m)]

    @abstractmethod
    def remove_shuffle(self, shuffle_id: int) -> None:
        """Delete every output of a shuffle."""

    def shuffle_ids(self) -> list[int]:
        return []


class MemoryShuffleStore(ShuffleStore):
    """Map outputs in this process's memory (local[N])."""

    def __init__(self) -> None:
        self._outputs: dict[tuple[int, int], list[bytes]] = {}
        self._lock = threading.Lock()

    def write(self, shuffle_id: int, map_id: int, buckets: list[bytes]) -> None:
        with self._lock:
            self._outputs[(shuffle_id, map_id)] = buckets

    def read(self, shuffle_id: int, map_id: int, reduce_id: int) -> bytes:
        out = self._outputs.get((shuffle_id, map_id))
        if out is None:
            raise FetchFailedError(shuffle_id, map_id, reduce_id)
        return out[reduce_id]

    def has_output(self, shuffle_id: int, map_id: int) -> bool:
        return (shuffle_id, map_id) in self._outputs

    def remove_shuffle(self, shuffle_id: int) -> None:
        with self._lock:
            for key in [k for k in self._outputs if k[0] == shuffle_id]:
                del self._outputs[key]

    def shuffle_ids(self) -> list[int]:
        with self._lock:
            return sorted({k[0] for k in self._outputs})


def _dumps(obj: Any) -> bytes:
    return pickle.dumps(obj, protocol=5)


def write_shuffle(records: Iterable, num_partitions: int, partition_func: Callable[[Any], int],
                  aggregator: Aggregator | None) -> list[bytes]:
    """Return the serialized buckets of one map task: records split by ``partition_func(k) % n``,
    pre-combined per key when the aggregator asks for map-side combine."""
    n = num_partitions
    if aggregator is not None and aggregator.map_side_combine:
        pairs: Iterable = combine_values(aggregator, records).items()
    else:
        pairs = records
    if n == 1:
        return [_dumps(list(pairs))]
    buckets: list[list] = [[] for _ in range(n)]
    appends = [b.append for b in buckets]
    for kv in pairs:
        appends[partition_func(kv[0]) % n](kv)
    return [_dumps(b) for b in buckets]


def read_shuffle(blobs: Iterable[bytes], aggregator: Aggregator | None) -> Iterator:
    """Yield the reduce side's records: merged combiners when there is an aggregator."""
    loads = pickle.loads
    if aggregator is None:
        for blob in blobs:
            yield from loads(blob)
        return
    d: dict = {}
    if aggregator.map_side_combine:
        for blob in blobs:
            merge_combiners(aggregator, loads(blob), d)
    else:
        for blob in blobs:
            combine_values(aggregator, loads(blob), d)
    yield from d.items()
