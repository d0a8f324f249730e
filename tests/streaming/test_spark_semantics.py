"""Where Spark's semantics are the program's contract: the Context's checkpoint directory is
enough for stateful streams, and getOrCreate checkpoints a context it creates."""
from __future__ import annotations

from dstreams.streaming import StreamingContext
from dstreams.streaming.checkpoint import read_checkpoint
from dstreams.testing import StreamRunner


def test_sc_set_checkpoint_dir_satisfies_stateful_streams(ctx, tmp_path):
    ctx.setCheckpointDir(str(tmp_path / "rdds"))
    try:
        with StreamRunner(ctx) as runner:
            pairs = runner.ssc.queueStream([[("a", 1)], [("a", 2)]])
            totals = runner.collect(pairs.updateStateByKey(lambda vs, s: (s or 0) + sum(vs)))
            runner.run(2)
        assert totals == [[("a", 1)], [("a", 3)]]
    finally:
        ctx._checkpoint_dir = None


def test_get_or_create_checkpoints_the_context_it_creates(ctx, tmp_path):
    path = str(tmp_path / "ck")

    def setup() -> StreamingContext:
        ssc = StreamingContext(ctx, 0.5)
        ssc.queueStream([], default=ctx.parallelize([1])).foreachRDD(lambda rdd: None)
        return ssc

    ssc = StreamingContext.getOrCreate(path, setup)
    assert ssc._graph.checkpoint_dir == path
    ssc.start()
    try:
        from dstreams.testing import wait_until
        wait_until(lambda: read_checkpoint(path) is not None, 20, "a metadata checkpoint")
    finally:
        ssc.stop(stopSparkContext=False)
