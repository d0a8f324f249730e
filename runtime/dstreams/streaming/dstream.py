"""DStream: a discretized stream, one RDD per batch time, with PySpark's operations.

Every operation is a composition of a few primitives, as in PySpark: one-parent operations go
through :meth:`DStream.transform` (chained narrow functions are fused into one
``TransformedDStream`` unless the stream is cached or checkpointed), two-parent operations
through :meth:`DStream.transformWith`, windows through ``WindowedDStream`` and
``ReducedWindowedDStream``, state through ``StateDStream`` / ``MapWithStateDStream``.
"""
from __future__ import annotations

import logging
import operator
import os
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..partitioner import portable_hash
from ..resultiterable import ResultIterable
from ..storagelevel import StorageLevel
from .graph import Job
from .util import arity, datetime_to_ms, ms_to_datetime, rddToFileName, to_ms

if TYPE_CHECKING:  # pragma: no cover
    from .context import StreamingContext

__all__ = ["DStream", "TransformedDStream", "TransformedWithDStream", "UnionDStream", "ForEachDStream",
           "WindowedDStream", "InputDStream"]

log = logging.getLogger("dstreams.streaming")


def _check_rdd(result: Any, stream: "DStream") -> Any:
    if result is not None and not hasattr(result, "getNumPartitions"):
        raise TypeError(f"the function of {stream._name()} should return an RDD, it returned "
                        f"{type(result).__name__}")
    return result


def _discard(tc: Any, it: Any) -> None:
    for _ in it:
        pass


def _call_site() -> str:
    """Return ``file:line`` of the user code that called into dstreams (for names and errors)."""
    f = sys._getframe(1)
    while f is not None and (f.f_globals.get("__name__") or "").startswith("dstreams."):
        f = f.f_back
    if f is None:
        return "<unknown>"
    return f"{os.path.basename(f.f_code.co_filename)}:{f.f_lineno}"


def _with_time(func: Callable, n: int, what: str) -> Callable:
    """Return ``func`` taking the batch time first: PySpark accepts both ``f(rdd)`` and ``f(time, rdd)``."""
    argc = arity(func)
    if argc == n - 1:
        def with_time(t, *rdds):
            return func(*rdds)
        return with_time
    if argc != n:
        raise TypeError(f"the function given to {what} should take {n - 1} or {n} arguments "
                        f"(({'time, ' if n > 1 else ''}rdd...)), it takes {argc}")
    return func


class DStream:
    """A continuous sequence of RDDs of the same type, one per batch time (PySpark's DStream).

    DStreams are built from a :class:`StreamingContext` source (``queueStream``,
    ``socketTextStream``, ``textFileStream``, ``receiverStream``) and by the operations
    below; nothing runs until an output operation is registered and the context is started.

    Examples
    --------
    >>> from dstreams import Context
    >>> from dstreams.testing import StreamRunner
    >>> with Context("local[2]", "doc") as sc, StreamRunner(sc) as runner:
    ...     lines = runner.ssc.queueStream([["a b", "a"]])
    ...     counts = runner.collect(lines.flatMap(str.split).countByValue(), sort=True)
    ...     runner.run(1)
    >>> counts
    [[('a', 2), ('b', 1)]]
    """

    # attributes rebuilt after a restore instead of being pickled into the checkpoint
    _transient = ("_ssc", "_generated", "_checkpoint_due", "_checkpoint_files")

    def __init__(self, ssc: StreamingContext, parents: Iterable[DStream] = (), slide_ms: int | None = None) -> None:
        ssc._graph.check_not_started()
        self._ssc = ssc
        self._parents: list[DStream] = list(parents)
        for p in self._parents:
            if p._ssc is not ssc:
                raise ValueError("DStreams of different StreamingContexts cannot be combined")
        if slide_ms is None:
            slide_ms = self._parents[0]._slide_ms if self._parents else ssc._graph.batch_ms
        self._slide_ms: int = slide_ms
        self._id = ssc._graph.new_stream_id()
        self._site = _call_site()
        self._zero_ms: int | None = None
        self._remember_ms: int | None = None
        self._checkpoint_ms: int | None = None
        self._storage_level: StorageLevel | None = None
        self._must_checkpoint = False
        self.is_cached = False
        self.is_checkpointed = False
        self._generated: dict[int, Any] = {}
        self._checkpoint_due: dict[int, Any] = {}
        # checkpointed RDDs: time -> (location, number of partitions, partitioner)
        self._checkpoint_files: dict[int, tuple[str, int, Any]] = {}

    # ---- pickling (metadata checkpoints) --------------------------------------------------
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for name in self._transient:
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._ssc = None
        self._generated = {}
        self._checkpoint_due = {}
        self._checkpoint_files = {}

    def _restore(self, ssc: StreamingContext) -> None:
        """Re-attach to a new context after a checkpoint was read (called parents first)."""
        self._ssc = ssc

    def _checkpoint_state(self) -> dict | None:
        """What this stream adds to a metadata checkpoint (None: nothing)."""
        if not self._checkpoint_files:
            return None
        return {"rdds": dict(self._checkpoint_files)}

    def _restore_checkpoint_state(self, state: dict) -> None:
        """Take back what ``_checkpoint_state`` returned, in a new process."""
        self._checkpoint_files = dict(state.get("rdds", {}))

    def _checkpoint_refs(self) -> list[str]:
        """Locations of checkpointed RDDs this stream still needs."""
        return [loc for loc, _, _ in self._checkpoint_files.values()]

    def _record_checkpoint(self, t: int, rdd: Any) -> None:
        """After the batch of ``t``: make sure the marked RDD is saved and remember where."""
        if not rdd.isCheckpointed():
            # no output job of the batch computed it: run one (it reads the cached partitions)
            rdd.ctx._run_job(rdd, _discard, None)
        path = rdd.getCheckpointFile()
        if path is not None:
            self._checkpoint_files[t] = (path, rdd.getNumPartitions(), rdd.partitioner)

    def _restored_rdd(self, t: int) -> Any:
        entry = self._checkpoint_files.get(t)
        if entry is None:
            return None
        from ..rdd_impl import CheckpointRDD
        path, n, partitioner = entry
        log.info("%s: restoring the RDD of %s from %s", self._name(), t, path)
        return CheckpointRDD(self._sc, path, n, partitioner)

    # ---- names ----------------------------------------------------------------------------
    @property
    def _sc(self):
        return self._ssc._sc

    @property
    def ctx(self):
        """The Context (SparkContext) this stream's RDDs belong to."""
        return self._ssc._sc

    def _name(self) -> str:
        return f"{type(self).__name__}[{self._id}] at {self._site}"

    def __repr__(self) -> str:
        return f"<{self._name()}>"

    def context(self) -> StreamingContext:
        """Return the StreamingContext associated with this DStream."""
        return self._ssc

    # ---- generation machinery -------------------------------------------------------------
    def _initialize(self, zero_ms: int) -> None:
        if self._zero_ms is not None and self._zero_ms != zero_ms:
            raise RuntimeError(f"{self._name()}: zero time is already {self._zero_ms}, cannot set {zero_ms}")
        self._zero_ms = zero_ms
        if self._must_checkpoint and self._checkpoint_ms is None:
            # Spark's default: the smallest multiple of the slide that is at least 10 seconds
            self._checkpoint_ms = self._slide_ms * -(-10_000 // self._slide_ms)
        if self._remember_ms is None:
            self._remember_ms = self._slide_ms
        if self._checkpoint_ms is not None and self._remember_ms <= self._checkpoint_ms:
            self._remember_ms = self._checkpoint_ms * 2
        for p in self._parents:
            p._initialize(zero_ms)

    def _parent_remember_ms(self) -> int | None:
        return self._remember_ms

    def _remember(self, duration_ms: int | None) -> None:
        if duration_ms is not None and (self._remember_ms is None or duration_ms > self._remember_ms):
            self._remember_ms = duration_ms
        for p in self._parents:
            p._remember(self._parent_remember_ms())

    def _validate_at_start(self) -> None:
        if self._checkpoint_ms is not None:
            # as in Spark, the Context's checkpoint directory is enough (sc.setCheckpointDir): the
            # state's RDDs go there; ssc.checkpoint() also sets it, and adds metadata checkpoints
            if not self._ssc._graph.checkpoint_dir and self._sc._checkpoint_dir is None:
                what = self._stateful_name() or self._name()
                raise ValueError(
                    f"{what} needs a checkpoint directory, and none has been set: call "
                    f"ssc.checkpoint(directory) (or sc.setCheckpointDir(directory)) before ssc.start() "
                    f"(Spark: \"The checkpoint directory has not been set. Please set it by "
                    f"StreamingContext.checkpoint().\")")
            if self._checkpoint_ms < self._slide_ms or self._checkpoint_ms % self._slide_ms:
                raise ValueError(
                    f"the checkpoint interval of {self._name()} is {self._checkpoint_ms / 1000} s, which is "
                    f"not a multiple of its slide duration ({self._slide_ms / 1000} s)")
        for p in self._parents:
            p._validate_at_start()

    def _stateful_name(self) -> str | None:
        return None

    def _is_time_valid(self, t: int) -> bool:
        if self._zero_ms is None:
            raise RuntimeError(f"{self._name()} has not been initialized: start the StreamingContext first")
        return t > self._zero_ms and (t - self._zero_ms) % self._slide_ms == 0

    def _compute(self, t: int) -> Any:
        """Return the RDD of time ``t`` (or None when there is none); subclasses implement it."""
        raise NotImplementedError

    def _get_or_compute(self, t: int) -> Any:
        generated = self._generated
        if t in generated:
            return generated[t]
        if not self._is_time_valid(t):
            return None
        with self._ssc._graph.lock:
            if t in generated:
                return generated[t]
            rdd = self._restored_rdd(t) if self._checkpoint_files else None
            if rdd is not None:
                generated[t] = rdd
                return rdd
            rdd = self._compute(t)
            if rdd is not None:
                if self._storage_level is not None:
                    rdd.persist(self._storage_level)
                if self._checkpoint_ms is not None and (t - self._zero_ms) % self._checkpoint_ms == 0:
                    rdd.checkpoint()
                    self._checkpoint_due[t] = rdd
                generated[t] = rdd
            return rdd

    def _clear_metadata(self, t: int) -> None:
        if self._remember_ms is not None:
            cutoff = t - self._remember_ms
            old = [k for k in self._generated if k <= cutoff]
            for k in old:
                rdd = self._generated.pop(k)
                self._checkpoint_due.pop(k, None)
                self._forget(k, rdd)
            if self._checkpoint_files:
                # keep the checkpoints of remembered times, and always the newest one
                newest = max(self._checkpoint_files)
                for k in [k for k in self._checkpoint_files if k != newest and k <= cutoff]:
                    del self._checkpoint_files[k]
        for p in self._parents:
            p._clear_metadata(t)

    def _forget(self, t: int, rdd: Any) -> None:
        """Release what the RDD of time ``t`` holds (cached partitions; input blocks in sources)."""
        if self._storage_level is not None:
            try:
                rdd.unpersist()
            except Exception:  # noqa: BLE001 - a stopped context: nothing left to release
                log.debug("unpersist failed for %s at %s", self._name(), t, exc_info=True)

    def _slice_times(self, from_ms: int, to_ms_: int) -> list[int]:
        zero, slide = self._zero_ms, self._slide_ms
        if zero is None:
            raise RuntimeError(f"{self._name()} has not been initialized: start the StreamingContext first")
        if (to_ms_ - zero) % slide:
            to_ms_ = zero + (to_ms_ - zero) // slide * slide
        if (from_ms - zero) % slide:
            from_ms = zero + (from_ms - zero) // slide * slide
        return list(range(from_ms, to_ms_ + 1, slide))

    def _slice(self, from_ms: int, to_ms_: int) -> list:
        rdds = []
        for t in self._slice_times(from_ms, to_ms_):
            rdd = self._get_or_compute(t)
            if rdd is not None:
                rdds.append(rdd)
        return rdds

    # ---- the primitives ------------------------------------------------------------------
    def transform(self, func: Callable) -> DStream:
        """Return a new DStream in which each RDD is ``func(rdd)`` or ``func(time, rdd)``.

        ``time`` is the batch time as a ``datetime``; ``func`` runs on the driver at each batch.

        Examples
        --------
        >>> history = ssc.sparkContext.parallelize([("spam", True)])           # doctest: +SKIP
        >>> clean = pairs.transform(lambda rdd: rdd.leftOuterJoin(history))     # doctest: +SKIP
        """
        return TransformedDStream(self, _with_time(func, 2, "transform"))

    def transformWith(self, func: Callable, other: DStream, keepSerializer: bool = False) -> DStream:
        """Return a new DStream of ``func(rdd_a, rdd_b)`` or ``func(time, rdd_a, rdd_b)`` per batch."""
        return TransformedWithDStream([self, other], _with_time(func, 3, "transformWith"))

    def _transform_narrow(self, func: Callable) -> DStream:
        return TransformedDStream(self, lambda t, rdd: func(rdd))

    # ---- element-wise -----------------------------------------------------------------------
    def mapPartitionsWithIndex(self, f: Callable, preservesPartitioning: bool = False) -> DStream:
        """Apply ``f(index, iterator)`` to every partition of every RDD."""
        return self._transform_narrow(lambda rdd: rdd.mapPartitionsWithIndex(f, preservesPartitioning))

    def mapPartitions(self, f: Callable, preservesPartitioning: bool = False) -> DStream:
        """Apply ``f(iterator)`` to every partition of every RDD."""
        return self._transform_narrow(lambda rdd: rdd.mapPartitions(f, preservesPartitioning))

    def map(self, f: Callable, preservesPartitioning: bool = False) -> DStream:
        """Apply ``f`` to every element."""
        return self._transform_narrow(lambda rdd: rdd.map(f, preservesPartitioning))

    def flatMap(self, f: Callable, preservesPartitioning: bool = False) -> DStream:
        """Apply ``f`` to every element and flatten the iterables it returns."""
        return self._transform_narrow(lambda rdd: rdd.flatMap(f, preservesPartitioning))

    def filter(self, f: Callable) -> DStream:
        """Keep the elements for which ``f`` is true."""
        return self._transform_narrow(lambda rdd: rdd.filter(f))

    def glom(self) -> DStream:
        """Turn each partition into one list."""
        def func(iterator):
            yield list(iterator)
        return self.mapPartitions(func)

    def mapValues(self, f: Callable) -> DStream:
        """Apply ``f`` to the value of every (key, value) pair, keeping the partitioning."""
        def map_values_fn(kv):
            return kv[0], f(kv[1])
        return self.map(map_values_fn, preservesPartitioning=True)

    def flatMapValues(self, f: Callable) -> DStream:
        """Apply ``f`` to every value and pair each of its results with the key."""
        def flat_map_fn(kv):
            return ((kv[0], x) for x in f(kv[1]))
        return self.flatMap(flat_map_fn, preservesPartitioning=True)

    # ---- aggregations -----------------------------------------------------------------------
    def count(self) -> DStream:
        """A DStream with one element per batch: the number of elements of the batch."""
        return self.mapPartitions(lambda i: [sum(1 for _ in i)]).reduce(operator.add)

    def reduce(self, func: Callable) -> DStream:
        """A DStream with one element per batch: the batch's elements reduced with ``func``."""
        return self.map(lambda x: (None, x)).reduceByKey(func, 1).map(lambda x: x[1])

    def countByValue(self) -> DStream:
        """(value, count) pairs of each batch."""
        return self.map(lambda x: (x, 1)).reduceByKey(lambda x, y: x + y)

    def reduceByKey(self, func: Callable, numPartitions: int | None = None) -> DStream:
        """Merge the values of each key with ``func`` (hash-partitioned into ``numPartitions``)."""
        if numPartitions is None:
            numPartitions = self._sc.defaultParallelism
        return self._transform_narrow(lambda rdd: rdd.reduceByKey(func, numPartitions))

    def combineByKey(self, createCombiner: Callable, mergeValue: Callable, mergeCombiners: Callable,
                     numPartitions: int | None = None) -> DStream:
        """Combine the values of each key (PySpark's ``RDD.combineByKey`` on every batch)."""
        if numPartitions is None:
            numPartitions = self._sc.defaultParallelism

        def func(rdd):
            return rdd.combineByKey(createCombiner, mergeValue, mergeCombiners, numPartitions)
        return self._transform_narrow(func)

    def groupByKey(self, numPartitions: int | None = None) -> DStream:
        """Group the values of each key into a ResultIterable."""
        if numPartitions is None:
            numPartitions = self._sc.defaultParallelism
        return self._transform_narrow(lambda rdd: rdd.groupByKey(numPartitions))

    def partitionBy(self, numPartitions: int, partitionFunc: Callable = portable_hash) -> DStream:
        """Hash-partition every RDD with ``partitionFunc``."""
        return self._transform_narrow(lambda rdd: rdd.partitionBy(numPartitions, partitionFunc))

    def repartition(self, numPartitions: int) -> DStream:
        """Reshuffle every RDD into ``numPartitions`` partitions."""
        return self._transform_narrow(lambda rdd: rdd.repartition(numPartitions))

    # ---- two streams ------------------------------------------------------------------------
    def union(self, other: DStream) -> DStream:
        """The elements of both streams in each batch (same slide duration required)."""
        if self._slide_ms != other._slide_ms:
            raise ValueError("the two DStream should have same slide duration")
        return self.transformWith(lambda a, b: a.union(b), other, True)

    def cogroup(self, other: DStream, numPartitions: int | None = None) -> DStream:
        """(key, (values in self, values in other)) for every key of either stream, per batch."""
        if numPartitions is None:
            numPartitions = self._sc.defaultParallelism
        return self.transformWith(lambda a, b: a.cogroup(b, numPartitions), other)

    def join(self, other: DStream, numPartitions: int | None = None) -> DStream:
        """Inner join of the (key, value) pairs of both streams, per batch."""
        if numPartitions is None:
            numPartitions = self._sc.defaultParallelism
        return self.transformWith(lambda a, b: a.join(b, numPartitions), other)

    def leftOuterJoin(self, other: DStream, numPartitions: int | None = None) -> DStream:
        """Left outer join, per batch (missing right values are None)."""
        if numPartitions is None:
            numPartitions = self._sc.defaultParallelism
        return self.transformWith(lambda a, b: a.leftOuterJoin(b, numPartitions), other)

    def rightOuterJoin(self, other: DStream, numPartitions: int | None = None) -> DStream:
        """Right outer join, per batch (missing left values are None)."""
        if numPartitions is None:
            numPartitions = self._sc.defaultParallelism
        return self.transformWith(lambda a, b: a.rightOuterJoin(b, numPartitions), other)

    def fullOuterJoin(self, other: DStream, numPartitions: int | None = None) -> DStream:
        """Full outer join, per batch."""
        if numPartitions is None:
            numPartitions = self._sc.defaultParallelism
        return self.transformWith(lambda a, b: a.fullOuterJoin(b, numPartitions), other)

    # ---- persistence ----------------------------------------------------------------------
    def cache(self) -> DStream:
        """Persist every RDD of this stream in memory (``StorageLevel.MEMORY_ONLY``)."""
        self.is_cached = True
        self.persist(StorageLevel.MEMORY_ONLY)
        return self

    def persist(self, storageLevel: StorageLevel) -> DStream:
        """Persist every RDD of this stream at ``storageLevel`` after it is first computed."""
        self._ssc._graph.check_not_started()
        self.is_cached = True
        self._storage_level = storageLevel
        return self

    def checkpoint(self, interval: float) -> DStream:
        """Checkpoint the RDDs of this stream every ``interval`` seconds (a multiple of its slide).

        This cuts their lineage; it needs ``ssc.checkpoint(directory)``.
        """
        self._ssc._graph.check_not_started()
        self.is_checkpointed = True
        self._checkpoint_ms = to_ms(interval, "checkpoint interval")
        if self._storage_level is None:
            self._storage_level = StorageLevel.MEMORY_ONLY
        return self

    # ---- outputs ------------------------------------------------------------------------------
    def foreachRDD(self, func: Callable) -> None:
        """Call ``func(rdd)`` or ``func(time, rdd)`` on the driver for every batch (an output operation)."""
        ForEachDStream(self, _with_time(func, 2, "foreachRDD"), "foreachRDD")

    def pprint(self, num: int = 10) -> None:
        """Print the first ``num`` elements of every batch, in PySpark's format."""
        def takeAndPrint(time, rdd):
            taken = rdd.take(num + 1)
            lines = ["-------------------------------------------", "Time: %s" % time,
                     "-------------------------------------------"]
            lines.extend(str(record) for record in taken[:num])
            if len(taken) > num:
                lines.append("...")
            lines.append("")
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
        ForEachDStream(self, takeAndPrint, "pprint")

    def saveAsTextFiles(self, prefix: str, suffix: str | None = None) -> None:
        """Save every batch as a text-file directory ``prefix-<time ms>[.suffix]``.

        The directory is written under a temporary name and then renamed, so a batch that runs
        again after a recovery finds its output already there and leaves it as it is.
        """
        def saveAsTextFile(t, rdd):
            from .checkpoint import save_text_atomically
            save_text_atomically(rdd, rddToFileName(prefix, suffix, t))
        ForEachDStream(self, saveAsTextFile, "saveAsTextFiles")

    # ---- time-based --------------------------------------------------------------------------
    def slice(self, begin: datetime | float, end: datetime | float) -> list:
        """Return the RDDs of this stream from ``begin`` to ``end`` (both included).

        ``begin`` and ``end`` are datetimes or unix timestamps in seconds.
        """
        return self._slice(datetime_to_ms(begin), datetime_to_ms(end))

    def _validate_window_param(self, window: float, slide: float | None) -> None:
        duration = self._slide_ms
        if to_ms(window, "windowDuration") % duration != 0:
            raise ValueError("windowDuration must be multiple of the parent dstream's slide (batch) "
                             "duration (%d ms)" % duration)
        if slide and to_ms(slide, "slideDuration") % duration != 0:
            raise ValueError("slideDuration must be multiple of the parent dstream's slide (batch) "
                             "duration (%d ms)" % duration)

    def window(self, windowDuration: float, slideDuration: float | None = None) -> DStream:
        """Each RDD holds the elements of the last ``windowDuration`` seconds, every ``slideDuration``."""
        self._validate_window_param(windowDuration, slideDuration)
        return WindowedDStream(self, to_ms(windowDuration), to_ms(slideDuration) if slideDuration else None)

    def reduceByWindow(self, reduceFunc: Callable, invReduceFunc: Callable | None,
                       windowDuration: float, slideDuration: float) -> DStream:
        """One element per window: its elements reduced with ``reduceFunc``.

        With ``invReduceFunc`` the window is updated incrementally (needs a checkpoint directory).
        """
        keyed = self.map(lambda x: (1, x))
        reduced = keyed.reduceByKeyAndWindow(reduceFunc, invReduceFunc, windowDuration, slideDuration, 1)
        return reduced.map(lambda kv: kv[1])

    def countByWindow(self, windowDuration: float, slideDuration: float) -> DStream:
        """One element per window: the number of its elements (incremental; needs a checkpoint)."""
        return self.map(lambda x: 1).reduceByWindow(operator.add, operator.sub, windowDuration, slideDuration)

    def countByValueAndWindow(self, windowDuration: float, slideDuration: float,
                              numPartitions: int | None = None) -> DStream:
        """(value, count) pairs over each window (incremental; needs a checkpoint)."""
        keyed = self.map(lambda x: (x, 1))
        counted = keyed.reduceByKeyAndWindow(operator.add, operator.sub, windowDuration, slideDuration,
                                             numPartitions)
        return counted.filter(lambda kv: kv[1] > 0)

    def groupByKeyAndWindow(self, windowDuration: float, slideDuration: float,
                            numPartitions: int | None = None) -> DStream:
        """(key, values) over each window (incremental; needs a checkpoint)."""
        ls = self.mapValues(lambda x: [x])
        # PySpark merges with ``a.extend(b) or a``: harmless there because cached partitions are
        # pickled; here they may be shared objects, so never mutate a value in place
        grouped = ls.reduceByKeyAndWindow(operator.add, lambda a, b: a[len(b):],
                                          windowDuration, slideDuration, numPartitions)
        return grouped.mapValues(ResultIterable)

    def reduceByKeyAndWindow(self, func: Callable, invFunc: Callable | None, windowDuration: float,
                             slideDuration: float | None = None, numPartitions: int | None = None,
                             filterFunc: Callable | None = None) -> DStream:
        """Merge the values of each key over a sliding window.

        With ``invFunc`` (the inverse of ``func``) the window is maintained incrementally as in
        PySpark: previous window + new slices - expired slices, then ``filterFunc`` prunes keys
        (for windows of at least five slides; shorter ones are reduced in full). This needs
        ``ssc.checkpoint(directory)``. Without ``invFunc`` the window is reduced in full.
        """
        self._validate_window_param(windowDuration, slideDuration)
        if numPartitions is None:
            numPartitions = self._sc.defaultParallelism
        reduced = self.reduceByKey(func, numPartitions)
        if invFunc:
            from .window import ReducedWindowedDStream
            return ReducedWindowedDStream(reduced, func, invFunc, to_ms(windowDuration),
                                          to_ms(slideDuration) if slideDuration else self._slide_ms,
                                          numPartitions, filterFunc)
        return reduced.window(windowDuration, slideDuration).reduceByKey(func, numPartitions)

    # ---- state ----------------------------------------------------------------------------------
    def updateStateByKey(self, updateFunc: Callable, numPartitions: int | None = None,
                         initialRDD: Any = None) -> DStream:
        """Keep a state per key: ``updateFunc(new_values, last_state)`` returns the new state.

        It is called every batch for every key that has a state or new values; returning None
        removes the key. Needs ``ssc.checkpoint(directory)``.
        """
        from .state import StateDStream, StateDStreamView
        if numPartitions is None:
            numPartitions = self._sc.defaultParallelism
        if initialRDD is not None and not hasattr(initialRDD, "mapPartitionsWithIndex"):
            initialRDD = self._sc.parallelize(initialRDD)
        return StateDStreamView(StateDStream(self, updateFunc, numPartitions, initialRDD))

    def mapWithState(self, spec: Any) -> Any:
        """Scala's ``mapWithState``: ``spec.function(key, value, state)`` maps each new record.

        The function reads and updates the key's :class:`State`; only keys with new data (or
        timing out) are touched. The result streams the returned values;
        ``.stateSnapshots()`` streams every (key, state). Needs ``ssc.checkpoint(directory)``.
        """
        from .state import MapWithStateDStream
        return MapWithStateDStream(self, spec)


class TransformedDStream(DStream):
    """One parent, one function ``func(time, rdd) -> rdd``; consecutive ones are fused."""

    def __init__(self, prev: DStream, func: Callable) -> None:
        if type(prev) is TransformedDStream and not prev.is_cached and not prev.is_checkpointed:
            prev_func = prev._func

            def fused(t, rdd):
                return func(t, prev_func(t, rdd))
            self._func = fused
            prev = prev._parents[0]
        else:
            self._func = func
        super().__init__(prev._ssc, [prev])

    def _compute(self, t: int) -> Any:
        rdd = self._parents[0]._get_or_compute(t)
        if rdd is None:
            return None
        return _check_rdd(self._func(ms_to_datetime(t), rdd), self)


class TransformedWithDStream(DStream):
    """Several parents, ``func(time, *rdds) -> rdd`` (a parent without an RDD passes None)."""

    def __init__(self, parents: list[DStream], func: Callable) -> None:
        super().__init__(parents[0]._ssc, parents)
        self._func = func

    def _compute(self, t: int) -> Any:
        rdds = [p._get_or_compute(t) for p in self._parents]
        if all(r is None for r in rdds):
            return None
        return _check_rdd(self._func(ms_to_datetime(t), *rdds), self)


class UnionDStream(DStream):
    """The union of the RDDs of several streams of the same slide duration."""

    def __init__(self, parents: list[DStream]) -> None:
        if not parents:
            raise ValueError("union needs at least one DStream")
        slides = {p._slide_ms for p in parents}
        if len(slides) > 1:
            raise ValueError("All DStreams should have same slide duration")
        super().__init__(parents[0]._ssc, parents)

    def _compute(self, t: int) -> Any:
        rdds = [r for r in (p._get_or_compute(t) for p in self._parents) if r is not None]
        if not rdds:
            return None
        return rdds[0] if len(rdds) == 1 else self._sc.union(rdds)


class WindowedDStream(DStream):
    """Each RDD is the union of the parent's RDDs in the window ending at its time."""

    def __init__(self, parent: DStream, window_ms: int, slide_ms: int | None) -> None:
        slide_ms = slide_ms or parent._slide_ms
        if window_ms % parent._slide_ms:
            raise ValueError(f"the window duration ({window_ms} ms) must be a multiple of the parent's "
                             f"slide duration ({parent._slide_ms} ms)")
        if slide_ms % parent._slide_ms:
            raise ValueError(f"the slide duration ({slide_ms} ms) must be a multiple of the parent's "
                             f"slide duration ({parent._slide_ms} ms)")
        super().__init__(parent._ssc, [parent], slide_ms)
        self._window_ms = window_ms
        # each parent RDD is read by several windows: keep it instead of recomputing it
        if parent._storage_level is None:
            parent._storage_level = StorageLevel.MEMORY_ONLY

    def _parent_remember_ms(self) -> int | None:
        return (self._remember_ms or 0) + self._window_ms

    def _compute(self, t: int) -> Any:
        parent = self._parents[0]
        rdds = parent._slice(t - self._window_ms + parent._slide_ms, t)
        if len(rdds) == 1:
            return rdds[0]
        return self._sc.union(rdds) if rdds else self._sc.emptyRDD()


class ForEachDStream(DStream):
    """An output operation: at each batch its job calls ``func(time, rdd)`` on the driver."""

    def __init__(self, parent: DStream, func: Callable, name: str) -> None:
        super().__init__(parent._ssc, [parent])
        self._func = func
        self._op_name = name
        self._output_id = self._ssc._graph.add_output_stream(self)

    def _compute(self, t: int) -> Any:
        return self._parents[0]._get_or_compute(t)

    def _generate_job(self, t: int) -> Job | None:
        if not self._is_time_valid(t):
            return None
        rdd = self._parents[0]._get_or_compute(t)
        if rdd is None:
            return None
        func = self._func

        def run():
            func(ms_to_datetime(t), rdd)
        return Job(t, self._output_id, self._op_name, self._site, run)


class InputDStream(DStream):
    """A stream with no parent: its RDDs come from outside (a queue, a receiver, files).

    Subclasses implement ``_compute(t)`` and may override ``start``/``stop`` (called by the
    context), ``_input_info(t)`` (records per batch, for listeners) and the checkpoint hooks
    ``_restore``.
    """

    def __init__(self, ssc: StreamingContext) -> None:
        super().__init__(ssc, (), ssc._graph.batch_ms)
        self._input_id = ssc._graph.add_input_stream(self)

    def start(self) -> None:
        """Called when the context starts (before the first batch)."""

    def stop(self) -> None:
        """Called when the context stops."""

    def _on_tick(self, t: int) -> None:
        """Take the data of the batch of time ``t`` (on the timer thread, at that time)."""

    def _after_batch(self, t: int) -> None:
        """Prepare the next batches once the batch of time ``t`` is done (jobs thread): work
        done here delays no batch, and runs while executors are idle unless batches lag."""

    def _input_info(self, t: int) -> tuple[int, dict] | None:
        """(number of records, metadata) of the batch of time ``t``, when known."""
        return None

    def _prune(self, cutoff: int) -> None:
        """Forget per-batch metadata of times up to ``cutoff``."""

    def _clear_metadata(self, t: int) -> None:
        super()._clear_metadata(t)
        self._prune(t - (self._remember_ms or self._slide_ms))
