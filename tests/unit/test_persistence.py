"""cache/persist/unpersist, checkpoint/localCheckpoint, and cleanup of dropped RDDs' data."""
from __future__ import annotations

import gc
import os
from operator import add
from pathlib import Path

import pytest

from dstreams import BlockNotFoundError, Context, StorageLevel
from dstreams.dependencies import ShuffleDependency


def _blocks_of(ctx: Context, rdd) -> list[str]:
    return sorted(b for b in ctx.env.block_store.block_ids() if b.startswith(f"rdd-{rdd.id}-"))


def _lineage_classes(rdd) -> set[str]:
    seen: set[str] = set()
    stack = [rdd]
    while stack:
        r = stack.pop()
        seen.add(type(r).__name__)
        stack.extend(d.rdd for d in r.dependencies())
    return seen


# -- cache ------------------------------------------------------------------------------------------
def test_cached_rdd_is_computed_once_across_actions(ctx: Context) -> None:
    calls = ctx.accumulator(0)

    def f(x: int) -> int:
        calls.add(1)
        return x * x

    rdd = ctx.parallelize(range(10), 2).map(f).cache()
    assert rdd.is_cached and rdd.getStorageLevel() == StorageLevel.MEMORY_ONLY
    assert rdd.count() == 10
    assert rdd.collect() == [x * x for x in range(10)]
    assert rdd.sum() == 285
    assert calls.value == 10
    assert _blocks_of(ctx, rdd) == [f"rdd-{rdd.id}-0", f"rdd-{rdd.id}-1"]


def test_children_of_a_cached_rdd_read_its_blocks(ctx: Context) -> None:
    calls = ctx.accumulator(0)

    def f(x: int) -> tuple:
        calls.add(1)
        return (x % 2, x)

    base = ctx.parallelize(range(6), 2).map(f).persist(StorageLevel.MEMORY_AND_DISK)
    base.count()
    assert sorted(base.reduceByKey(add).collect()) == [(0, 6), (1, 9)]
    assert base.mapValues(str).collect()[0] == (0, "0")
    assert calls.value == 6


def test_cached_shuffle_output_skips_the_parent_stage(ctx: Context) -> None:
    r = ctx.parallelize(range(10), 2).map(lambda x: (x % 3, x)).reduceByKey(add).cache()
    r.collect()
    for sid in ctx.env.shuffle_store.shuffle_ids():
        ctx.env.shuffle_store.remove_shuffle(sid)  # not needed any more: the blocks are cached
    stages = ctx._scheduler.stats["stages"]
    assert sorted(r.collect()) == [(0, 18), (1, 12), (2, 15)]
    assert ctx._scheduler.stats["stages"] - stages == 1
    assert ctx._scheduler.stats["fetch_failures"] == 0


def test_unpersist_removes_the_blocks(ctx: Context) -> None:
    calls = ctx.accumulator(0)

    def f(x: int) -> int:
        calls.add(1)
        return x

    rdd = ctx.parallelize(range(4), 2).map(f).cache()
    rdd.count()
    assert len(_blocks_of(ctx, rdd)) == 2
    assert rdd.unpersist() is rdd
    assert _blocks_of(ctx, rdd) == []
    assert not rdd.is_cached and rdd.getStorageLevel() == StorageLevel.NONE
    rdd.count()
    assert calls.value == 8  # recomputed, and not cached again
    assert _blocks_of(ctx, rdd) == []


def test_cache_of_a_partial_job_keeps_only_computed_partitions(ctx: Context) -> None:
    rdd = ctx.parallelize(range(10), 5).cache()
    assert rdd.take(1) == [0]
    assert _blocks_of(ctx, rdd) == [f"rdd-{rdd.id}-0"]
    assert rdd.count() == 10
    assert len(_blocks_of(ctx, rdd)) == 5


# -- checkpoint ---------------------------------------------------------------------------------------
def test_checkpoint_needs_a_checkpoint_dir(ctx: Context) -> None:
    with pytest.raises(ValueError, match="setCheckpointDir"):
        ctx.parallelize([1]).checkpoint()


def test_checkpoint_cuts_the_lineage_after_an_action(ctx: Context, tmp_path: Path) -> None:
    ctx.setCheckpointDir(str(tmp_path))
    assert ctx.getCheckpointDir().startswith(str(tmp_path))
    r = ctx.parallelize(range(20), 4).map(lambda x: (x % 3, x)).reduceByKey(add, 2)
    r.checkpoint()
    assert not r.isCheckpointed() and r.getCheckpointFile() is None
    assert any(isinstance(d, ShuffleDependency) for d in r.dependencies())
    expected = sorted(r.collect())
    assert expected == [(0, 63), (1, 70), (2, 57)]
    assert r.isCheckpointed() and not r.isLocallyCheckpointed()
    path = r.getCheckpointFile()
    assert path is not None and path.startswith(ctx.getCheckpointDir())
    assert sorted(os.listdir(path)) == ["part-00000", "part-00001"]
    (dep,) = r.dependencies()
    assert not dep.is_shuffle
    assert _lineage_classes(r) == {"ShuffledRDD", "CheckpointRDD"}
    debug = r.toDebugString().decode()
    assert "CheckpointRDD" in debug and "ParallelCollectionRDD" not in debug
    assert r.getNumPartitions() == 2
    for sid in ctx.env.shuffle_store.shuffle_ids():
        ctx.env.shuffle_store.remove_shuffle(sid)  # the shuffle is no longer needed
    stages = ctx._scheduler.stats["stages"]
    assert sorted(r.collect()) == expected
    assert sorted(r.mapValues(lambda v: -v).collect()) == [(k, -v) for k, v in expected]
    assert ctx._scheduler.stats["stages"] - stages == 2  # result stages only
    assert r.partitioner is not None  # a checkpointed shuffle output stays partitioned
    assert sorted(r.reduceByKey(add, 2).collect()) == expected


def test_checkpoint_of_a_cached_rdd_does_not_recompute_it(ctx: Context, tmp_path: Path) -> None:
    ctx.setCheckpointDir(str(tmp_path))
    calls = ctx.accumulator(0)

    def f(x: int) -> int:
        calls.add(1)
        return x + 1

    r = ctx.parallelize(range(5), 2).map(f).cache()
    r.checkpoint()
    assert r.collect() == [1, 2, 3, 4, 5]
    assert r.isCheckpointed()
    assert calls.value == 5
    assert r.map(lambda x: x * 2).collect() == [2, 4, 6, 8, 10]


def test_checkpoint_is_written_after_a_job_on_a_descendant(ctx: Context, tmp_path: Path) -> None:
    ctx.setCheckpointDir(str(tmp_path))
    parent = ctx.parallelize(range(6), 2).map(lambda x: x * 3)
    parent.checkpoint()
    child = parent.map(lambda x: x + 1)
    assert child.collect() == [1, 4, 7, 10, 13, 16]
    assert parent.isCheckpointed()


def test_local_checkpoint(ctx: Context) -> None:
    r = ctx.parallelize(range(10), 2).map(lambda x: (x % 2, x)).reduceByKey(add)
    r.localCheckpoint()
    assert r.getStorageLevel().useDisk  # localCheckpoint persists with a disk-backed level
    assert sorted(r.collect()) == [(0, 20), (1, 25)]
    assert r.isCheckpointed() and r.isLocallyCheckpointed()
    assert r.getCheckpointFile() is None
    assert _lineage_classes(r) == {"ShuffledRDD", "LocalCheckpointRDD"}
    for sid in ctx.env.shuffle_store.shuffle_ids():
        ctx.env.shuffle_store.remove_shuffle(sid)
    assert sorted(r.collect()) == [(0, 20), (1, 25)]


def test_local_checkpoint_after_a_partial_job_stores_every_partition(ctx: Context) -> None:
    r = ctx.parallelize(range(10), 5).map(lambda x: x * 2)
    r.localCheckpoint()
    assert r.take(1) == [0]
    assert r.isLocallyCheckpointed()
    assert len(_blocks_of(ctx, r)) == 5
    assert r.collect() == [x * 2 for x in range(10)]


def test_lost_local_checkpoint_blocks_fail_clearly(ctx: Context) -> None:
    r = ctx.parallelize(range(4), 2).map(lambda x: x + 1)
    r.localCheckpoint()
    r.count()
    ctx.env.block_store.remove_many(_blocks_of(ctx, r))
    with pytest.raises(BlockNotFoundError, match="locally checkpointed"):
        r.collect()


# -- cleanup of dropped RDDs -----------------------------------------------------------------------
def test_shuffle_outputs_are_removed_when_the_rdds_are_dropped(ctx: Context) -> None:
    store = ctx.env.shuffle_store
    counts = ctx.parallelize(["a", "b", "a"]).map(lambda w: (w, 1)).reduceByKey(add)
    assert sorted(counts.collect()) == [("a", 2), ("b", 1)]
    assert len(store.shuffle_ids()) == 1
    del counts
    gc.collect()
    assert store.shuffle_ids() == []


def test_shuffle_outputs_stay_while_a_descendant_is_alive(ctx: Context) -> None:
    store = ctx.env.shuffle_store
    child = ctx.parallelize([(1, 1), (1, 2)]).groupByKey().mapValues(len)
    assert child.collect() == [(1, 2)]
    gc.collect()
    assert len(store.shuffle_ids()) == 1
    assert child.collect() == [(1, 2)]
    del child
    gc.collect()
    assert store.shuffle_ids() == []


def test_cached_blocks_are_removed_when_the_rdd_is_dropped(ctx: Context) -> None:
    rdd = ctx.parallelize(range(4), 2).map(lambda x: x).cache()
    rdd.count()
    prefix = f"rdd-{rdd.id}-"
    assert sum(b.startswith(prefix) for b in ctx.env.block_store.block_ids()) == 2
    del rdd
    gc.collect()
    assert not any(b.startswith(prefix) for b in ctx.env.block_store.block_ids())


def test_checkpoint_releases_the_old_lineage_and_its_shuffles(ctx: Context, tmp_path: Path) -> None:
    import weakref
    ctx.setCheckpointDir(str(tmp_path))
    counts = ctx.parallelize(range(10), 2).map(lambda x: (x % 2, x)).reduceByKey(add)
    doubled = counts.mapValues(lambda v: v * 2)
    doubled.checkpoint()
    assert sorted(doubled.collect()) == [(0, 40), (1, 50)]
    parent = weakref.ref(counts)
    del counts
    gc.collect()
    assert parent() is None  # nothing of the cut lineage is referenced any more
    assert ctx.env.shuffle_store.shuffle_ids() == []
    assert sorted(doubled.collect()) == [(0, 40), (1, 50)]
    assert sorted(doubled.reduceByKey(add).collect()) == [(0, 40), (1, 50)]


def test_local_checkpoint_releases_the_old_lineage(ctx: Context) -> None:
    import weakref
    counts = ctx.parallelize(range(10), 2).map(lambda x: (x % 2, x)).reduceByKey(add)
    state = ctx.union([counts, counts]).coalesce(1)
    state.localCheckpoint()
    assert sorted(state.collect()) == [(0, 20), (0, 20), (1, 25), (1, 25)]
    parent = weakref.ref(counts)
    del counts
    gc.collect()
    assert parent() is None
    assert ctx.env.shuffle_store.shuffle_ids() == []
    assert sorted(state.collect()) == [(0, 20), (0, 20), (1, 25), (1, 25)]
