"""The concrete RDD kinds: sources (collections, files, blocks, checkpoints), the fused narrow
pipeline, unions, coalesce, zip, cartesian, and the shuffled RDD; plus the file writers."""
from __future__ import annotations

import logging
import pickle
import posixpath
import weakref
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any

from fsspec.utils import infer_compression

from .dependencies import NarrowDependency, OneToOneDependency, Partition, ShuffleDependency
from .errors import (BlockNotFoundError, InputPathNotFoundError, OutputPathExistsError, SourceBlockLostError,
                     StoredBlockLostError)
from .fastpath import ConstPairs
from .files import atomic_write_bytes, compute_splits, get_fs, join, list_input_files, qualified, read_lines
from .partitioner import Partitioner
from .rdd import RDD, _block_id
from .storage.shuffle import Aggregator, bucket_records, read_shuffle

__all__ = ["ParallelCollectionRDD", "EmptyRDD", "PipelinedRDD", "UnionRDD", "PartitionerAwareUnionRDD",
           "CoalescedRDD", "CoPartitionedRDD", "SplitShuffledRDD", "ZippedRDD", "CartesianRDD", "ShuffledRDD",
           "BlockRDD", "CheckpointRDD", "LocalCheckpointRDD", "StoredRDD", "TextFileRDD", "WholeTextFilesRDD",
           "BinaryRecordsRDD", "SourceBlockLostError", "StoredBlockLostError"]

log = logging.getLogger("dstreams")


# -- sources --------------------------------------------------------------------------------
class _DataPartition(Partition):
    __slots__ = ("data",)

    def __init__(self, index: int, data: Any) -> None:
        super().__init__(index)
        self.data = data


def slice_collection(data: Any, n: int) -> list:
    """Split like Spark's ParallelCollectionRDD.slice: slice i is [i*len/n, (i+1)*len/n)."""
    if isinstance(data, range):
        size = len(data)
        return [data[i * size // n:(i + 1) * size // n] for i in range(n)]
    seq = data if isinstance(data, (list, tuple)) else list(data)
    size = len(seq)
    return [list(seq[i * size // n:(i + 1) * size // n]) for i in range(n)]


class _BlockPartition(Partition):
    __slots__ = ("block_id",)

    def __init__(self, index: int, block_id: str) -> None:
        super().__init__(index)
        self.block_id = block_id


class StoredRDD(RDD):
    """What a stage ships instead of a persisted RDD whose partitions were all stored when the
    stage started: it reads the blocks and carries none of the lineage. A missing block
    fails the task with StoredBlockLostError, and the scheduler runs the stage again with the
    full lineage (which recomputes the block)."""

    def __init__(self, rdd_id: int, partitions: list, storage_level: Any, partitioner: Any, name: str) -> None:
        super().__init__(None, [])
        self.id = rdd_id
        self._parts = partitions
        self._storage_level = storage_level
        self.partitioner = partitioner
        self._stored_name = name

    def _get_partitions(self) -> list:
        return self._parts

    def iterator(self, split: Any, tc: Any) -> Iterator:
        return self.compute(split, tc)

    def compute(self, split: Any, tc: Any) -> Iterator:
        values = tc.env.block_store.get(_block_id(self.id, split.index))
        if values is None:
            raise StoredBlockLostError(f"partition {split.index} of {self._stored_name} is no longer stored", self.id)
        return iter(values)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (StoredRDD, (self.id, self._parts, self._storage_level, self.partitioner, self._stored_name))

    def __repr__(self) -> str:
        return f"{self._stored_name} (stored)"


# collections at least this long go to a shared block store one block per slice instead of
# travelling inside the stage (which every executor fetches whole)
BLOCK_SLICES_MIN_LEN = 1024


def _put_many(store: Any, blocks: dict[str, list]) -> None:
    put_many = getattr(store, "put_many", None)
    if put_many is not None:
        put_many(blocks)
    else:
        for b, values in blocks.items():
            store.put(b, values)


class ParallelCollectionRDD(RDD):
    """An RDD over a driver-side collection, sliced into partitions.

    In the cluster modes a large collection is stored in the block store, one block per
    slice, so that each task fetches only its own slice; the driver keeps the slices and
    stores them again if the store loses them (``_republish``).
    """

    def __init__(self, ctx: Any, data: Any, num_slices: int) -> None:
        super().__init__(ctx, [])
        self._slices = slice_collection(data, num_slices)
        self._block_ids: list[str] | None = None

    def _get_partitions(self) -> list:
        if self._block_ids is None and self.ctx is not None and self._should_store_blocks():
            self._store_blocks()
        if self._block_ids is not None:
            return [_BlockPartition(i, b) for i, b in enumerate(self._block_ids)]
        return [_DataPartition(i, s) for i, s in enumerate(self._slices)]

    def _should_store_blocks(self) -> bool:
        if self.ctx._backend.env.block_store.tasks_read_in_place:
            return False  # local[N]: tasks read the slices in place
        slices = self._slices
        return bool(slices) and not isinstance(slices[0], range) and sum(map(len, slices)) >= BLOCK_SLICES_MIN_LEN

    def _store_blocks(self) -> None:
        store = self.ctx._backend.env.block_store
        ids = [f"pc-{self.id}-{i}" for i in range(len(self._slices))]
        try:
            _put_many(store, dict(zip(ids, self._slices)))
        except Exception:  # noqa: BLE001 - e.g. elements plain pickle cannot handle: ship them inline
            store.remove_many(ids)
            return
        self._block_ids = ids
        weakref.finalize(self, self.ctx._cleaner.clean_blocks, ids)

    def _republish(self, store: Any) -> None:
        """Store again the slices the block store lost (driver side)."""
        ids = self._block_ids
        if ids and self._slices is not None and not store.contains_all(ids):
            _put_many(store, {b: s for b, s in zip(ids, self._slices) if not store.contains(b)})

    def _unpublish(self) -> None:
        """Drop the block store's copy of the slices; a stage that needs them again stores
        them again (``_republish``)."""
        if self._block_ids and self.ctx is not None:
            self.ctx._backend.env.block_store.remove_many(self._block_ids)

    def compute(self, split: Any, tc: Any) -> Iterator:
        if type(split) is _BlockPartition:
            values = tc.env.block_store.get(split.block_id)
            if values is None:
                raise SourceBlockLostError(
                    f"the data of partition {split.index} of parallelized collection RDD {self.id} "
                    f"({split.block_id}) is not in the block store")
            return iter(values)
        return iter(split.data)

    def __getstate__(self):
        state = super().__getstate__()
        state["_slices"] = None  # the data travels in the partitions or the block store
        return state


class EmptyRDD(RDD):
    """An RDD without partitions (Context.emptyRDD)."""
    def _get_partitions(self) -> list:
        return []

    def compute(self, split: Any, tc: Any) -> Iterator:
        return iter(())


class BlockRDD(RDD):
    """One partition per stored block (received stream input)."""

    def __init__(self, ctx: Any, block_ids: list[str]) -> None:
        super().__init__(ctx, [])
        self.block_ids = list(block_ids)

    def _get_partitions(self) -> list:
        return [_DataPartition(i, b) for i, b in enumerate(self.block_ids)]

    def compute(self, split: Any, tc: Any) -> Iterator:
        values = tc.env.block_store.get(split.data)
        if values is None:
            raise BlockNotFoundError(
                f"input block {split.data} of RDD {self.id} is not in the block store: it was "
                "removed (batch already cleaned up?) or the store lost it")
        return iter(values)


def _list_files(path: str, ignore_missing: bool) -> tuple[Any, list[tuple[str, int]]]:
    """Return list_input_files(path); with ``ignore_missing``, a path that does not exist is
    logged as a warning and lists as no files (as Spark's ``spark.files.ignoreMissingFiles``)."""
    try:
        return list_input_files(path)
    except InputPathNotFoundError as exc:
        if not ignore_missing:
            raise
        log.warning("skipped missing input file %s (%s)", path, exc)
        return None, []


def _skipping_missing(records: Iterator, path: str) -> Iterator:
    """Yield ``records``; a file deleted since it was listed ends them with a warning."""
    try:
        yield from records
    except FileNotFoundError as exc:
        log.warning("skipped missing input file %s (%s)", path, exc)


class TextFileRDD(RDD):
    """Lines of text files, split the way Hadoop's TextInputFormat splits them. With
    ``ignore_missing``, files that do not exist (or vanish before a task reads them) are
    skipped with a warning instead of failing the job."""

    def __init__(self, ctx: Any, path: str, min_partitions: int, use_unicode: bool = True,
                 ignore_missing: bool = False) -> None:
        super().__init__(ctx, [])
        self.path = path
        self.min_partitions = min_partitions
        self.use_unicode = use_unicode
        self.ignore_missing = ignore_missing
        self._fs: Any = None

    def _get_partitions(self) -> list:
        fs, files = _list_files(self.path, self.ignore_missing)
        self._fs = fs
        return [_DataPartition(i, s) for i, s in enumerate(compute_splits(files, self.min_partitions))]

    def compute(self, split: Any, tc: Any) -> Iterator:
        fs = self._fs or get_fs(self.path.split(",")[0])[0]
        lines = read_lines(fs, split.data, "utf-8" if self.use_unicode else None)
        return _skipping_missing(lines, split.data.path) if self.ignore_missing else lines

    def __repr__(self) -> str:
        return f"{self.path} TextFileRDD[{self.id}]"


class WholeTextFilesRDD(RDD):
    """(path, whole content) per file; files grouped into at most min_partitions partitions."""

    def __init__(self, ctx: Any, path: str, min_partitions: int, binary: bool = False) -> None:
        super().__init__(ctx, [])
        self.path = path
        self.min_partitions = min_partitions
        self.binary = binary
        self._fs: Any = None

    def _get_partitions(self) -> list:
        fs, files = list_input_files(self.path)
        self._fs = fs
        n = max(1, min(self.min_partitions, len(files)))
        groups = slice_collection([p for p, _ in files], n)
        return [_DataPartition(i, g) for i, g in enumerate(groups)]

    def compute(self, split: Any, tc: Any) -> Iterator:
        fs = self._fs
        for path in split.data:
            # text files are decompressed by their extension (as Hadoop's codecs do); binaryFiles
            # returns the raw bytes
            compression = None if self.binary else infer_compression(path)
            with fs.open(path, "rb", compression=compression) as f:
                data = f.read()
            yield (qualified(fs, path), data if self.binary else data.decode("utf-8", "replace"))


class BinaryRecordsRDD(RDD):
    """Fixed-length binary records, one partition per file."""

    def __init__(self, ctx: Any, path: str, record_length: int, ignore_missing: bool = False) -> None:
        super().__init__(ctx, [])
        if record_length <= 0:
            raise ValueError(f"recordLength must be positive, got {record_length}")
        self.path = path
        self.record_length = record_length
        self.ignore_missing = ignore_missing  # as TextFileRDD's
        self._fs: Any = None

    def _get_partitions(self) -> list:
        fs, files = _list_files(self.path, self.ignore_missing)
        self._fs = fs
        return [_DataPartition(i, p) for i, (p, _) in enumerate(files)]

    def compute(self, split: Any, tc: Any) -> Iterator:
        try:
            with self._fs.open(split.data, "rb") as f:
                data = f.read()
        except FileNotFoundError as exc:
            if not self.ignore_missing:
                raise
            log.warning("skipped missing input file %s (%s)", split.data, exc)
            return iter(())
        n = self.record_length
        if len(data) % n:
            raise ValueError(f"{split.data}: size {len(data)} is not a multiple of the record length {n}")
        return (data[i:i + n] for i in range(0, len(data), n))


class CheckpointRDD(RDD):
    """Partitions saved by a reliable checkpoint (pickled lists, one file per partition)."""

    def __init__(self, ctx: Any, path: str, num_partitions: int, partitioner: Partitioner | None = None) -> None:
        super().__init__(ctx, [])
        self.path = path
        self.num_partitions = num_partitions
        self.partitioner = partitioner

    def _get_partitions(self) -> list:
        return [Partition(i) for i in range(self.num_partitions)]

    def compute(self, split: Any, tc: Any) -> Iterator:
        fs, base = get_fs(self.path)
        with fs.open(posixpath.join(base, f"part-{split.index:05d}"), "rb") as f:
            return iter(pickle.load(f))

    def __repr__(self) -> str:
        return f"{self.path} CheckpointRDD[{self.id}]"


class LocalCheckpointRDD(RDD):
    """Reads the blocks a locally checkpointed RDD left in the block store."""

    def __init__(self, ctx: Any, rdd_id: int, num_partitions: int, partitioner: Partitioner | None) -> None:
        super().__init__(ctx, [])
        self.rdd_id = rdd_id
        self.num_partitions = num_partitions
        self.partitioner = partitioner

    def _get_partitions(self) -> list:
        return [Partition(i) for i in range(self.num_partitions)]

    def compute(self, split: Any, tc: Any) -> Iterator:
        values = tc.env.block_store.get(_block_id(self.rdd_id, split.index))
        if values is None:
            raise BlockNotFoundError(
                f"partition {split.index} of locally checkpointed RDD {self.rdd_id} is lost; a local "
                "checkpoint cannot be recomputed (use checkpoint() for fault tolerance)")
        return iter(values)


# -- narrow transformations -----------------------------------------------------------------
class PipelinedRDD(RDD):
    """``func(partitionIndex, iterator)`` over a parent; consecutive ones fuse into one pass.

    A step may return a :class:`~dstreams.fastpath.ConstPairs` (``map(lambda x: (x, C))``
    does): it reaches the next step, or the task, as it is, so that a consumer that knows it
    takes the elements and ``C`` instead of the pairs.
    """

    def __init__(self, prev: RDD, func: Callable[[int, Iterator], Iterator],
                 preserves_partitioning: bool = False) -> None:
        if isinstance(prev, PipelinedRDD) and prev._pipelinable():
            prev_func = prev.func

            def pipeline(index: int, it: Iterator) -> Iterator:
                return func(index, prev_func(index, it))
            self.func = pipeline
            self.prev = prev.prev
        else:
            self.func = func
            self.prev = prev
        super().__init__(prev.ctx, [OneToOneDependency(self.prev)])
        self.partitioner = prev.partitioner if preserves_partitioning else None

    def _pipelinable(self) -> bool:
        return self._storage_level is None and self._checkpoint_mark is None and self._checkpoint_rdd is None

    def _get_partitions(self) -> list:
        return self.prev.partitions()

    def compute(self, split: Any, tc: Any) -> Iterator:
        out = self.func(split.index, self.prev.iterator(split, tc))
        return out if type(out) is ConstPairs else iter(out)

    def _clear_dependencies(self) -> None:
        self.prev = self.func = None  # type: ignore[assignment]


class _UnionPartition(Partition):
    __slots__ = ("rdd_index", "parent")

    def __init__(self, index: int, rdd_index: int, parent: Any) -> None:
        super().__init__(index)
        self.rdd_index = rdd_index
        self.parent = parent


class UnionRDD(RDD):
    """The partitions of several RDDs one after another."""

    def __init__(self, ctx: Any, rdds: list[RDD]) -> None:
        self.rdds = rdds
        deps = []
        offset = 0
        for r in rdds:
            n = r.getNumPartitions()
            deps.append(NarrowDependency(r, _RangeParents(offset, n)))
            offset += n
        super().__init__(ctx, deps)

    def _get_partitions(self) -> list:
        out = []
        for ri, r in enumerate(self.rdds):
            for p in r.partitions():
                out.append(_UnionPartition(len(out), ri, p))
        return out

    def compute(self, split: Any, tc: Any) -> Iterator:
        return self.rdds[split.rdd_index].iterator(split.parent, tc)

    def _clear_dependencies(self) -> None:
        self.rdds = []


class _RangeParents:
    __slots__ = ("offset", "n")

    def __init__(self, offset: int, n: int) -> None:
        self.offset, self.n = offset, n

    def __call__(self, index: int) -> list[int]:
        return [index - self.offset] if self.offset <= index < self.offset + self.n else []

    def __getstate__(self):
        return (self.offset, self.n)

    def __setstate__(self, s):
        self.offset, self.n = s


class _ZipPartition(Partition):
    __slots__ = ("parents",)

    def __init__(self, index: int, parents: list) -> None:
        super().__init__(index)
        self.parents = parents


class PartitionerAwareUnionRDD(RDD):
    """Union of RDDs with the same partitioner: partition i concatenates every parent's i."""

    def __init__(self, ctx: Any, rdds: list[RDD]) -> None:
        self.rdds = rdds
        super().__init__(ctx, [OneToOneDependency(r) for r in rdds])
        self.partitioner = rdds[0].partitioner

    def _get_partitions(self) -> list:
        parts = [r.partitions() for r in self.rdds]
        return [_ZipPartition(i, [p[i] for p in parts]) for i in range(len(parts[0]))]

    def compute(self, split: Any, tc: Any) -> Iterator:
        for r, p in zip(self.rdds, split.parents):
            yield from r.iterator(p, tc)

    def _clear_dependencies(self) -> None:
        self.rdds = []


class CoPartitionedRDD(RDD):
    """``func(a_iterator, b_iterator)`` over the partitions i of two RDDs partitioned alike
    (the reduce side of a join); keeps their partitioner."""

    def __init__(self, a: RDD, b: RDD, func: Callable[[Iterator, Iterator], Iterator]) -> None:
        if a.getNumPartitions() != b.getNumPartitions():
            raise ValueError("CoPartitionedRDD needs two RDDs with the same number of partitions")
        self.a, self.b, self.func = a, b, func
        super().__init__(a.ctx, [OneToOneDependency(a), OneToOneDependency(b)])
        self.partitioner = a.partitioner

    def _get_partitions(self) -> list:
        return [_ZipPartition(i, [p, q]) for i, (p, q) in enumerate(zip(self.a.partitions(), self.b.partitions()))]

    def compute(self, split: Any, tc: Any) -> Iterator:
        return iter(self.func(self.a.iterator(split.parents[0], tc), self.b.iterator(split.parents[1], tc)))

    def _clear_dependencies(self) -> None:
        self.a = self.b = self.func = None  # type: ignore[assignment]


class CoalescedRDD(RDD):
    """Fewer partitions without a shuffle: each reads a contiguous range of parents."""

    def __init__(self, prev: RDD, n: int) -> None:
        self.prev = prev
        parent_n = prev.getNumPartitions()
        self.n = max(1, min(n, parent_n)) if parent_n else 0
        self.groups = [list(range(i * parent_n // self.n, (i + 1) * parent_n // self.n)) for i in range(self.n)]
        groups = self.groups
        super().__init__(prev.ctx, [NarrowDependency(prev, lambda i: groups[i])])

    def _get_partitions(self) -> list:
        parts = self.prev.partitions()
        return [_ZipPartition(i, [parts[j] for j in g]) for i, g in enumerate(self.groups)]

    def compute(self, split: Any, tc: Any) -> Iterator:
        for p in split.parents:
            yield from self.prev.iterator(p, tc)

    def _clear_dependencies(self) -> None:
        self.prev = None  # type: ignore[assignment]


class ZippedRDD(RDD):
    """Pairs the i-th elements of two RDDs with the same partitions (RDD.zip)."""
    def __init__(self, a: RDD, b: RDD) -> None:
        self.a, self.b = a, b
        super().__init__(a.ctx, [OneToOneDependency(a), OneToOneDependency(b)])

    def _get_partitions(self) -> list:
        return [_ZipPartition(i, [p, q]) for i, (p, q) in enumerate(zip(self.a.partitions(), self.b.partitions()))]

    def compute(self, split: Any, tc: Any) -> Iterator:
        xs = list(self.a.iterator(split.parents[0], tc))
        ys = list(self.b.iterator(split.parents[1], tc))
        if len(xs) != len(ys):
            raise ValueError("Can only zip RDDs with same number of elements in each partition "
                             f"(partition {split.index}: {len(xs)} != {len(ys)})")
        return zip(xs, ys)

    def _clear_dependencies(self) -> None:
        self.a = self.b = None  # type: ignore[assignment]


class CartesianRDD(RDD):
    """Every pair of an element of one RDD and one of another (RDD.cartesian)."""
    def __init__(self, a: RDD, b: RDD) -> None:
        self.a, self.b = a, b
        nb = b.getNumPartitions()
        super().__init__(a.ctx, [NarrowDependency(a, lambda i: [i // nb]), NarrowDependency(b, lambda i: [i % nb])])

    def _get_partitions(self) -> list:
        pa, pb = self.a.partitions(), self.b.partitions()
        return [_ZipPartition(i * len(pb) + j, [p, q]) for i, p in enumerate(pa) for j, q in enumerate(pb)]

    def compute(self, split: Any, tc: Any) -> Iterator:
        ys = list(self.b.iterator(split.parents[1], tc))
        for x in self.a.iterator(split.parents[0], tc):
            for y in ys:
                yield (x, y)

    def _clear_dependencies(self) -> None:
        self.a = self.b = None  # type: ignore[assignment]


# -- shuffle --------------------------------------------------------------------------------
class ShuffledRDD(RDD):
    """The reduce side of a shuffle: reads its bucket from every map output and merges."""

    def __init__(self, prev: RDD, partitioner: Partitioner, aggregator: Aggregator | None) -> None:
        self.dep = ShuffleDependency(prev, partitioner, aggregator)
        super().__init__(prev.ctx, [self.dep])
        self.partitioner = partitioner

    def _get_partitions(self) -> list:
        return [Partition(i) for i in range(self.partitioner.numPartitions)]

    def compute(self, split: Any, tc: Any) -> Iterator:
        dep = self.dep
        blobs = tc.env.shuffle_store.read_many(dep.shuffle_id, dep.rdd.getNumPartitions(), split.index)
        return read_shuffle(blobs, dep.aggregator)

    def _clear_dependencies(self) -> None:
        self.dep = None  # type: ignore[assignment]


class SplitShuffledRDD(RDD):
    """The reduce side of one shuffle (no aggregator) of ``union(a, b)``: map outputs before
    ``split`` came from ``a``, the others from ``b``; partition i is ``func(a's records,
    b's records)`` (a join without tagging every record with its side)."""

    def __init__(self, union: RDD, partitioner: Partitioner, split: int,
                 func: Callable[[Iterator, Iterator], Iterator]) -> None:
        self.dep = ShuffleDependency(union, partitioner, None)
        self.split = split
        self.func = func
        super().__init__(union.ctx, [self.dep])
        self.partitioner = partitioner

    def _get_partitions(self) -> list:
        return [Partition(i) for i in range(self.partitioner.numPartitions)]

    def compute(self, split: Any, tc: Any) -> Iterator:
        dep = self.dep
        blobs = list(tc.env.shuffle_store.read_many(dep.shuffle_id, dep.rdd.getNumPartitions(), split.index))
        a = chain.from_iterable(map(bucket_records, blobs[:self.split]))
        b = chain.from_iterable(map(bucket_records, blobs[self.split:]))
        return iter(self.func(a, b))

    def _clear_dependencies(self) -> None:
        self.dep = self.func = None  # type: ignore[assignment]


# -- writers --------------------------------------------------------------------------------
def write_checkpoint(rdd: RDD) -> CheckpointRDD:
    """Save every partition of ``rdd`` under the context's checkpoint dir; return the reader."""
    ctx = rdd.ctx
    path = join(ctx._checkpoint_dir, f"rdd-{rdd.id}")

    def write(tc: Any, it: Iterator) -> None:
        atomic_write_bytes(join(path, f"part-{tc.partitionId():05d}"), pickle.dumps(list(it), protocol=5))

    ctx._run_job(rdd, write, None, checkpoint=False)
    return CheckpointRDD(ctx, path, rdd.getNumPartitions(), rdd.partitioner)


def _prepare_output_dir(path: str, overwrite: bool) -> tuple[Any, str]:
    fs, base = get_fs(path)
    if fs.exists(base):
        if not overwrite:
            raise OutputPathExistsError(f"Output directory {path} already exists")
        fs.rm(base, recursive=True)
    return fs, base


def _text_lines(it: Iterator) -> Iterator[bytes]:
    for x in it:
        if isinstance(x, bytes):
            yield x
        else:
            yield str(x).encode("utf-8")


def save_as_text_file(rdd: RDD, path: str, codec: str | None, overwrite: bool = False) -> None:
    """Write part files to ``path/_temporary``, then move them in and write ``_SUCCESS``."""
    fs, base = _prepare_output_dir(path, overwrite)
    ext = ""
    if codec:
        low = codec.lower()
        ext = ".gz" if "gzip" in low else ".bz2" if "bzip2" in low else ""
        if not ext:
            raise ValueError(f"unsupported compressionCodecClass {codec!r}; use GzipCodec or BZip2Codec")
    tmp = posixpath.join(base, "_temporary")

    def write(tc: Any, it: Iterator) -> str:
        wfs, _ = get_fs(path)
        name = f"part-{tc.partitionId():05d}{ext}"
        target = posixpath.join(tmp, f"{name}.attempt-{tc.attemptNumber()}")
        wfs.makedirs(tmp, exist_ok=True)
        compression = "gzip" if ext == ".gz" else "bz2" if ext == ".bz2" else None
        with wfs.open(target, "wb", compression=compression) as f:
            for line in _text_lines(it):
                f.write(line)
                f.write(b"\n")
        return target

    fs.makedirs(base, exist_ok=True)
    written = rdd.ctx._run_job(rdd, write, None)
    for i, target in enumerate(written):
        fs.mv(target, posixpath.join(base, f"part-{i:05d}{ext}"))
    if fs.exists(tmp):
        fs.rm(tmp, recursive=True)
    with fs.open(posixpath.join(base, "_SUCCESS"), "wb"):
        pass


def save_as_pickle_file(rdd: RDD, path: str) -> None:
    fs, base = _prepare_output_dir(path, False)
    fs.makedirs(base, exist_ok=True)

    def write(tc: Any, it: Iterator) -> None:
        atomic_write_bytes(join(path, f"part-{tc.partitionId():05d}"), pickle.dumps(list(it), protocol=5))

    rdd.ctx._run_job(rdd, write, None)
    with fs.open(posixpath.join(base, "_SUCCESS"), "wb"):
        pass


def pickle_file_rdd(ctx: Any, path: str) -> CheckpointRDD:
    fs, base = get_fs(path)
    if not fs.exists(base):
        from .errors import InputPathNotFoundError
        raise InputPathNotFoundError(f"Input path does not exist: {path}")
    n = len([p for p in fs.ls(base, detail=False) if posixpath.basename(p).startswith("part-")])
    return CheckpointRDD(ctx, path, n)

