"""RDD: a lazy, partitioned collection with lineage, and PySpark's operators on it.

Transformations return new RDDs and run nothing; actions (collect, count, save...) run a job.
Chains of narrow transformations are fused into one function per partition (a pipeline), as
in PySpark. Keyed operators go through one primitive, ``combineByKey``, which skips the
shuffle when the data is already partitioned the way it asks for.
"""
from __future__ import annotations

import bisect
import copy
import heapq
import itertools
import math
import random
import sys
import weakref
from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from functools import reduce as _reduce
from typing import Any

from .dependencies import Dependency, OneToOneDependency
from .partitioner import Partitioner, RangeBounds, portable_hash
from .resultiterable import ResultIterable
from .serialization import check_serializable
from .sketches import HyperLogLog
from .statcounter import StatCounter
from .fastpath import ConstPairs, const_pair
from .storage.shuffle import Aggregator, combine_const, combine_values, merge_combiners
from .scheduler.task import shipped_as_stored
from .storagelevel import StorageLevel
from .userfunc import fail_on_stopiteration

__all__ = ["RDD"]


def _impl() -> Any:
    """Return the module of the concrete RDDs (rdd_impl): they subclass RDD, so it is imported on
    first use rather than when this module is."""
    from . import rdd_impl
    return rdd_impl


def _identity(x: Any) -> Any:
    return x


def _block_id(rdd_id: int, index: int) -> str:
    return f"rdd-{rdd_id}-{index}"


def _min_max_count(tc: Any, it: Iterator) -> tuple[Any, Any, int] | None:
    """(min, max, count) of a partition's elements other than None and float NaN (histogram)."""
    n = 0
    lo = hi = None
    for x in it:
        if x is None or (type(x) is float and math.isnan(x)):
            continue
        lo, hi = (x, x) if n == 0 else (min(lo, x), max(hi, x))
        n += 1
    return (lo, hi, n) if n else None


class RDD:
    """A Resilient Distributed Dataset: partitions, dependencies, and how to compute a partition.

    >>> ctx.parallelize([1, 2, 3, 4], 2).map(lambda x: x * 2).collect()   # doctest: +SKIP
    [2, 4, 6, 8]
    """

    def __init__(self, ctx: Any, deps: list[Dependency]) -> None:
        self.ctx = ctx
        self.id = ctx._new_rdd_id() if ctx is not None else -1
        self._deps = deps
        self.partitioner: Partitioner | None = None
        self._storage_level: StorageLevel | None = None
        self._checkpoint_mark: str | None = None  # None, "reliable" or "local"
        self._checkpoint_rdd: RDD | None = None
        self._partitions: list | None = None
        self._name: str | None = None

    # -- lineage ---------------------------------------------------------------------------
    def _get_partitions(self) -> list:
        raise NotImplementedError

    def compute(self, split: Any, tc: Any) -> Iterator:
        """Return an iterator over one partition's records (executor side)."""
        raise NotImplementedError

    def partitions(self) -> list:
        """Return the partition objects (computed once on the driver)."""
        if self._checkpoint_rdd is not None:
            return self._checkpoint_rdd.partitions()
        if self._partitions is None:
            self._partitions = self._get_partitions()
        return self._partitions

    def dependencies(self) -> list[Dependency]:
        if self._checkpoint_rdd is not None:
            return [OneToOneDependency(self._checkpoint_rdd)]
        return self._deps

    def iterator(self, split: Any, tc: Any) -> Iterator:
        """Return the partition's records: from the block store when persisted, else computed."""
        if self._storage_level is not None:
            return self._get_or_compute(split, tc)
        if self._checkpoint_rdd is not None:
            return self._checkpoint_rdd.iterator(split, tc)
        return self.compute(split, tc)

    def _get_or_compute(self, split: Any, tc: Any) -> Iterator:
        store = tc.env.block_store
        bid = _block_id(self.id, split.index)
        values = store.get(bid)
        if values is None:
            if self._checkpoint_rdd is not None:
                values = list(self._checkpoint_rdd.iterator(split, tc))
            else:
                values = list(self.compute(split, tc))
            store.put(bid, values)
        return iter(values)

    def _republish(self, store: Any) -> None:
        """Before a stage runs on executors: store again source data of this RDD that the block
        store lost (RDDs over driver-side data override this; others have none)."""

    def _all_blocks_stored(self, store: Any) -> bool:
        return store.contains_all([_block_id(self.id, i) for i in range(self.getNumPartitions())])

    def __getstate__(self):
        self.partitions()  # executors need them and cannot list files or ask the driver
        state = self.__dict__.copy()
        state["ctx"] = None
        state.pop("_partitioned_by", None)
        return state

    def __reduce_ex__(self, protocol: Any) -> Any:
        if (self._storage_level is not None and self._checkpoint_rdd is None
                and self.id in shipped_as_stored()):
            # the scheduler found every partition stored: a stage reads them and needs none of
            # the lineage, which can grow long (a window's or a state's chain of batches)
            return (_impl().StoredRDD, (self.id, self.partitions(), self._storage_level, self.partitioner,
                                      repr(self)))
        return super().__reduce_ex__(protocol)

    @property
    def context(self) -> Any:
        """The Context this RDD was created on."""
        return self.ctx

    def getNumPartitions(self) -> int:
        """Return the number of partitions."""
        return len(self.partitions())

    def name(self) -> str | None:
        return self._name

    def setName(self, name: str) -> "RDD":
        self._name = name
        return self

    def __repr__(self) -> str:
        return f"{self._name or type(self).__name__}[{self.id}]"

    def toDebugString(self) -> bytes:
        """Return the lineage as text (bytes, as PySpark returns it), one RDD per line."""
        lines: list[str] = []

        def walk(rdd: RDD, indent: str, head: str) -> None:
            lvl = f" [{rdd._storage_level}]" if rdd._storage_level is not None else ""
            ck = " [checkpointed]" if rdd._checkpoint_rdd is not None else ""
            lines.append(f"{indent}{head}{rdd!r}{lvl}{ck}")
            for dep in rdd.dependencies():
                if dep.is_shuffle:
                    walk(dep.rdd, indent + " ", f"+-({dep.rdd.getNumPartitions()}) ")
                else:
                    walk(dep.rdd, indent + ("   " if head.startswith("+-") else ""), " |  ")

        walk(self, "", f"({self.getNumPartitions()}) ")
        return "\n".join(lines).encode("utf-8")

    # -- persistence and checkpoints -------------------------------------------------------
    def cache(self) -> "RDD":
        """Persist with MEMORY_ONLY; return this RDD."""
        return self.persist(StorageLevel.MEMORY_ONLY)

    def persist(self, storageLevel: StorageLevel = StorageLevel.MEMORY_ONLY) -> "RDD":
        """Keep computed partitions in the block store for reuse; return this RDD."""
        if self._storage_level is None:
            cleaner = self.ctx._cleaner
            weakref.finalize(self, cleaner.clean_rdd, self.id,
                             [_block_id(self.id, i) for i in range(self.getNumPartitions())])
        self._storage_level = storageLevel
        return self

    @property
    def is_cached(self) -> bool:
        return self._storage_level is not None

    def unpersist(self, blocking: bool = False) -> "RDD":
        """Drop the stored partitions; return this RDD."""
        if self._storage_level is not None:
            self.ctx._cleaner.clean_blocks([_block_id(self.id, i) for i in range(self.getNumPartitions())])
            if self._checkpoint_mark != "local" or self._checkpoint_rdd is None:
                self._storage_level = None
                self.__dict__.pop("_partitioned_by", None)
                self.ctx._scheduler.forget_rdd(self.id)
        return self

    def getStorageLevel(self) -> StorageLevel:
        return self._storage_level or StorageLevel.NONE

    def checkpoint(self) -> None:
        """Mark this RDD to be saved to the checkpoint directory after the next job that
        computes it, cutting its lineage. Persist it first to avoid computing it twice."""
        if self.ctx._checkpoint_dir is None:
            raise ValueError("Checkpoint directory has not been set: call ctx.setCheckpointDir(path) first")
        if self._checkpoint_rdd is None:
            self._checkpoint_mark = "reliable"

    def localCheckpoint(self) -> None:
        """Cut the lineage once computed, keeping partitions only in the block store (fast,
        not fault tolerant: a lost block cannot be recomputed)."""
        if self._storage_level is None:
            self.persist(StorageLevel.MEMORY_AND_DISK)
        if self._checkpoint_rdd is None:
            self._checkpoint_mark = "local"

    def isCheckpointed(self) -> bool:
        return self._checkpoint_rdd is not None

    def isLocallyCheckpointed(self) -> bool:
        return self._checkpoint_rdd is not None and self._checkpoint_mark == "local"

    def getCheckpointFile(self) -> str | None:
        if self._checkpoint_rdd is not None and self._checkpoint_mark == "reliable":
            return self._checkpoint_rdd.path  # type: ignore[attr-defined]
        return None

    def _do_checkpoint(self, seen: set[int] | None = None) -> None:
        """After a job: save marked RDDs of this lineage (Spark's doCheckpoint)."""
        seen = set() if seen is None else seen
        if self.id in seen:
            return
        seen.add(self.id)
        if self._checkpoint_rdd is not None:
            return
        if self._checkpoint_mark == "reliable":
            self._checkpoint_rdd = _impl().write_checkpoint(self)
            self._mark_checkpointed()
        elif self._checkpoint_mark == "local":
            # a job may have computed only some partitions (take, first): store the rest now,
            # as Spark's LocalRDDCheckpointData does, so the lineage can always be cut
            store = self.ctx._backend.env.block_store
            missing = [i for i in range(self.getNumPartitions()) if not store.contains(_block_id(self.id, i))]
            if missing:
                self.ctx._run_job(self, lambda tc, it: None, missing, checkpoint=False)
            self._checkpoint_rdd = _impl().LocalCheckpointRDD(self.ctx, self.id, self.getNumPartitions(),
                                                            self.partitioner)
            self._mark_checkpointed()
        else:
            for dep in self._deps:
                dep.rdd._do_checkpoint(seen)

    def _mark_checkpointed(self) -> None:
        """Drop every reference to the old lineage now that the checkpoint replaces it, so the
        parents (and their shuffle outputs) can be garbage collected (Spark's markCheckpointed)."""
        self._deps = []
        self._partitions = None
        self._clear_dependencies()

    def _clear_dependencies(self) -> None:
        """Forget the parent RDDs (and functions) ``compute`` reads; subclasses keeping them in
        attributes override this. Only called once the RDD is checkpointed."""

    # -- narrow transformations ------------------------------------------------------------
    def mapPartitionsWithIndex(self, f: Callable[[int, Iterator], Iterable],
                               preservesPartitioning: bool = False) -> "RDD":
        """Return a new RDD of ``f(partitionIndex, iterator)`` over each partition."""
        check_serializable(f)
        return _impl().PipelinedRDD(self, f, preservesPartitioning)

    def mapPartitions(self, f: Callable[[Iterator], Iterable], preservesPartitioning: bool = False) -> "RDD":
        """Return a new RDD of ``f(iterator)`` over each partition."""
        check_serializable(f)
        return _impl().PipelinedRDD(self, lambda _, it: f(it), preservesPartitioning)

    def mapPartitionsWithSplit(self, f: Callable, preservesPartitioning: bool = False) -> "RDD":
        return self.mapPartitionsWithIndex(f, preservesPartitioning)

    def map(self, f: Callable[[Any], Any], preservesPartitioning: bool = False) -> "RDD":
        """Return a new RDD of ``f(x)`` for each element."""
        check_serializable(f)
        const = const_pair(f)
        if const is not None:  # f is lambda x: (x, C): pair in C (dstreams.fastpath)
            c = const[0]
            return _impl().PipelinedRDD(self, lambda _, it: ConstPairs(it, c), preservesPartitioning)
        g = fail_on_stopiteration(f)
        return _impl().PipelinedRDD(self, lambda _, it: map(g, it), preservesPartitioning)

    def flatMap(self, f: Callable[[Any], Iterable], preservesPartitioning: bool = False) -> "RDD":
        """Return a new RDD of all elements of ``f(x)`` for each element."""
        check_serializable(f)
        chain = itertools.chain.from_iterable
        g = fail_on_stopiteration(f)
        return _impl().PipelinedRDD(self, lambda _, it: chain(map(g, it)), preservesPartitioning)

    def filter(self, f: Callable[[Any], bool]) -> "RDD":
        """Return a new RDD of the elements for which ``f`` is true."""
        check_serializable(f)
        g = fail_on_stopiteration(f)
        return _impl().PipelinedRDD(self, lambda _, it: filter(g, it), True)

    def glom(self) -> "RDD":
        """Return an RDD with each partition turned into one list."""
        return _impl().PipelinedRDD(self, lambda _, it: [list(it)], False)

    def keyBy(self, f: Callable[[Any], Any]) -> "RDD":
        """Return an RDD of ``(f(x), x)``."""
        return self.map(lambda x: (f(x), x))

    def keys(self) -> "RDD":
        return self.map(lambda kv: kv[0])

    def values(self) -> "RDD":
        return self.map(lambda kv: kv[1])

    def mapValues(self, f: Callable[[Any], Any]) -> "RDD":
        """Return ``(k, f(v))`` for each pair, keeping the partitioner."""
        check_serializable(f)
        return _impl().PipelinedRDD(self, lambda _, it: ((k, f(v)) for k, v in it), True)

    def flatMapValues(self, f: Callable[[Any], Iterable]) -> "RDD":
        """Return ``(k, w)`` for each ``w`` in ``f(v)``, keeping the partitioner."""
        check_serializable(f)
        return _impl().PipelinedRDD(self, lambda _, it: ((k, w) for k, v in it for w in f(v)), True)

    def union(self, other: "RDD") -> "RDD":
        """Return the elements of both RDDs (duplicates kept)."""
        return self.ctx.union([self, other])

    def __add__(self, other: "RDD") -> "RDD":
        if not isinstance(other, RDD):
            return NotImplemented
        return self.union(other)

    def coalesce(self, numPartitions: int, shuffle: bool = False) -> "RDD":
        """Return an RDD with ``numPartitions`` partitions; without shuffle only fewer."""
        if numPartitions < 1:
            raise ValueError(f"numPartitions must be at least 1, got {numPartitions}")
        if shuffle:
            return self.repartition(numPartitions)
        return _impl().CoalescedRDD(self, numPartitions)

    def repartition(self, numPartitions: int) -> "RDD":
        """Return an RDD with exactly ``numPartitions`` partitions (always shuffles)."""
        n = int(numPartitions)

        def spread(index: int, it: Iterator) -> Iterator:
            pos = random.Random(index).randint(0, n - 1)
            for x in it:
                pos = (pos + 1) % n
                yield (pos, x)

        return self.mapPartitionsWithIndex(spread).partitionBy(n, _identity).values()

    def zip(self, other: "RDD") -> "RDD":
        """Pair the i-th elements of two RDDs with the same partitioning and partition sizes."""
        if self.getNumPartitions() != other.getNumPartitions():
            raise ValueError("Can only zip with RDD which has the same number of partitions")
        return _impl().ZippedRDD(self, other)

    def zipWithIndex(self) -> "RDD":
        """Pair each element with its index (runs a job when there is more than one partition)."""
        starts = [0]
        n = self.getNumPartitions()
        if n > 1:
            counts = self.mapPartitions(lambda it: [sum(1 for _ in it)]).collect()
            for c in counts[:-1]:
                starts.append(starts[-1] + c)
        return self.mapPartitionsWithIndex(lambda k, it: ((x, i) for i, x in enumerate(it, starts[k])))

    def zipWithUniqueId(self) -> "RDD":
        """Pair each element with a unique id ``i * n + k`` (no job)."""
        n = self.getNumPartitions()
        return self.mapPartitionsWithIndex(lambda k, it: ((x, i * n + k) for i, x in enumerate(it)))

    def cartesian(self, other: "RDD") -> "RDD":
        """Return every pair ``(a, b)`` with ``a`` in this RDD and ``b`` in ``other``."""
        return _impl().CartesianRDD(self, other)

    def sample(self, withReplacement: bool, fraction: float, seed: int | None = None) -> "RDD":
        """Return a random sample (Bernoulli, or Poisson with replacement)."""
        if fraction < 0:
            raise ValueError(f"fraction must be non-negative, got {fraction}")
        seed = random.randint(0, sys.maxsize) if seed is None else seed

        def sampler(index: int, it: Iterator) -> Iterator:
            rng = random.Random(seed * 1000003 + index)
            if withReplacement:
                for x in it:
                    for _ in range(_poisson(rng, fraction)):
                        yield x
            else:
                for x in it:
                    if rng.random() < fraction:
                        yield x

        return self.mapPartitionsWithIndex(sampler, True)

    def randomSplit(self, weights: list[float], seed: int | None = None) -> list["RDD"]:
        """Split into RDDs whose sizes follow ``weights`` (randomly, by element)."""
        total = float(sum(weights))
        cum = list(itertools.accumulate(w / total for w in weights))
        seed = random.randint(0, sys.maxsize) if seed is None else seed

        def part(lo: float, hi: float) -> Callable:
            def f(index: int, it: Iterator) -> Iterator:
                rng = random.Random(seed * 1000003 + index)
                for x in it:
                    if lo <= rng.random() < hi:
                        yield x
            return f

        bounds = [0.0] + cum
        return [self.mapPartitionsWithIndex(part(bounds[i], bounds[i + 1]), True) for i in range(len(weights))]

    # -- keyed (shuffle) transformations -----------------------------------------------------
    def _defaultReducePartitions(self) -> int:
        if self.ctx.conf.is_set("dstreams.default.parallelism"):
            return self.ctx.defaultParallelism
        return self.getNumPartitions()

    def partitionBy(self, numPartitions: int | None, partitionFunc: Callable[[Any], int] = portable_hash) -> "RDD":
        """Return an RDD partitioned by ``partitionFunc(key) % numPartitions``."""
        if numPartitions is None:
            numPartitions = self._defaultReducePartitions()
        partitioner = Partitioner(numPartitions, partitionFunc)
        if self.partitioner == partitioner:
            return self
        check_serializable(partitionFunc, "partition function")
        stored = self._storage_level is not None or self._checkpoint_rdd is not None
        if stored:
            # a persisted RDD's data does not change: reuse the shuffle (and its map outputs) of
            # an earlier partitionBy, as a stream joined with a cached RDD does every batch
            memo = self.__dict__.setdefault("_partitioned_by", {})
            shuffled = memo.get(partitioner)
            if shuffled is None:
                shuffled = memo[partitioner] = _impl().ShuffledRDD(self, partitioner, None)
            return shuffled
        return _impl().ShuffledRDD(self, partitioner, None)

    def combineByKey(self, createCombiner: Callable, mergeValue: Callable, mergeCombiners: Callable,
                     numPartitions: int | None = None,
                     partitionFunc: Callable[[Any], int] = portable_hash) -> "RDD":
        """Return ``(k, combiner)`` per key, combining values map-side before the shuffle.

        >>> rdd.combineByKey(lambda v: [v], lambda c, v: c + [v], lambda a, b: a + b)   # doctest: +SKIP
        """
        if numPartitions is None:
            numPartitions = self._defaultReducePartitions()
        for f in (createCombiner, mergeValue, mergeCombiners):
            check_serializable(f)
        agg = Aggregator(createCombiner, mergeValue, mergeCombiners, True)
        partitioner = Partitioner(numPartitions, partitionFunc)
        if self.partitioner == partitioner:
            return _impl().PipelinedRDD(self, lambda _, it: iter(_combine(agg, it).items()), True)
        return _impl().ShuffledRDD(self, partitioner, agg)

    def reduceByKey(self, func: Callable[[Any, Any], Any], numPartitions: int | None = None,
                    partitionFunc: Callable[[Any], int] = portable_hash) -> "RDD":
        """Merge the values of each key with an associative, commutative ``func``."""
        return self.combineByKey(_identity, func, func, numPartitions, partitionFunc)

    def reduceByKeyLocally(self, func: Callable[[Any, Any], Any]) -> dict:
        """Return a dict of each key's reduced value (computed without a shuffle)."""
        check_serializable(func)
        agg = Aggregator(_identity, func, func)

        def merge(a: dict, b: dict) -> dict:
            return merge_combiners(agg, b.items(), a)

        return self.mapPartitions(lambda it: [combine_values(agg, it)]).reduce(merge)

    def aggregateByKey(self, zeroValue: Any, seqFunc: Callable, combFunc: Callable,
                       numPartitions: int | None = None,
                       partitionFunc: Callable[[Any], int] = portable_hash) -> "RDD":
        """Aggregate each key's values starting from a copy of ``zeroValue``."""
        return self.combineByKey(lambda v: seqFunc(copy.deepcopy(zeroValue), v), seqFunc, combFunc,
                                 numPartitions, partitionFunc)

    def foldByKey(self, zeroValue: Any, func: Callable, numPartitions: int | None = None,
                  partitionFunc: Callable[[Any], int] = portable_hash) -> "RDD":
        """Fold each key's values starting from a copy of ``zeroValue``."""
        return self.combineByKey(lambda v: func(copy.deepcopy(zeroValue), v), func, func,
                                 numPartitions, partitionFunc)

    def groupByKey(self, numPartitions: int | None = None,
                   partitionFunc: Callable[[Any], int] = portable_hash) -> "RDD":
        """Return ``(k, ResultIterable(values))`` per key."""
        return self.combineByKey(_new_list, _append, _extend, numPartitions, partitionFunc).mapValues(ResultIterable)

    def groupBy(self, f: Callable[[Any], Any], numPartitions: int | None = None,
                partitionFunc: Callable[[Any], int] = portable_hash) -> "RDD":
        """Return ``(f(x), ResultIterable(xs))`` grouping elements by ``f``."""
        return self.map(lambda x: (f(x), x)).groupByKey(numPartitions, partitionFunc)

    def distinct(self, numPartitions: int | None = None) -> "RDD":
        """Return the distinct elements."""
        return (self.map(lambda x: (x, None))
                .reduceByKey(lambda x, _: x, numPartitions)
                .map(lambda kv: kv[0]))

    def cogroup(self, other: "RDD", numPartitions: int | None = None) -> "RDD":
        """Return ``(k, (ResultIterable(vs), ResultIterable(ws)))`` for keys in either RDD."""
        return _cogroup([self, other], numPartitions)

    def groupWith(self, other: "RDD", *others: "RDD") -> "RDD":
        """cogroup with any number of RDDs."""
        return _cogroup([self, other, *others], None)

    def join(self, other: "RDD", numPartitions: int | None = None) -> "RDD":
        """Return ``(k, (v, w))`` for every pair of values sharing a key."""
        return _join(self, other, numPartitions, False, False)

    def leftOuterJoin(self, other: "RDD", numPartitions: int | None = None) -> "RDD":
        """Like join, with ``(k, (v, None))`` for keys missing in ``other``."""
        return _join(self, other, numPartitions, False, True)

    def rightOuterJoin(self, other: "RDD", numPartitions: int | None = None) -> "RDD":
        """Like join, with ``(k, (None, w))`` for keys missing in this RDD."""
        return _join(self, other, numPartitions, True, False)

    def fullOuterJoin(self, other: "RDD", numPartitions: int | None = None) -> "RDD":
        """Like join, with None on whichever side lacks the key."""
        return _join(self, other, numPartitions, True, True)

    def subtractByKey(self, other: "RDD", numPartitions: int | None = None) -> "RDD":
        """Return the pairs whose key is not in ``other``."""
        return (self.cogroup(other, numPartitions)
                .filter(lambda kv: len(kv[1][0]) > 0 and len(kv[1][1]) == 0)
                .flatMapValues(lambda vs: vs[0]))

    def subtract(self, other: "RDD", numPartitions: int | None = None) -> "RDD":
        """Return the elements not in ``other``."""
        return self.map(lambda x: (x, True)).subtractByKey(other.map(lambda x: (x, True)), numPartitions).keys()

    def intersection(self, other: "RDD") -> "RDD":
        """Return the distinct elements present in both RDDs."""
        return (self.map(lambda v: (v, None))
                .cogroup(other.map(lambda v: (v, None)))
                .filter(lambda kv: len(kv[1][0]) > 0 and len(kv[1][1]) > 0)
                .keys())

    def sortByKey(self, ascending: bool = True, numPartitions: int | None = None,
                  keyfunc: Callable[[Any], Any] = _identity) -> "RDD":
        """Return the pairs sorted by key (range-partitioned, each partition sorted)."""
        if numPartitions is None:
            numPartitions = self._defaultReducePartitions()

        def sort_partition(it: Iterator) -> Iterator:
            return iter(sorted(it, key=lambda kv: keyfunc(kv[0]), reverse=not ascending))

        if numPartitions == 1:
            rdd = self.coalesce(1) if self.getNumPartitions() > 1 else self
            return rdd.mapPartitions(sort_partition, True)
        size = self.count()
        if size == 0:
            return self
        fraction = min(numPartitions * 20.0 / max(size, 1), 1.0)
        samples = sorted(self.sample(False, fraction, 1).map(lambda kv: kv[0]).collect(), key=keyfunc)
        if samples:
            bounds = [keyfunc(samples[int(len(samples) * (i + 1) / numPartitions)])
                      for i in range(numPartitions - 1)]
        else:
            bounds = []
        part = RangeBounds(bounds, ascending, keyfunc, numPartitions)
        return self.partitionBy(numPartitions, part).mapPartitions(sort_partition, True)

    def sortBy(self, keyfunc: Callable[[Any], Any], ascending: bool = True,
               numPartitions: int | None = None) -> "RDD":
        """Return the elements sorted by ``keyfunc``."""
        return self.keyBy(keyfunc).sortByKey(ascending, numPartitions).values()

    # -- actions ---------------------------------------------------------------------------
    def _run(self, func: Callable[[Any, Iterator], Any], partitions: list[int] | None = None) -> list:
        return self.ctx._run_job(self, func, partitions)

    def collect(self) -> list:
        """Return all elements as a list, in partition order."""
        return [x for part in self._run(lambda tc, it: list(it)) for x in part]

    def toLocalIterator(self, prefetchPartitions: bool = False) -> Iterator:
        """Yield all elements, computing one partition at a time."""
        for p in range(self.getNumPartitions()):
            yield from self._run(lambda tc, it: list(it), [p])[0]

    def collectAsMap(self) -> dict:
        """Return the pairs as a dict (later values win)."""
        return dict(self.collect())

    def count(self) -> int:
        """Return the number of elements."""
        return sum(self._run(_count_partition))

    def foreach(self, f: Callable[[Any], Any]) -> None:
        """Apply ``f`` to every element (on the executors)."""
        check_serializable(f)

        def run(tc: Any, it: Iterator) -> None:
            for x in it:
                f(x)

        self._run(run)

    def foreachPartition(self, f: Callable[[Iterator], Any]) -> None:
        """Apply ``f`` to each partition's iterator."""
        check_serializable(f)

        def run(tc: Any, it: Iterator) -> None:
            r = f(it)
            try:
                results = iter(r)  # a generator function runs only when consumed
            except TypeError:  # None or any other non-iterable return value is ignored, as in PySpark
                return
            for _ in results:
                pass

        self._run(run)

    def reduce(self, f: Callable[[Any, Any], Any]) -> Any:
        """Reduce the elements with an associative, commutative ``f``.

        Raises ValueError("Can not reduce() empty RDD") when there are none."""
        check_serializable(f)
        vals = [v for v in self._run(lambda tc, it: _reduce_or_empty(f, it)) if not isinstance(v, _Empty)]
        if not vals:
            raise ValueError("Can not reduce() empty RDD")
        return _reduce(f, vals)

    def treeReduce(self, f: Callable[[Any, Any], Any], depth: int = 2) -> Any:
        return self.reduce(f)

    def fold(self, zeroValue: Any, op: Callable[[Any, Any], Any]) -> Any:
        """Fold each partition from ``zeroValue``, then the partial results."""
        check_serializable(op)

        def part(tc: Any, it: Iterator) -> Any:
            acc = copy.deepcopy(zeroValue)
            for x in it:
                acc = op(acc, x)
            return acc

        return _reduce(op, self._run(part), zeroValue)

    def aggregate(self, zeroValue: Any, seqOp: Callable, combOp: Callable) -> Any:
        """Aggregate each partition with ``seqOp`` from ``zeroValue``, then combine with ``combOp``."""
        check_serializable(seqOp)
        check_serializable(combOp)

        def part(tc: Any, it: Iterator) -> Any:
            acc = copy.deepcopy(zeroValue)
            for x in it:
                acc = seqOp(acc, x)
            return acc

        return _reduce(combOp, self._run(part), zeroValue)

    def treeAggregate(self, zeroValue: Any, seqOp: Callable, combOp: Callable, depth: int = 2) -> Any:
        return self.aggregate(zeroValue, seqOp, combOp)

    def sum(self) -> Any:
        """Return the sum of the elements."""
        return sum(self._run(lambda tc, it: sum(it)), 0)

    def max(self, key: Callable[[Any], Any] | None = None) -> Any:
        """Return the largest element (by ``key``)."""
        return self.reduce(lambda a, b: b if (key(b) if key else b) > (key(a) if key else a) else a)

    def min(self, key: Callable[[Any], Any] | None = None) -> Any:
        """Return the smallest element (by ``key``)."""
        return self.reduce(lambda a, b: b if (key(b) if key else b) < (key(a) if key else a) else a)

    def stats(self) -> StatCounter:
        """Return a StatCounter of the elements (count, mean, stdev, max, min)."""
        parts = self._run(lambda tc, it: StatCounter(it))
        return _reduce(lambda a, b: a.mergeStats(b), parts, StatCounter())

    def mean(self) -> float:
        return self.stats().mean()

    def variance(self) -> float:
        return self.stats().variance()

    def stdev(self) -> float:
        return self.stats().stdev()

    def sampleStdev(self) -> float:
        return self.stats().sampleStdev()

    def sampleVariance(self) -> float:
        return self.stats().sampleVariance()

    def histogram(self, buckets: "int | list | tuple") -> tuple[Any, list[int]]:
        """Return ``(buckets, counts)``, as PySpark's: an int ``n`` gives ``n`` evenly spaced buckets
        from the minimum to the maximum (integers when they divide evenly; a single bucket when
        min == max); a sorted list or tuple of boundaries is used as given (and returned as is).
        Buckets are ``[a, b)`` except the last, ``[a, b]``; None, NaN and values outside are not
        counted. ValueError for n < 1, fewer than 2, unsorted, duplicated, None or NaN boundaries,
        no element to take min and max of, or an infinite range; TypeError for non-numbers with n.

        >>> ctx.parallelize(range(51)).histogram(2)                 # doctest: +SKIP
        ([0, 25, 50], [25, 26])
        >>> ctx.parallelize(range(51)).histogram([0, 5, 25, 50])    # doctest: +SKIP
        ([0, 5, 25, 50], [5, 20, 26])
        """
        if isinstance(buckets, int):
            if buckets < 1:
                raise ValueError("number of buckets must be >= 1")
            parts = [r for r in self._run(_min_max_count) if r is not None]
            if not parts:
                raise ValueError("can not generate buckets from empty RDD")
            minv, maxv, count = parts[0]
            for lo, hi, n in parts[1:]:
                minv, maxv, count = min(minv, lo), max(maxv, hi), count + n
            if minv == maxv or buckets == 1:
                return [minv, maxv], [count]
            try:
                inc = (maxv - minv) / buckets
            except TypeError:
                raise TypeError("Can not generate buckets with non-number in RDD") from None
            if math.isinf(inc):
                raise ValueError("Can not generate buckets with infinite value")
            inc = int(inc) if int(inc) * buckets == maxv - minv else (maxv - minv) * 1.0 / buckets  # ints if exact
            bounds: Any = [i * inc + minv for i in range(buckets)] + [maxv]  # maxv itself: no accumulated error
            even = True
        elif isinstance(buckets, (list, tuple)):
            if len(buckets) < 2:
                raise ValueError("buckets should have more than one value")
            if any(b is None or isinstance(b, float) and math.isnan(b) for b in buckets):
                raise ValueError("can not have None or NaN in buckets")
            if sorted(buckets) != list(buckets):
                raise ValueError("buckets should be sorted")
            if len(set(buckets)) != len(buckets):
                raise ValueError("buckets should not contain duplicated values")
            bounds, minv, maxv, even, inc = buckets, buckets[0], buckets[-1], False, None
            try:
                steps = [buckets[i + 1] - buckets[i] for i in range(len(buckets) - 1)]
            except TypeError:
                pass  # boundaries without '-' (strings): bisect
            else:
                if max(steps) - min(steps) < 1e-10:
                    even, inc = True, (maxv - minv) / (len(buckets) - 1)
        else:
            raise TypeError("buckets should be a list or tuple or number(int or long)")

        def count_partition(tc: Any, it: Iterator) -> list[int]:
            counters = [0] * len(bounds)
            for x in it:
                if x is None or (isinstance(x, float) and math.isnan(x)) or x > maxv or x < minv:
                    continue
                counters[int((x - minv) / inc) if even else bisect.bisect_right(bounds, x) - 1] += 1
            last = counters.pop()  # the last bucket is closed: maxv counts in it
            counters[-1] += last
            return counters

        counts = self._run(count_partition)
        if not counts:
            raise ValueError("Can not reduce() empty RDD")  # no partitions, as PySpark
        return bounds, [sum(c) for c in zip(*counts)]

    def countApproxDistinct(self, relativeSD: float = 0.05) -> int:
        """Return an estimate of the number of distinct elements, within about ``relativeSD``
        (a HyperLogLog sketch of Spark's precision, dstreams.sketches, over portable_hash of each
        element: the same in every process). ValueError unless 0.000017 < relativeSD <= 0.37.

        >>> ctx.parallelize([i % 20 for i in range(1000)], 7).countApproxDistinct()   # doctest: +SKIP
        20
        """
        sketch = HyperLogLog.for_relative_sd(relativeSD)  # checks relativeSD before any job
        p = sketch.p

        def sketch_partition(tc: Any, it: Iterator) -> HyperLogLog:
            return HyperLogLog(p).add_all(portable_hash(x) & 0xFFFFFFFF for x in it)

        for part in self._run(sketch_partition):
            sketch.merge(part)
        return int(round(sketch.estimate()))

    def countByValue(self) -> dict:
        """Return a dict of each distinct element's count."""
        def part(tc: Any, it: Iterator) -> dict:
            counts: dict = defaultdict(int)
            for x in it:
                counts[x] += 1
            return counts

        def merge(a: dict, b: dict) -> dict:
            for k, v in b.items():
                a[k] += v
            return a

        return _reduce(merge, self._run(part), defaultdict(int))

    def countByKey(self) -> dict:
        """Return a dict of each key's number of pairs."""
        return self.map(lambda kv: kv[0]).countByValue()

    def lookup(self, key: Hashable) -> list:
        """Return the values of ``key`` (only its partition is scanned when partitioned)."""
        values = self.filter(lambda kv: kv[0] == key).values()
        if self.partitioner is not None:
            return values._run(lambda tc, it: list(it), [self.partitioner(key)])[0]
        return values.collect()

    def take(self, num: int) -> list:
        """Return the first ``num`` elements, scanning as few partitions as it can."""
        items: list = []
        total = self.getNumPartitions()
        scanned = 0
        while len(items) < num and scanned < total:
            n_try = 1
            if scanned > 0:
                if not items:
                    n_try = scanned * 4
                else:
                    n_try = int(1.5 * num * scanned / len(items)) - scanned
                    n_try = min(max(n_try, 1), scanned * 4)
            left = num - len(items)
            parts = list(range(scanned, min(scanned + n_try, total)))
            for res in self._run(lambda tc, it, left=left: list(itertools.islice(it, left)), parts):
                items.extend(res)
            scanned += n_try
        return items[:num]

    def first(self) -> Any:
        """Return the first element; ValueError when the RDD is empty."""
        rs = self.take(1)
        if rs:
            return rs[0]
        raise ValueError("RDD is empty")

    def isEmpty(self) -> bool:
        """Return whether the RDD has no elements."""
        return self.getNumPartitions() == 0 or len(self.take(1)) == 0

    def top(self, num: int, key: Callable[[Any], Any] | None = None) -> list:
        """Return the ``num`` largest elements, largest first."""
        parts = self._run(lambda tc, it: heapq.nlargest(num, it, key=key))
        return heapq.nlargest(num, itertools.chain.from_iterable(parts), key=key)

    def takeOrdered(self, num: int, key: Callable[[Any], Any] | None = None) -> list:
        """Return the ``num`` smallest elements, in ascending order."""
        parts = self._run(lambda tc, it: heapq.nsmallest(num, it, key=key))
        return heapq.nsmallest(num, itertools.chain.from_iterable(parts), key=key)

    def takeSample(self, withReplacement: bool, num: int, seed: int | None = None) -> list:
        """Return a random sample of exactly ``num`` elements (fewer if the RDD is smaller)."""
        if num < 0:
            raise ValueError("Sample size cannot be negative")
        rng = random.Random(seed)
        if num == 0:
            return []
        data = self.collect()
        if withReplacement:
            return [rng.choice(data) for _ in range(num)] if data else []
        rng.shuffle(data)
        return data[:num]

    def saveAsTextFile(self, path: str, compressionCodecClass: str | None = None) -> None:
        """Write one ``part-NNNNN`` file per partition (``str(x)`` per line) and ``_SUCCESS``
        under the directory ``path``, which must not exist yet."""
        _impl().save_as_text_file(self, path, compressionCodecClass)

    def saveAsPickleFile(self, path: str, batchSize: int = 10) -> None:
        """Write the partitions as pickled lists (read back with ``Context.pickleFile``)."""
        _impl().save_as_pickle_file(self, path)


def _combine(agg: Aggregator, it: Iterable) -> dict:
    """Combine a partition's (k, v) records by key (pairs with one constant: by counting)."""
    if type(it) is ConstPairs:
        return combine_const(agg, it.keys, it.value)
    return combine_values(agg, it)


def _count_partition(tc: Any, it: Iterator) -> int:
    counter = itertools.count()
    deque(zip(it, counter), 0)  # consumes in C
    return next(counter)


class _Empty:
    __slots__ = ()


_EMPTY = _Empty()


def _reduce_or_empty(f: Callable, it: Iterator) -> Any:
    it = iter(it)
    try:
        first = next(it)
    except StopIteration:
        return _EMPTY
    return _reduce(f, it, first)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's algorithm; fine for the small means sampling uses
    import math
    limit = math.exp(-mean)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _new_list(v: Any) -> list:
    return [v]


def _append(c: list, v: Any) -> list:
    c.append(v)
    return c


def _extend(a: list, b: list) -> list:
    a.extend(b)
    return a


def _cogroup(rdds: list[RDD], numPartitions: int | None) -> RDD:
    """PySpark's python_cogroup: tag values by source, group, split back per source."""
    n = len(rdds)
    tagged = [r.mapValues(_Tagger(i)) for i, r in enumerate(rdds)]
    union = rdds[0].ctx.union(tagged)

    def dispatch(values: Iterable) -> tuple:
        bufs: list[list] = [[] for _ in range(n)]
        for i, v in values:
            bufs[i].append(v)
        return tuple(ResultIterable(b) for b in bufs)

    return union.groupByKey(numPartitions).mapValues(dispatch)


class _Tagger:
    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i

    def __call__(self, v: Any) -> tuple:
        return (self.i, v)

    def __getstate__(self):
        return self.i

    def __setstate__(self, i):
        self.i = i


def _join(a: RDD, b: RDD, numPartitions: int | None, keep_left_missing: bool, keep_right_missing: bool) -> RDD:
    """join and its outer variants: both sides hash-partitioned alike (a side already
    partitioned that way is not shuffled), then each partition joined through dicts.

    The result is PySpark's ``python_join`` (union, groupByKey, pairs per key) record for
    record, in the same order: keys as they first appear in ``a`` then (outer joins) the
    remaining keys of ``b``; per key, each value of ``a`` with each value of ``b``.
    """
    if numPartitions is None:
        ctx = a.ctx
        if ctx.conf.is_set("dstreams.default.parallelism"):
            numPartitions = ctx.defaultParallelism
        elif a.partitioner is not None and a.partitioner == b.partitioner:
            numPartitions = a.getNumPartitions()  # what the partitioner-aware union has
        else:
            numPartitions = a.getNumPartitions() + b.getNumPartitions()
    # keep_right_missing: keep a's records whose key b lacks (left outer); keep_left_missing: the reverse
    join = _HashJoin(keep_right_missing, keep_left_missing)
    target = Partitioner(numPartitions, portable_hash)
    shuffle_a = a.partitioner != target
    shuffle_b = b.partitioner != target
    if shuffle_a and a.partitioner is not None and a.partitioner == b.partitioner:
        # partitioned alike but not as asked (rare): PySpark's way, whose output order mixes
        # the two sides partition by partition
        return _python_join(a, b, numPartitions, keep_left_missing, keep_right_missing)
    if shuffle_a and shuffle_b and not (a.is_cached or b.is_cached):
        # one shuffle of both sides (no tags: the reduce side tells them apart by map index)
        return _impl().SplitShuffledRDD(_impl().UnionRDD(a.ctx, [a, b]), target, a.getNumPartitions(), join)
    # a side already partitioned this way is read in place; a persisted one is shuffled once
    # and reused by later joins (partitionBy)
    return _impl().CoPartitionedRDD(a.partitionBy(numPartitions), b.partitionBy(numPartitions), join)


def _python_join(a: RDD, b: RDD, numPartitions: int, keep_left_missing: bool, keep_right_missing: bool) -> RDD:
    """PySpark's python_join and its outer variants: tag, union, group, pair up."""
    def dispatch(values: Iterable) -> Iterator:
        vbuf, wbuf = [], []
        for i, v in values:
            (vbuf if i == 0 else wbuf).append(v)
        if keep_right_missing and not wbuf:
            wbuf.append(None)
        if keep_left_missing and not vbuf:
            vbuf.append(None)
        return ((v, w) for v in vbuf for w in wbuf)

    vs = a.mapValues(_Tagger(0))
    ws = b.mapValues(_Tagger(1))
    return vs.union(ws).groupByKey(numPartitions).flatMapValues(dispatch)


def _group_by_key(it: Iterable) -> dict:
    groups: dict = {}
    get = groups.get
    for k, v in it:
        g = get(k)
        if g is None:
            groups[k] = [v]
        else:
            g.append(v)
    return groups


class _HashJoin:
    """Joins one partition of each side (see _join)."""

    __slots__ = ("left_outer", "right_outer")

    def __init__(self, left_outer: bool, right_outer: bool) -> None:
        self.left_outer, self.right_outer = left_outer, right_outer

    def __call__(self, left: Iterator, right: Iterator) -> Iterator:
        ws = _group_by_key(right)
        vs = _group_by_key(left)
        get = ws.get
        for k, vl in vs.items():
            wl = get(k)
            if wl is None:
                if self.left_outer:
                    for v in vl:
                        yield (k, (v, None))
            elif len(wl) == 1:
                w = wl[0]
                for v in vl:
                    yield (k, (v, w))
            else:
                for v in vl:
                    for w in wl:
                        yield (k, (v, w))
        if self.right_outer:
            for k, wl in ws.items():
                if k not in vs:
                    for w in wl:
                        yield (k, (None, w))

    def __getstate__(self):
        return (self.left_outer, self.right_outer)

    def __setstate__(self, s):
        self.left_outer, self.right_outer = s


