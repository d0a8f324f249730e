"""Shuffle write and read: map tasks bucket (and pre-combine) records by reduce partition,
reduce tasks fetch their bucket from every map output and merge.

Buckets are stored pickled (protocol 5), so a reduce-side merge that mutates a combiner can
never corrupt a stored map output, and the memory and Redis stores share one format: a
pickled list of records, which ``pickle.loads`` returns as such. A bucket of (key, value)
pairs is pickled column-wise (``_Cols``: the keys, then the values), which pickles two to
three times faster than a list of tuples; plain ``pickle.loads`` rebuilds the list of pairs,
while the shuffle's own reader takes the two columns as they are. The in-process memory
store (local[N]) keeps the columns unpickled when every key and value is an immutable scalar
(str, int, float...), which nothing can corrupt, and hands them to readers as they are.
"""
from __future__ import annotations

import io
import operator
import pickle
import threading
from abc import ABC, abstractmethod
from itertools import compress, repeat
from operator import itemgetter
from zlib import crc32
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..errors import FetchFailedError
from ..fastpath import ConstPairs, count_into, is_add, is_identity
from ..partitioner import portable_hash

__all__ = ["Aggregator", "ShuffleStore", "MemoryShuffleStore", "write_shuffle", "read_shuffle",
           "combine_values", "combine_const", "merge_combiners", "key_hashes", "bucket_records",
           "EMPTY_BUCKET", "SUM"]

_MISSING = object()


class Aggregator:
    """The three functions of combineByKey, and whether maps combine before the shuffle.

    ``kind`` is ``"sum"`` when the combiner is a plain keyed sum (``createCombiner`` the
    identity, both merges ``a + b``; see :mod:`dstreams.fastpath`): then combining runs
    without calling the functions, with the same results.
    """

    __slots__ = ("createCombiner", "mergeValue", "mergeCombiners", "map_side_combine", "kind")

    def __init__(self, createCombiner: Callable, mergeValue: Callable, mergeCombiners: Callable,
                 map_side_combine: bool = True) -> None:
        self.createCombiner = createCombiner
        self.mergeValue = mergeValue
        self.mergeCombiners = mergeCombiners
        self.map_side_combine = map_side_combine
        self.kind = _kind(createCombiner, mergeValue, mergeCombiners)

    def __getstate__(self):
        return (self.createCombiner, self.mergeValue, self.mergeCombiners, self.map_side_combine)

    def __setstate__(self, state):
        self.createCombiner, self.mergeValue, self.mergeCombiners, self.map_side_combine = state
        self.kind = _kind(self.createCombiner, self.mergeValue, self.mergeCombiners)


SUM = "sum"


def _kind(create: Callable, merge_value: Callable, merge_combiners: Callable) -> str | None:
    if is_identity(create) and is_add(merge_value) and (merge_combiners is merge_value or is_add(merge_combiners)):
        return SUM
    return None


def combine_values(agg: Aggregator, records: Iterable[tuple], into: dict | None = None) -> dict:
    """Return a dict key -> combiner built from (key, value) records (insertion-ordered)."""
    d: dict = {} if into is None else into
    get = d.get
    if agg.kind is SUM:
        for k, v in records:
            c = get(k, _MISSING)
            d[k] = v if c is _MISSING else c + v
        return d
    create, merge = agg.createCombiner, agg.mergeValue
    for k, v in records:
        c = get(k, _MISSING)
        d[k] = create(v) if c is _MISSING else merge(c, v)
    return d


def combine_const(agg: Aggregator, keys: Iterable, value: Any) -> dict:
    """``combine_values`` of the records ``(k, value)`` for each ``k`` in ``keys``."""
    if agg.kind is SUM and type(value) is int:
        return count_into(keys, value)
    return combine_values(agg, zip(keys, repeat(value)))


def merge_combiners(agg: Aggregator, pairs: Iterable[tuple], into: dict | None = None) -> dict:
    """Return a dict key -> combiner merging (key, combiner) pairs."""
    d: dict = {} if into is None else into
    get = d.get
    if agg.kind is SUM:
        for k, c in pairs:
            old = get(k, _MISSING)
            d[k] = c if old is _MISSING else old + c
        return d
    merge = agg.mergeCombiners
    for k, c in pairs:
        old = get(k, _MISSING)
        d[k] = c if old is _MISSING else merge(old, c)
    return d


def _merge_unique_sums(d: dict, keys: list, values: list) -> dict:
    """``merge_combiners`` for a sum when ``keys`` are distinct (one map output's bucket): dict
    operations in C; the same values and key order as the loop."""
    new = dict(zip(keys, values))
    if len(new) == len(keys):
        if not d:
            return new
        for k in new.keys() & d.keys():
            new[k] = d[k] + new[k]
        d.update(new)
        return d
    get = d.get
    for k, c in zip(keys, values):
        old = get(k, _MISSING)
        d[k] = c if old is _MISSING else old + c
    return d


class ShuffleStore(ABC):
    """Where map outputs live, one serialized bucket per (shuffle, map, reduce)."""

    #: buckets of immutable scalars may stay unpickled (a store in the tasks' own process)
    keeps_objects = False

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
    """Map outputs in this process's memory (local[N]); see the module docstring."""

    keeps_objects = True

    def __init__(self) -> None:
        self._outputs: dict[tuple[int, int], list] = {}
        self._lock = threading.Lock()

    def write(self, shuffle_id: int, map_id: int, buckets: list) -> None:
        with self._lock:
            self._outputs[(shuffle_id, map_id)] = buckets

    def _get(self, shuffle_id: int, map_id: int, reduce_id: int) -> Any:
        out = self._outputs.get((shuffle_id, map_id))
        if out is None:
            raise FetchFailedError(shuffle_id, map_id, reduce_id)
        return out[reduce_id]

    def read(self, shuffle_id: int, map_id: int, reduce_id: int) -> bytes:
        blob = self._get(shuffle_id, map_id, reduce_id)
        return blob if type(blob) is bytes else _dumps(blob)

    def read_many(self, shuffle_id: int, num_maps: int, reduce_id: int) -> Iterator:
        """Yield the buckets as stored: bytes, or unpickled columns of immutable scalars."""
        for m in range(num_maps):
            yield self._get(shuffle_id, m, reduce_id)

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


EMPTY_BUCKET = pickle.dumps([], protocol=5)
_SCALARS = frozenset({str, int, float, bool, bytes, complex, type(None)})


def key_hashes(keys: list, partition_func: Callable[[Any], int]) -> Iterator[int]:
    """``map(partition_func, keys)``, with ``portable_hash`` of str or number keys in C."""
    if partition_func is portable_hash and keys:
        types = set(map(type, keys))
        if types == {str}:  # portable_hash(s) is crc32(s.encode("utf-8", "surrogatepass"))
            return map(crc32, map(str.encode, keys, repeat("utf-8"), repeat("surrogatepass")))
        if types <= {int, float, bool}:
            return map(hash, keys)
    return map(partition_func, keys)


def _split_columns(keys: list, values: list, n: int, partition_func: Callable[[Any], int]) -> list[tuple]:
    """Return ``n`` (keys, values) buckets: key k goes to ``partition_func(k) % n``."""
    if n == 1:
        return [(keys, values)]
    pids = list(map(operator.mod, key_hashes(keys, partition_func), repeat(n)))
    if n <= 8:  # one C pass per bucket and column beats a Python loop over the records
        out = []
        for i in range(n):
            sel = pids if (n == 2 and i == 1) else list(map(operator.eq, pids, repeat(i)))
            out.append((list(compress(keys, sel)), list(compress(values, sel))))
        return out
    kb: list[list] = [[] for _ in range(n)]
    vb: list[list] = [[] for _ in range(n)]
    for k, v, i in zip(keys, values, pids):
        kb[i].append(k)
        vb[i].append(v)
    return list(zip(kb, vb))


class _Cols:
    """A bucket of pairs as two columns. Pickled, it loads as the list of pairs (``_pairs``),
    except through ``_ColumnReader``, which keeps the columns."""

    __slots__ = ("keys", "values")

    def __init__(self, keys: list, values: list) -> None:
        self.keys, self.values = keys, values

    def __reduce__(self):
        return (_pairs, (self.keys, self.values))


def _pairs(keys: list, values: list) -> list:
    return list(zip(keys, values))


class _ColumnReader(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if name == "_pairs" and module == __name__:
            return _Cols
        return super().find_class(module, name)


def _load(blob: Any) -> Any:
    """A stored bucket: _Cols, or a list of records."""
    if type(blob) is _Cols:
        return blob
    return _ColumnReader(io.BytesIO(blob)).load()


def _encode(keys: list, values: list, keep_objects: bool) -> Any:
    if not keys:
        return EMPTY_BUCKET
    cols = _Cols(keys, values)
    if keep_objects and set(map(type, keys)) <= _SCALARS and set(map(type, values)) <= _SCALARS:
        return cols
    return _dumps(cols)


def bucket_records(blob: Any) -> Iterable:
    """The records of one stored bucket (pairs as tuples)."""
    obj = _load(blob)
    if type(obj) is _Cols:
        return zip(obj.keys, obj.values)
    return obj


def _bucket_columns(blob: Any) -> tuple[list, list] | None:
    """A bucket as (keys, values), or None when it holds records of another shape."""
    obj = _load(blob)
    if type(obj) is _Cols:
        return obj.keys, obj.values
    if not obj:
        return [], []
    return None


def write_shuffle(records: Iterable, num_partitions: int, partition_func: Callable[[Any], int],
                  aggregator: Aggregator | None, keep_objects: bool = False) -> list:
    """Return the buckets of one map task: records split by ``partition_func(k) % n``,
    pre-combined per key when the aggregator asks for map-side combine.

    Records given as a :class:`~dstreams.fastpath.ConstPairs` are taken as its keys and
    constant. ``keep_objects`` lets buckets of immutable scalars stay unpickled (in-process
    stores).
    """
    n = num_partitions
    const: tuple | None = None
    if type(records) is ConstPairs:
        const, records = (records.value,), records.keys
    if aggregator is not None and aggregator.map_side_combine:
        d = combine_const(aggregator, records, const[0]) if const else combine_values(aggregator, records)
        keys, values = list(d), list(d.values())
        del d  # as large as the keys: gone before the buckets are built
    else:
        if const:
            keys = list(records)
            values = [const[0]] * len(keys)
        else:
            pairs = records if isinstance(records, list) else list(records)
            if not pairs:
                return [EMPTY_BUCKET] * n
            if set(map(type, pairs)) != {tuple} or set(map(len, pairs)) != {2}:
                # not all pairs: keep the records as they are
                if n == 1:
                    return [_dumps(pairs)]
                buckets: list[list] = [[] for _ in range(n)]
                appends = [b.append for b in buckets]
                for kv, h in zip(pairs, key_hashes(list(map(itemgetter(0), pairs)), partition_func)):
                    appends[h % n](kv)
                return [_dumps(b) if b else EMPTY_BUCKET for b in buckets]
            keys, values = list(map(itemgetter(0), pairs)), list(map(itemgetter(1), pairs))
    return [_encode(k, v, keep_objects) for k, v in _split_columns(keys, values, n, partition_func)]


def read_shuffle(blobs: Iterable, aggregator: Aggregator | None) -> Iterator:
    """Yield the reduce side's records: merged combiners when there is an aggregator."""
    if aggregator is None:
        for blob in blobs:
            yield from bucket_records(blob)
        return
    d: dict = {}
    if aggregator.map_side_combine:
        if aggregator.kind is SUM:
            for blob in blobs:
                cols = _bucket_columns(blob)
                if cols is None:
                    merge_combiners(aggregator, bucket_records(blob), d)
                else:
                    d = _merge_unique_sums(d, cols[0], cols[1])
        else:
            for blob in blobs:
                merge_combiners(aggregator, bucket_records(blob), d)
    else:
        for blob in blobs:
            combine_values(aggregator, bucket_records(blob), d)
    yield from d.items()
