"""Context: the entry point of a dstreams program (PySpark's SparkContext)."""
from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from .accumulators import (COMPLEX_ACCUMULATOR_PARAM, FLOAT_ACCUMULATOR_PARAM, INT_ACCUMULATOR_PARAM,
                           Accumulator, AccumulatorParam)
from .allocator import return_freed_memory
from .broadcast import Broadcast, _block_id as _broadcast_block
from .conf import SparkConf
from .config import Settings
from .errors import ContextStoppedError, ContextUsedInTaskError, MasterURLError
from .files import check_writable, join, set_storage_options
from .master import Master, parse_master
from .rdd import RDD
from .scheduler.backend import SchedulerBackend
from .scheduler.dag import DAGScheduler

__all__ = ["Context"]

log = logging.getLogger("dstreams")

DEFAULT_MASTER = "local[*]"


class _Cleaner:
    """Deletes shuffle outputs and cached blocks once nothing references their RDDs."""

    def __init__(self, ctx: "Context") -> None:
        self._backend = ctx._backend
        self._scheduler = ctx._scheduler
        self.enabled = True

    def clean_shuffle(self, shuffle_id: int) -> None:
        if self.enabled:
            try:
                self._backend.env.shuffle_store.remove_shuffle(shuffle_id)
                self._scheduler.forget_shuffle(shuffle_id)
            except Exception:  # noqa: BLE001 - cleanup must never break a job
                log.debug("cleaning shuffle %s failed", shuffle_id, exc_info=True)

    def clean_rdd(self, rdd_id: int, block_ids: list[str]) -> None:
        """A persisted RDD is gone: delete its blocks and the scheduler's note of them."""
        self._scheduler.forget_rdd(rdd_id)
        self.clean_blocks(block_ids)

    def clean_blocks(self, block_ids: list[str]) -> None:
        if self.enabled:
            try:
                self._backend.env.block_store.remove_many(block_ids)
            except Exception:  # noqa: BLE001
                log.debug("cleaning blocks failed", exc_info=True)


class Context:
    """Main entry point: creates RDDs, broadcasts and accumulators, and runs jobs.

    ``master`` defaults to ``--master`` of ``dstreams run`` / ``DSTREAMS_MASTER``, else
    ``local[*]``. Use it as a context manager to stop it at the end.

    >>> with Context("local[2]", "demo") as ctx:                 # doctest: +SKIP
    ...     ctx.parallelize(range(10), 2).sum()
    45
    """

    _active: "Context | None" = None
    _active_lock = threading.RLock()

    def __init__(self, master: str | None = None, appName: str | None = None,
                 conf: "SparkConf | dict[str, Any] | None" = None, **kwargs: Any) -> None:
        with Context._active_lock:
            if Context._active is not None:
                raise ValueError(
                    f"Cannot run multiple Contexts at once; existing Context(app={Context._active.appName}, "
                    f"master={Context._active.master}) is still running: stop() it first")
            #: the frozen settings (dstreams.config): environment, then ``conf``, then the arguments
            self.conf: Settings = Settings.build(conf)
            if master is None:  # '' is not "unset": parse_master rejects it
                master = self.conf.value("dstreams.master")
                if master is None:
                    master = DEFAULT_MASTER
            self._master: Master = parse_master(master)
            self.master = self._master.url
            self.appName = appName or self.conf.value("dstreams.app.name")
            self.applicationId = (self.conf.value("dstreams.app.id")
                                  or f"app-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}")
            self.startTime = int(time.time() * 1000)
            self._stopped = False
            self._rdd_ids = itertools.count()
            self._broadcast_ids = itertools.count()
            self._published: set[int] = set()
            self._checkpoint_dir: str | None = None
            self._apply_storage_conf()
            if self._master.kind != "local":  # tasks run elsewhere: see allocator.py
                return_freed_memory()
            self._backend = self._make_backend()
            max_failures = self.conf.value("dstreams.task.maxFailures") or self._master.max_failures or 4
            self._scheduler = DAGScheduler(self._backend, max_task_failures=max_failures)
            self._cleaner = _Cleaner(self)
            self._ui = self._start_ui()
            Context._active = self
        log.info("started Context app=%s id=%s master=%s", self.appName, self.applicationId, self.master)

    # -- construction helpers ------------------------------------------------------------
    def _make_backend(self) -> SchedulerBackend:
        kind = self._master.kind
        if kind == "local":
            from .executor.local import LocalBackend
            return LocalBackend(self.applicationId, self._master.cores)
        if kind == "local-processes":
            from .executor.processes import ProcessBackend
            return ProcessBackend(self.applicationId, self._master.cores)
        try:
            from .executor import cluster
        except ImportError as exc:
            raise MasterURLError(
                f"master {self.master!r} needs the cluster data plane, which is not available: {exc}") from exc
        return cluster.make_backend(self)

    def _start_ui(self) -> Any:
        if not self.conf.value("dstreams.ui.enabled"):
            return None
        from .ui.server import UIServer
        host = self.conf.value("dstreams.ui.host") or ("0.0.0.0" if self._master.kind == "redis" else "127.0.0.1")
        try:
            return UIServer(self, host, self.conf.value("dstreams.ui.port"))
        except OSError as exc:
            log.warning("the UI did not start: %s", exc)
            return None

    def getConf(self) -> SparkConf:
        """Return a copy of this Context's configuration as a SparkConf (with ``spark.master``,
        ``spark.app.name`` and ``spark.app.id`` as they are in effect)."""
        conf = SparkConf().setAll(self.conf.items())
        return conf.set("spark.master", self.master).set("spark.app.name", self.appName) \
            .set("spark.app.id", self.applicationId)

    @property
    def uiWebUrl(self) -> str | None:
        """The URL of the driver's web UI, or None when it is off (conf ``dstreams.ui.enabled``)."""
        return self._ui.url if self._ui is not None else None

    def _apply_storage_conf(self) -> None:
        per_protocol: dict[str, dict[str, Any]] = {}
        for key, value in self.conf.with_prefix("dstreams.fs.").items():
            protocol, _, opt = key.partition(".")
            per_protocol.setdefault(protocol, {})[opt] = value
        for protocol, opts in per_protocol.items():
            set_storage_options(protocol, opts)

    @classmethod
    def getOrCreate(cls, conf: dict[str, Any] | None = None) -> "Context":
        """Return the active Context, creating one (from ``conf``) when there is none."""
        with cls._active_lock:
            if cls._active is None:
                cls(conf=conf)
            assert cls._active is not None
            return cls._active

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __reduce__(self):
        raise ContextUsedInTaskError(
            "It appears that you are attempting to reference SparkContext from a broadcast variable, "
            "action, or transformation. SparkContext (dstreams' Context) can only be used on the driver, "
            "not in code that runs on executors (as in Spark, SPARK-5063).")

    def _new_rdd_id(self) -> int:
        return next(self._rdd_ids)

    def _check_alive(self) -> None:
        if self._stopped:
            raise ContextStoppedError(f"Context {self.appName} ({self.applicationId}) has been stopped")

    # -- properties ------------------------------------------------------------------------
    @property
    def defaultParallelism(self) -> int:
        """Default number of partitions: the number of task slots (or the conf's override)."""
        override = self.conf.value("dstreams.default.parallelism")
        return override if override else self._backend.default_parallelism

    @property
    def defaultMinPartitions(self) -> int:
        return min(self.defaultParallelism, 2)

    @property
    def version(self) -> str:
        from .version import __version__
        return __version__

    @property
    def env(self) -> Any:
        """The driver's executor environment (block store, shuffle store)."""
        return self._backend.env

    def setLogLevel(self, logLevel: str) -> None:
        """Set the level of dstreams' loggers (e.g. "WARN", "INFO")."""
        level = {"WARN": "WARNING", "ALL": "DEBUG", "TRACE": "DEBUG", "OFF": "CRITICAL", "FATAL": "CRITICAL"}.get(
            logLevel.upper(), logLevel.upper())
        logging.getLogger("dstreams").setLevel(level)

    # -- creating RDDs ---------------------------------------------------------------------
    def parallelize(self, c: Iterable[Any], numSlices: int | None = None) -> RDD:
        """Return an RDD of the collection's elements split into ``numSlices`` partitions.

        >>> ctx.parallelize([1, 2, 3, 4, 5], 2).glom().collect()      # doctest: +SKIP
        [[1, 2], [3, 4, 5]]
        """
        self._check_alive()
        from .rdd_impl import ParallelCollectionRDD
        n = int(numSlices) if numSlices is not None else self.defaultParallelism
        if n < 1:
            raise ValueError(f"numSlices must be at least 1, got {n}")
        return ParallelCollectionRDD(self, c, n)

    def range(self, start: int, end: int | None = None, step: int = 1, numSlices: int | None = None) -> RDD:
        """Return an RDD of ``range(start, end, step)`` (``range(0, start)`` with one argument)."""
        if end is None:
            start, end = 0, start
        return self.parallelize(range(start, end, step), numSlices)

    def emptyRDD(self) -> RDD:
        """Return an RDD with no partitions."""
        from .rdd_impl import EmptyRDD
        return EmptyRDD(self, [])

    def textFile(self, name: str, minPartitions: int | None = None, use_unicode: bool = True) -> RDD:
        """Return an RDD of the lines of a text file, directory, glob or comma-separated list
        of them, on any fsspec URL. Splits follow Hadoop's TextInputFormat."""
        self._check_alive()
        from .rdd_impl import TextFileRDD
        return TextFileRDD(self, name, minPartitions or self.defaultMinPartitions, use_unicode)

    def wholeTextFiles(self, path: str, minPartitions: int | None = None, use_unicode: bool = True) -> RDD:
        """Return an RDD of ``(fileURL, content)`` for every file under ``path``."""
        self._check_alive()
        from .rdd_impl import WholeTextFilesRDD
        return WholeTextFilesRDD(self, path, minPartitions or self.defaultMinPartitions)

    def binaryFiles(self, path: str, minPartitions: int | None = None) -> RDD:
        """Return an RDD of ``(fileURL, bytes)`` for every file under ``path``."""
        from .rdd_impl import WholeTextFilesRDD
        return WholeTextFilesRDD(self, path, minPartitions or self.defaultMinPartitions, binary=True)

    def binaryRecords(self, path: str, recordLength: int) -> RDD:
        """Return an RDD of fixed-length ``bytes`` records read from the files under ``path``."""
        from .rdd_impl import BinaryRecordsRDD
        return BinaryRecordsRDD(self, path, recordLength)

    def pickleFile(self, name: str, minPartitions: int | None = None) -> RDD:
        """Return the RDD saved by ``saveAsPickleFile``."""
        from .rdd_impl import pickle_file_rdd
        return pickle_file_rdd(self, name)

    def blockRDD(self, block_ids: list[str]) -> RDD:
        """Return an RDD with one partition per stored block (how input streams turn the blocks
        received in a batch interval into an RDD)."""
        from .rdd_impl import BlockRDD
        return BlockRDD(self, block_ids)

    def _checkpointFile(self, path: str, num_partitions: int | None = None) -> RDD:
        """Return an RDD that reads partitions saved by ``RDD.checkpoint()`` at ``path``."""
        from .rdd_impl import CheckpointRDD, pickle_file_rdd
        if num_partitions is None:
            return pickle_file_rdd(self, path)
        return CheckpointRDD(self, path, num_partitions)

    def union(self, rdds: list[RDD]) -> RDD:
        """Return the union of a list of RDDs (partition-aware when they share a partitioner)."""
        from .rdd_impl import PartitionerAwareUnionRDD, UnionRDD
        rdds = list(rdds)
        if not rdds:
            return self.emptyRDD()
        first = rdds[0].partitioner
        if first is not None and all(r.partitioner == first for r in rdds[1:]) and len(rdds) > 1:
            return PartitionerAwareUnionRDD(self, rdds)
        return UnionRDD(self, rdds)

    # -- shared variables ------------------------------------------------------------------
    def broadcast(self, value: Any) -> Broadcast:
        """Return a Broadcast whose ``.value`` reads ``value`` in tasks (shipped once)."""
        self._check_alive()
        return Broadcast(next(self._broadcast_ids), value, self)

    def _publish_broadcast(self, b: Broadcast) -> None:
        if b.bid not in self._published:
            self._backend.env.block_store.put(_broadcast_block(b.bid), [b._value])
            self._published.add(b.bid)

    def _unpersist_broadcast(self, bid: int, keep_driver: bool) -> None:
        self._backend.env.block_store.remove(_broadcast_block(bid))
        self._published.discard(bid)

    def accumulator(self, value: Any, accum_param: AccumulatorParam | None = None) -> Accumulator:
        """Return an Accumulator starting at ``value``; ints, floats and complex numbers need no
        ``accum_param``."""
        if accum_param is None:
            if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
                raise TypeError(f"No default accumulator param for type {type(value).__name__}; "
                                "pass accum_param (an AccumulatorParam)")
            accum_param = (INT_ACCUMULATOR_PARAM if isinstance(value, int)
                           else FLOAT_ACCUMULATOR_PARAM if isinstance(value, float) else COMPLEX_ACCUMULATOR_PARAM)
        return Accumulator._create(value, accum_param)

    # -- checkpoints -----------------------------------------------------------------------
    def setCheckpointDir(self, dirName: str) -> None:
        """Set the directory (any fsspec URL) where ``RDD.checkpoint()`` saves partitions."""
        sub = join(dirName.rstrip("/"), str(uuid.uuid4()))  # per Context, as Spark does
        check_writable(sub)
        self._checkpoint_dir = sub

    def getCheckpointDir(self) -> str | None:
        return self._checkpoint_dir

    # -- jobs ------------------------------------------------------------------------------
    def runJob(self, rdd: RDD, partitionFunc: Callable[[Iterable], Iterable],
               partitions: list[int] | None = None, allowLocal: bool = False) -> list:
        """Run ``partitionFunc(iterator)`` on the given partitions; return the flattened results."""
        out = self._run_job(rdd, lambda tc, it: list(partitionFunc(it)), partitions)
        return [x for part in out for x in part]

    def _run_job(self, rdd: RDD, func: Callable[[Any, Iterable], Any], partitions: list[int] | None,
                 checkpoint: bool = True, long_running: bool = False) -> list:
        self._check_alive()
        result = self._scheduler.run_job(rdd, func, partitions, long_running)
        if checkpoint:
            rdd._do_checkpoint()
        return result

    # -- shutdown --------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the executors and release resources; the Context cannot be used afterwards."""
        with Context._active_lock:
            if self._stopped:
                return
            self._stopped = True
            self._cleaner.enabled = False
            if self._ui is not None:
                self._ui.stop()
            try:
                self._backend.stop()
            finally:
                if Context._active is self:
                    Context._active = None
        log.info("stopped Context app=%s", self.appName)
