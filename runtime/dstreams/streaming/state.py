"""Stateful streams: ``updateStateByKey`` and Scala's ``mapWithState`` (with ``StateSpec``, ``State``).

The state of a stream is one RDD per batch whose partition ``i`` holds exactly one record
``(i, map)``: a dict of every key whose ``portable_hash(key) % numPartitions == i`` (for
``updateStateByKey`` kept pickled between batches, as PySpark keeps it, which takes a
fraction of the memory of the objects). A batch
groups its new records by that partition on the map side (one shuffle of the new data only,
none when it is already partitioned that way), lines each group up with the previous state's
map through a partition-aware union, and builds the next map in one pass. The state itself is
never shuffled, and it is checkpointed every checkpoint interval, which cuts its lineage.

Semantics follow PySpark's ``updateStateByKey`` (the update function is called every batch for
every key with a state or new values; returning None removes the key) and Scala's
``mapWithState`` (the mapping function is called once per new record and once for each key
that times out; only those keys are touched).
"""
from __future__ import annotations

import copy
import pickle
from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import Any

from ..fastpath import ConstPairs, count_into
from ..partitioner import Partitioner, portable_hash
from ..storage.shuffle import key_hashes
from ..storagelevel import StorageLevel
from .dstream import DStream, TransformedDStream
from .util import arity, ms_to_datetime, to_ms

__all__ = ["StateSpec", "State", "StateDStream", "MapWithStateDStream"]


class _NewData:
    """Marks a group of new records on its way to a state partition (vs. the state map itself)."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    def __getstate__(self):
        return self.data

    def __setstate__(self, data):
        self.data = data


class _NewCounts:
    """A group of new records that all carry one constant value: key -> number of records."""

    __slots__ = ("counts", "value")

    def __init__(self, counts: dict, value: Any) -> None:
        self.counts, self.value = counts, value

    def __reduce__(self):
        return (_NewCounts, (self.counts, self.value))

    def lists(self) -> dict:
        v = self.value
        return {k: [v] * c for k, c in self.counts.items()}


class _GroupValuesByPartition:
    """Map side of updateStateByKey: (k, v) records -> (pid, _NewData({k: [v, ...]}))."""

    __slots__ = ("n", "func")

    def __init__(self, n: int, func: Callable) -> None:
        self.n, self.func = n, func

    def __call__(self, iterator: Iterator) -> Iterator:
        if type(iterator) is ConstPairs:
            return self.with_const(iterator.keys, iterator.value)
        n, func = self.n, self.func
        groups: dict[int, dict] = {}
        for k, v in iterator:
            pid = func(k) % n
            g = groups.get(pid)
            if g is None:
                groups[pid] = {k: [v]}
            else:
                vs = g.get(k)
                if vs is None:
                    g[k] = [v]
                else:
                    vs.append(v)
        return ((pid, _NewData(g)) for pid, g in groups.items())

    def with_const(self, keys: Iterator, value: Any) -> Iterator:
        """``self`` on the records ``(k, value)`` for each ``k`` in ``keys``: the keys are
        counted in C, and travel as counts (_NewCounts) that the reduce side turns into the
        same lists, ``[value] * count``."""
        counts = count_into(keys, 1)
        n = self.n
        groups: dict[int, dict] = {}
        ks = list(counts)
        for k, h in zip(ks, key_hashes(ks, self.func)):
            pid = h % n
            g = groups.get(pid)
            if g is None:
                groups[pid] = {k: counts[k]}
            else:
                g[k] = counts[k]
        return ((pid, _NewCounts(g, value)) for pid, g in groups.items())

    def __getstate__(self):
        return (self.n, self.func)

    def __setstate__(self, s):
        self.n, self.func = s


class _RecordsByPartition:
    """Map side of mapWithState: (k, v) records -> (pid, _NewData([(k, v), ...])) keeping order."""

    __slots__ = ("n", "func")

    def __init__(self, n: int, func: Callable) -> None:
        self.n, self.func = n, func

    def __call__(self, iterator: Iterator) -> Iterator:
        n, func = self.n, self.func
        groups: dict[int, list] = {}
        for kv in iterator:
            pid = func(kv[0]) % n
            g = groups.get(pid)
            if g is None:
                groups[pid] = [kv]
            else:
                g.append(kv)
        return ((pid, _NewData(g)) for pid, g in groups.items())

    def __getstate__(self):
        return (self.n, self.func)

    def __setstate__(self, s):
        self.n, self.func = s


def _initial_maps(n: int, func: Callable, with_time: int | None) -> Callable:
    """Build the first state map of each partition from an initial (k, state) RDD (first value wins)."""
    def build(index: int, iterator: Iterator) -> Iterator:
        m: dict = {}
        for _, new in iterator:
            for k, v in new.data:
                if k not in m:
                    m[k] = v if with_time is None else (v, with_time)
        return iter([(index, m if with_time is None else (m, []))])
    return build


def _partition_new_data(batch: Any, n: int, func: Callable, grouper: type) -> Any:
    """Return (pid, _NewData) records partitioned so that pid i is in partition i."""
    g = grouper(n, func)
    grouped = batch.mapPartitions(g)
    if batch.partitioner == Partitioner(n, func):
        # already partitioned by key the way the state is: every record of partition i has pid i,
        # so the groups are partitioned by pid without a shuffle
        grouped.partitioner = Partitioner(n, portable_hash)
        return grouped
    return grouped.partitionBy(n)


def _align(ctx: Any, prev: Any, new: Any, n: int) -> Any:
    """A partition-aware union of the previous state maps and the new data (partition i with i)."""
    if prev is None:
        return new
    target = Partitioner(n, portable_hash)
    if prev.partitioner != target or prev.getNumPartitions() != n:
        prev = prev.partitionBy(n)
    if new.partitioner != target:
        new = new.partitionBy(n)
    return ctx.union([prev, new])


class _UpdateStateByKey:
    """Reduce side of updateStateByKey: previous map + grouped new values -> next map."""

    __slots__ = ("update",)

    def __init__(self, update: Callable) -> None:
        self.update = update

    def __call__(self, index: int, iterator: Iterator) -> Iterator:
        update = self.update
        old: dict = {}
        groups: dict | None = None
        for _, x in iterator:
            if type(x) is _NewCounts:
                x = _NewData(x.lists())
            if type(x) is _NewData:
                if groups is None:
                    groups = x.data
                else:
                    for k, vs in x.data.items():
                        g = groups.get(k)
                        if g is None:
                            groups[k] = vs
                        else:
                            g.extend(vs)
            else:
                old = x
        old = _thaw(old)
        new: dict = {}
        if groups is None:
            for k, s in old.items():
                ns = update([], s)
                if ns is not None:
                    new[k] = ns
        else:
            pop = groups.pop
            for k, s in old.items():
                ns = update(pop(k, []), s)
                if ns is not None:
                    new[k] = ns
            for k, vs in groups.items():
                ns = update(vs, None)
                if ns is not None:
                    new[k] = ns
        return iter([(index, _freeze(new))])

    def __getstate__(self):
        return self.update

    def __setstate__(self, s):
        self.update = s


_IMMUTABLE = frozenset({int, float, str, bytes, bool, type(None), complex, frozenset})


def _private_copy(m: dict, pairs: bool = False) -> dict:
    """A copy of a state map whose states the update functions may mutate in place.

    PySpark hands every batch freshly unpickled states; here the previous batch's map may hold
    the very objects of a cached partition or of an earlier ``collect()``. Maps of immutable
    states (numbers, strings...) are copied shallowly; others deeply. With ``pairs`` the values
    are ``(state, time)`` tuples and the states are checked.
    """
    if not m:
        return {}
    values = map(itemgetter(0), m.values()) if pairs else m.values()
    if set(map(type, values)) <= _IMMUTABLE:
        return dict(m)
    try:
        return pickle.loads(pickle.dumps(m, protocol=5))
    except Exception:  # noqa: BLE001 - states pickle cannot handle (lambdas...): deepcopy
        return copy.deepcopy(m)


class _FrozenMap:
    """A state map kept pickled between batches (as PySpark keeps every cached partition): a
    fraction of the memory of the dict, and every batch updates fresh, private objects."""

    __slots__ = ("blob",)

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def __reduce__(self):
        return (_FrozenMap, (self.blob,))

    def thaw(self) -> dict:
        return pickle.loads(self.blob)


def _freeze(m: dict) -> Any:
    """Return ``m`` pickled in a _FrozenMap, or ``m`` itself when its states cannot be pickled."""
    if not m:
        return m
    try:
        return _FrozenMap(pickle.dumps(m, protocol=5))
    except Exception:  # noqa: BLE001 - states pickle cannot handle (lambdas...): keep the objects
        return m


def _thaw(m: Any) -> dict:
    """A private copy of a state map, which the update functions may mutate (see _private_copy)."""
    return m.thaw() if type(m) is _FrozenMap else _private_copy(m)


def _state_items(kv: tuple) -> Any:
    m = kv[1]
    return (m.thaw() if type(m) is _FrozenMap else m).items()


class StateDStream(DStream):
    """The per-partition state maps of ``updateStateByKey`` (users see them flattened)."""

    _transient = DStream._transient + ("_initial",)

    def __init__(self, parent: DStream, updateFunc: Callable, numPartitions: int, initialRDD: Any) -> None:
        super().__init__(parent._ssc, [parent])
        self._must_checkpoint = True
        self._storage_level = StorageLevel.MEMORY_ONLY
        self._update = _UpdateStateByKey(updateFunc)
        self._n = numPartitions
        self._initial = initialRDD

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._initial = None

    def _stateful_name(self) -> str:
        return f"updateStateByKey (at {self._site})"

    def _compute(self, t: int) -> Any:
        prev = _previous_state(self, t)
        batch = self._parents[0]._get_or_compute(t)
        if batch is None:
            return prev
        n = self._n
        if prev is None and self._initial is not None:
            init = _partition_new_data(self._initial.map(_as_pair), n, portable_hash, _RecordsByPartition)
            prev = init.mapPartitionsWithIndex(_initial_maps(n, portable_hash, None), True)
        new = _partition_new_data(batch, n, portable_hash, _GroupValuesByPartition)
        return _align(self._sc, prev, new, n).mapPartitionsWithIndex(self._update, True)

    def _clear_metadata(self, t: int) -> None:
        _unpersist_older(self, t)
        super()._clear_metadata(t)


def _as_pair(kv: Any) -> tuple:
    return (kv[0], kv[1])


def _previous_state(stream: DStream, t: int) -> Any:
    """The stream's RDD one slide before ``t``, computing any missing earlier ones forward
    (after a recovery) instead of recursing through hundreds of batches."""
    slide, zero = stream._slide_ms, stream._zero_ms
    missing = []
    s = t - slide
    while s > zero and s not in stream._generated and s not in stream._checkpoint_files:
        missing.append(s)
        s -= slide
    for s in reversed(missing[1:]):
        stream._get_or_compute(s)
    return stream._get_or_compute(t - slide)


def _unpersist_older(stream: DStream, t: int) -> None:
    """A state RDD is only read by the next batch: free the cached copies before the latest."""
    for k, rdd in list(stream._generated.items()):
        if k < t and rdd.is_cached and k not in stream._checkpoint_due:
            try:
                rdd.unpersist()
            except Exception:  # noqa: BLE001 - stopped context
                pass


class _StateView(TransformedDStream):
    """A view of an internal state stream; ``checkpoint(interval)`` applies to the state."""

    _state_stream: DStream

    def checkpoint(self, interval: float) -> DStream:
        """Checkpoint the state every ``interval`` seconds (a multiple of the batch duration)."""
        self._state_stream.checkpoint(interval)
        self.is_checkpointed = True
        return self


class StateDStreamView(_StateView):
    """What ``updateStateByKey`` returns: the (key, state) pairs of the state maps."""

    def __init__(self, maps: StateDStream) -> None:
        self._state_stream = maps
        super().__init__(maps, lambda t, rdd: rdd.flatMap(_state_items, True))


# ---------------------------------------------------------------------------------- mapWithState
class State:
    """The state of one key inside a ``mapWithState`` function (Scala's ``State[S]``).

    >>> def track(key, value, state):                        # doctest: +SKIP
    ...     total = (state.get() if state.exists() else 0) + value
    ...     state.update(total)
    ...     return key, total
    """

    __slots__ = ("_value", "_exists", "_updated", "_removed", "_timing_out")

    def __init__(self) -> None:
        self._wrap(None)

    def _wrap(self, entry: tuple | None) -> None:
        self._exists = entry is not None
        self._value = entry[0] if entry is not None else None
        self._updated = False
        self._removed = False
        self._timing_out = False

    def exists(self) -> bool:
        """Whether the key has a state."""
        return self._exists

    def get(self) -> Any:
        """The state; raises ValueError when there is none (check ``exists()``)."""
        if not self._exists:
            raise ValueError("State is not set")
        return self._value

    def getOption(self) -> Any:
        """The state, or None when there is none."""
        return self._value if self._exists else None

    def update(self, newState: Any) -> None:
        """Set the key's state."""
        if self._removed:
            raise ValueError("Cannot update the state after it has been removed")
        if self._timing_out:
            raise ValueError("Cannot update the state that is timing out")
        self._value, self._exists, self._updated = newState, True, True

    def remove(self) -> None:
        """Remove the key's state."""
        if self._timing_out:
            raise ValueError("Cannot remove the state that is timing out")
        if self._removed:
            raise ValueError("Cannot remove the state that has already been removed")
        self._value, self._exists, self._removed = None, False, True

    def isTimingOut(self) -> bool:
        """Whether the function is called because the key timed out (its value is None)."""
        return self._timing_out

    def __repr__(self) -> str:
        return f"State({self._value!r})" if self._exists else "State(<none>)"


class StateSpec:
    """What ``mapWithState`` needs: the mapping function and optional initial state, partitions
    and timeout. Use it Python-style or with Scala's builder methods:

    >>> spec = StateSpec(track, timeout=30)                                 # doctest: +SKIP
    >>> spec = StateSpec.function(track).numPartitions(4).timeout(30)      # doctest: +SKIP

    The function is ``f(key, value, state)`` (or ``f(time, key, value, state)``); ``value`` is
    None when the key is timing out. Every return value is emitted.
    """

    def __init__(self, mappingFunction: Callable, initialState: Any = None, numPartitions: int | None = None,
                 partitioner: Partitioner | None = None, timeout: float | None = None) -> None:
        argc = arity(mappingFunction)
        if argc not in (3, 4):
            raise TypeError("the mapWithState function should take (key, value, state) or "
                            f"(time, key, value, state), it takes {argc} arguments")
        self._function = mappingFunction
        self._with_time = argc == 4
        self._initial = initialState
        self._num_partitions = numPartitions
        self._partitioner = partitioner
        self._timeout_ms = to_ms(timeout, "timeout") if timeout is not None else None

    @classmethod
    def function(cls, mappingFunction: Callable) -> StateSpec:
        """Return a StateSpec of ``mappingFunction`` (Scala's ``StateSpec.function``)."""
        return cls(mappingFunction)

    def initialState(self, rdd: Any) -> StateSpec:
        """Start from these (key, state) pairs (an RDD or a list)."""
        self._initial = rdd
        return self

    def numPartitions(self, numPartitions: int) -> StateSpec:
        """Hash-partition the state into ``numPartitions`` partitions."""
        self._num_partitions = numPartitions
        return self

    def partitioner(self, partitioner: Partitioner) -> StateSpec:
        """Partition the state with ``partitioner``."""
        self._partitioner = partitioner
        self._num_partitions = partitioner.numPartitions
        return self

    def timeout(self, idleDuration: float) -> StateSpec:
        """Remove a key's state after ``idleDuration`` seconds without data (calling the function
        once more with ``value=None`` and ``state.isTimingOut()`` true)."""
        self._timeout_ms = to_ms(idleDuration, "timeout")
        return self


class _MapWithState:
    """Reduce side of mapWithState for one batch: previous (map, mapped) + new records."""

    __slots__ = ("func", "with_time", "time_ms", "threshold")

    def __init__(self, func: Callable, with_time: bool, time_ms: int, threshold: int | None) -> None:
        self.func, self.with_time, self.time_ms, self.threshold = func, with_time, time_ms, threshold

    def __call__(self, index: int, iterator: Iterator) -> Iterator:
        func, now, threshold = self.func, self.time_ms, self.threshold
        old: dict = {}
        records: list = []
        for _, x in iterator:
            if type(x) is _NewData:
                records.extend(x.data)
            else:
                old = x[0]
        states = _private_copy(old, pairs=True)  # the previous batch's map stays as it was (it may be read again)
        mapped = []
        state = State()
        keep_time = threshold is not None
        dt = ms_to_datetime(now) if self.with_time else None
        for k, v in records:
            state._wrap(states.get(k))
            out = func(dt, k, v, state) if dt is not None else func(k, v, state)
            if state._removed:
                states.pop(k, None)
            elif state._updated or (keep_time and state._exists):
                states[k] = (state._value, now)
            mapped.append(out)
        if threshold is not None:
            expired = [k for k, (_, updated) in states.items() if updated < threshold]
            for k in expired:
                state._wrap(states.pop(k))
                state._timing_out = True
                mapped.append(func(dt, k, None, state) if dt is not None else func(k, None, state))
        return iter([(index, (states, mapped))])

    def __getstate__(self):
        return (self.func, self.with_time, self.time_ms, self.threshold)

    def __setstate__(self, s):
        self.func, self.with_time, self.time_ms, self.threshold = s


def _mapped_values(kv: tuple) -> Any:
    return kv[1][1]


def _snapshot_items(kv: tuple) -> Any:
    return ((k, s) for k, (s, _) in kv[1][0].items())


class InternalMapWithStateDStream(DStream):
    """The per-partition (state map, mapped values) of ``mapWithState``."""

    _transient = DStream._transient + ("_initial",)

    def __init__(self, parent: DStream, spec: StateSpec) -> None:
        super().__init__(parent._ssc, [parent])
        self._must_checkpoint = True
        self._storage_level = StorageLevel.MEMORY_ONLY
        self._func = spec._function
        self._with_time = spec._with_time
        self._timeout_ms = spec._timeout_ms
        self._n = spec._num_partitions or self._sc.defaultParallelism
        self._pfunc = spec._partitioner.partitionFunc if spec._partitioner is not None else portable_hash
        initial = spec._initial
        if initial is not None and not hasattr(initial, "mapPartitionsWithIndex"):
            initial = self._sc.parallelize(list(initial))
        self._initial = initial

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._initial = None

    def _initialize(self, zero_ms: int) -> None:
        if self._checkpoint_ms is None:  # Scala: 10 batches
            self._checkpoint_ms = self._slide_ms * 10
        super()._initialize(zero_ms)

    def _stateful_name(self) -> str:
        return f"mapWithState (at {self._site})"

    def _compute(self, t: int) -> Any:
        prev = _previous_state(self, t)
        batch = self._parents[0]._get_or_compute(t)
        if batch is None:
            batch = self._sc.emptyRDD()
        n, pfunc = self._n, self._pfunc
        if prev is None and self._initial is not None:
            init = _partition_new_data(self._initial.map(_as_pair), n, pfunc, _RecordsByPartition)
            prev = init.mapPartitionsWithIndex(_initial_maps(n, pfunc, t), True)
        new = _partition_new_data(batch, n, pfunc, _RecordsByPartition)
        threshold = t - self._timeout_ms if self._timeout_ms is not None else None
        func = _MapWithState(self._func, self._with_time, t, threshold)
        return _align(self._sc, prev, new, n).mapPartitionsWithIndex(func, True)

    def _clear_metadata(self, t: int) -> None:
        _unpersist_older(self, t)
        super()._clear_metadata(t)


class MapWithStateDStream(_StateView):
    """The values returned by a ``mapWithState`` function; ``stateSnapshots()`` has the states."""

    def __init__(self, parent: DStream, spec: StateSpec) -> None:
        if not isinstance(spec, StateSpec):
            raise TypeError(f"mapWithState needs a StateSpec, got {spec!r}")
        internal = InternalMapWithStateDStream(parent, spec)
        self._internal = internal
        self._state_stream = internal
        super().__init__(internal, lambda t, rdd: rdd.flatMap(_mapped_values))

    def stateSnapshots(self) -> DStream:
        """A DStream of every (key, state) after each batch."""
        return TransformedDStream(self._internal, lambda t, rdd: rdd.flatMap(_snapshot_items, True))
