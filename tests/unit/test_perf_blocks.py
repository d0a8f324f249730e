"""Large parallelized collections travel as blocks when the block store is shared (the cluster
modes), one per slice, and the driver stores a lost one again."""
from __future__ import annotations

import pickle
import threading

from dstreams.rdd_impl import BLOCK_SLICES_MIN_LEN, ParallelCollectionRDD
from dstreams.storage.blocks import BlockStore


class SharedStore(BlockStore):
    """Stands in for the Redis block store: keeps pickled values, as Redis does."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.puts = 0

    def put(self, block_id, values):
        with self.lock:
            self.blobs[block_id] = pickle.dumps(values)
            self.puts += 1

    def get(self, block_id):
        blob = self.blobs.get(block_id)
        return None if blob is None else pickle.loads(blob)

    def contains(self, block_id):
        return block_id in self.blobs

    def remove(self, block_id):
        with self.lock:
            self.blobs.pop(block_id, None)


def _shared(ctx) -> SharedStore:
    store = SharedStore()
    ctx._backend.env.block_store = store
    return store


def test_large_collections_go_to_the_block_store_one_block_per_slice(ctx):
    store = _shared(ctx)
    data = [f"line {i}" for i in range(3 * BLOCK_SLICES_MIN_LEN)]
    rdd = ctx.parallelize(data, 3)
    assert rdd.map(str.upper).collect() == [x.upper() for x in data]
    assert sorted(store.blobs) == [f"pc-{rdd.id}-{i}" for i in range(3)]
    assert all(p.__class__.__name__ == "_BlockPartition" for p in rdd.partitions())
    assert len(pickle.dumps(rdd)) < 2000  # what a stage ships: ids, not data
    small = ctx.parallelize(list(range(10)), 2)
    assert small.sum() == 45 and not any(k.startswith(f"pc-{small.id}-") for k in store.blobs)


def test_a_lost_block_is_stored_again(ctx):
    store = _shared(ctx)
    data = list(range(2 * BLOCK_SLICES_MIN_LEN))
    rdd = ctx.parallelize(data, 2).map(lambda x: x + 1)
    assert rdd.sum() == sum(data) + len(data)
    store.blobs.clear()  # Redis restarted without persistence
    assert rdd.sum() == sum(data) + len(data)
    # lost while the stage runs: the task fails, the driver re-stores, the retry succeeds
    source = rdd.prev if hasattr(rdd, "prev") else rdd
    assert isinstance(source, ParallelCollectionRDD)
    original = SharedStore.get
    dropped = []

    def get_once_missing(self, block_id):
        in_task = threading.current_thread().name.startswith("dstreams-task")
        if block_id.startswith("pc-") and in_task and not dropped:
            dropped.append(block_id)
            self.blobs.pop(block_id, None)
            return None
        return original(self, block_id)

    SharedStore.get = get_once_missing
    try:
        assert rdd.sum() == sum(data) + len(data)
    finally:
        SharedStore.get = original
    assert dropped and ctx._scheduler.stats["task_failures"] >= 1


def test_blocks_of_a_collected_rdd_are_removed(ctx):
    import gc
    store = _shared(ctx)
    rdd = ctx.parallelize(list(range(BLOCK_SLICES_MIN_LEN)), 2)
    assert rdd.count() == BLOCK_SLICES_MIN_LEN
    assert len(store.blobs) == 2
    del rdd
    gc.collect()
    assert store.blobs == {}


def test_queue_stream_stores_its_lists_up_front(ctx):
    from dstreams.streaming import ManualClock, StreamingContext
    store = _shared(ctx)
    ssc = StreamingContext(ctx, 1, clock=ManualClock(0))
    try:
        ssc.queueStream([list(range(BLOCK_SLICES_MIN_LEN)), list(range(BLOCK_SLICES_MIN_LEN))])
        assert len(store.blobs) == 2 * ctx.defaultParallelism  # as PySpark parallelizes at queueStream()
    finally:
        ssc.stop(stopSparkContext=False)
