"""Large parallelized collections travel as blocks when the block store is shared (the cluster
modes), one per slice, and the driver stores a lost one again."""
from __future__ import annotations

import pickle
import threading

from dstreams.rdd_impl import BLOCK_SLICES_MIN_LEN, ParallelCollectionRDD
from dstreams.storage.blocks import BlockStore
from tests.servers import wait_until


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


def test_queue_stream_stores_a_batch_ahead_and_drops_it_when_done(ctx):
    """queueStream keeps the lists in the driver, stores a batch's slices one batch ahead and
    drops them when that batch is done; a finished batch's RDD used again is stored again."""
    from dstreams.streaming import ManualClock, StreamingContext
    store = _shared(ctx)
    n = BLOCK_SLICES_MIN_LEN
    lists = [list(range(i * n, (i + 1) * n)) for i in range(4)]
    clock = ManualClock(0)
    ssc = StreamingContext(ctx, 1, clock=clock)
    seen: list = []
    try:
        stream = ssc.queueStream(lists)
        first = ssc._graph.input_streams[0]._queue[0]
        assert sorted(store.blobs) == [f"pc-{first.id}-{i}" for i in range(ctx.defaultParallelism)]

        def check(rdd):
            stored = {b.split("-")[1] for b in store.blobs}
            seen.append((rdd.sum(), rdd, stored))

        stream.foreachRDD(check)
        ssc.start()
        for k in range(1, 5):
            clock.advance(1000)
            wait_until(lambda k=k: ssc._scheduler.last_completed == k * 1000, 20, f"batch {k}")
        assert [s for s, _, _ in seen] == [sum(x) for x in lists]
        for k, (_, rdd, stored) in enumerate(seen):
            # while a batch runs the store holds its data (and, but for the last, no other's)
            assert stored == {str(rdd.id)}, (k, stored)
        wait_until(lambda: not store.blobs, 20, "the last batch's blocks to be dropped")
        again = seen[0][1]
        assert again.map(lambda x: x * 2).sum() == 2 * sum(lists[0])  # stored again, from the driver
    finally:
        ssc.stop(stopSparkContext=False)
