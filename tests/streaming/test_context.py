"""StreamingContext life cycle, failures, listeners, timing, and the output operations."""
from __future__ import annotations

import os
import traceback
from datetime import datetime

import pytest

from conftest_helpers import streaming_threads, wait_for
from dstreams.streaming import StreamingContext, StreamingListener


class Events(StreamingListener):
    def __init__(self):
        self.events = []
        self.completed = []

    def onBatchSubmitted(self, e):
        self.events.append(("submitted", int(e.batchInfo().batchTime())))

    def onBatchStarted(self, e):
        self.events.append(("started", int(e.batchInfo().batchTime())))

    def onOutputOperationStarted(self, e):
        self.events.append(("op-started", int(e.outputOperationInfo().batchTime())))

    def onOutputOperationCompleted(self, e):
        self.events.append(("op-completed", int(e.outputOperationInfo().batchTime()),
                            e.outputOperationInfo().failureReason()))

    def onBatchCompleted(self, e):
        self.events.append(("completed", int(e.batchInfo().batchTime())))
        self.completed.append(e.batchInfo())


# ---- outputs ----------------------------------------------------------------------------
def test_pprint_format(runner, capsys):
    runner.ssc.queueStream([[1, 2, 3], ["x"]]).pprint(2)
    runner.run(2)
    t1, t2 = datetime.fromtimestamp(0.5), datetime.fromtimestamp(1.0)
    sep = "-------------------------------------------"
    assert capsys.readouterr().out == (
        f"{sep}\nTime: {t1}\n{sep}\n1\n2\n...\n\n"
        f"{sep}\nTime: {t2}\n{sep}\nx\n\n")


def test_saveAsTextFiles(runner, tmp_path):
    prefix = str(tmp_path / "out")
    runner.ssc.queueStream([["a", "b"], [1]]).saveAsTextFiles(prefix, "txt")
    runner.run(2)
    assert sorted(os.listdir(tmp_path)) == ["out-1000.txt", "out-500.txt"]
    lines = []
    for d in ("out-500.txt", "out-1000.txt"):
        for name in sorted(os.listdir(tmp_path / d)):
            if name.startswith("part-"):
                lines += (tmp_path / d / name).read_text().splitlines()
    assert lines == ["a", "b", "1"]


def test_saveAsTextFiles_rerun_keeps_existing_output(ctx, tmp_path):
    from dstreams.streaming.checkpoint import save_text_atomically
    path = str(tmp_path / "out-500")
    save_text_atomically(ctx.parallelize(["first"], 1), path)
    save_text_atomically(ctx.parallelize(["second"], 1), path)
    assert (tmp_path / "out-500" / "part-00000").read_text() == "first\n"
    assert [p for p in os.listdir(tmp_path) if p.startswith(".")] == []


def test_slice_and_remember(runner):
    s = runner.ssc.queueStream([[1], [2], [3], [4]])
    runner.collect(s)
    runner.ssc.remember(10)
    runner.run(4)
    rdds = s.slice(datetime.fromtimestamp(0.5), datetime.fromtimestamp(1.5))
    assert [r.collect() for r in rdds] == [[1], [2], [3]]
    assert [r.collect() for r in s.slice(1.0, 2.0)] == [[2], [3], [4]]


def test_cache_computes_once(runner, ctx):
    calls = ctx.accumulator(0)

    def f(x):
        calls.add(1)
        return x

    cached = runner.ssc.queueStream([[1, 2, 3]]).map(f).cache()
    runner.collect(cached)
    runner.collect(cached.map(lambda x: -x))
    runner.run(1)
    assert calls.value == 3


def test_dstream_checkpoint_interval(runner, tmp_path):
    runner.ssc.checkpoint(str(tmp_path / "ck"))
    rdds = []
    s = runner.ssc.queueStream([[1]] * 4).map(lambda x: x).checkpoint(1.0)
    s.foreachRDD(lambda t, rdd: rdds.append((int(t.timestamp() * 1000), rdd)))
    runner.outputs.append(rdds)
    runner.run(4)
    assert [(t, r.isCheckpointed()) for t, r in rdds] == [(500, False), (1000, True), (1500, False), (2000, True)]


def test_checkpoint_interval_must_be_multiple_of_slide(runner, tmp_path):
    runner.ssc.checkpoint(str(tmp_path / "ck"))
    runner.ssc.queueStream([[1]]).checkpoint(0.7).pprint()
    with pytest.raises(ValueError, match="not a multiple of its slide duration"):
        runner.ssc.start()


# ---- life cycle ---------------------------------------------------------------------------
def test_only_one_active_context_and_getActive(runner, ctx):
    runner.collect(runner.ssc.queueStream([[1]]))
    runner.run(1)
    assert StreamingContext.getActive() is runner.ssc
    other = StreamingContext(ctx, 0.5)
    other.queueStream([[1]]).pprint()
    with pytest.raises(ValueError, match="Only one StreamingContext"):
        other.start()
    assert StreamingContext.getActiveOrCreate(None, lambda: other) is runner.ssc
    with pytest.raises(RuntimeError, match="after starting a context is not supported"):
        runner.ssc.queueStream([[1]])
    runner.stop()
    assert StreamingContext.getActive() is None
    with pytest.raises(RuntimeError, match="already been stopped"):
        runner.ssc.start()
    other.stop(stopSparkContext=False)


def test_start_without_outputs_fails(runner):
    runner.ssc.queueStream([[1]]).map(str)
    with pytest.raises(ValueError, match="No output operations registered"):
        runner.ssc.start()


def test_getOrCreate_without_checkpoint_calls_setup(ctx, tmp_path):
    made = []

    def setup():
        ssc = StreamingContext(ctx, 0.5)
        made.append(ssc)
        return ssc

    ssc = StreamingContext.getOrCreate(str(tmp_path / "nothing-here"), setup)
    assert made == [ssc]
    assert StreamingContext.getActiveOrCreate(None, setup) is made[1]


def test_listener_events_in_order(runner):
    events = Events()
    runner.ssc.addStreamingListener(events)
    runner.collect(runner.ssc.queueStream([[1], [2]]))
    runner.run(2)
    runner.stop()
    for t in (500, 1000):   # both batches may be queued before the first runs
        assert [e for e in events.events if e[1] == t] == [
            ("submitted", t), ("started", t), ("op-started", t), ("op-completed", t, None), ("completed", t)]
    assert [e[1] for e in events.events if e[0] == "completed"] == [500, 1000]


def test_stop_from_inside_a_batch(runner):
    seen = []

    def stop_now(rdd):
        seen.append(rdd.collect())
        runner.ssc.stop(stopSparkContext=False)

    runner.ssc.queueStream([[1], [2], [3]]).foreachRDD(stop_now)
    runner.ssc.start()
    runner.clock.advance(3 * runner.batch_ms)
    runner.ssc.awaitTermination(20)
    assert runner.ssc.getState() == "STOPPED" and seen[0] == [1]
    wait_for(lambda: not streaming_threads(), 10, "threads to end")


# ---- failures ---------------------------------------------------------------------------
def _fails_in(runner, build):
    build(runner.ssc)
    runner.ssc.start()
    runner.clock.advance(3 * runner.batch_ms)
    with pytest.raises(Exception) as info:
        runner.ssc.awaitTermination(20)
    assert runner.ssc.getState() == "STOPPED" and StreamingContext.getActive() is None
    wait_for(lambda: not streaming_threads(), 10, "threads to end")
    return info.value


def test_error_in_foreachRDD_reaches_awaitTermination(runner):
    def explode(rdd):
        if rdd.collect() == [2]:
            raise KeyError("user problem")

    exc = _fails_in(runner, lambda ssc: ssc.queueStream([[1], [2], [3]]).foreachRDD(explode))
    assert isinstance(exc, KeyError) and exc.args == ("user problem",)
    text = "".join(traceback.format_exception(exc))
    assert "in explode" in text and "output operation foreachRDD" in text
    with pytest.raises(KeyError):        # raised again by every later wait
        runner.ssc.awaitTerminationOrTimeout(1)


def test_error_in_a_task_keeps_type_and_user_traceback(runner):
    def divide(x):
        return 1 / (x - 2)

    exc = _fails_in(runner, lambda ssc: ssc.queueStream([[1], [2], [3]]).map(divide).pprint())
    assert isinstance(exc, ZeroDivisionError)
    text = "".join(traceback.format_exception(exc))
    assert "divide" in text


def test_error_in_transform_function(runner):
    def bad(rdd):
        raise RuntimeError("transform failed")

    exc = _fails_in(runner, lambda ssc: ssc.queueStream([[1]]).transform(bad).pprint())
    assert isinstance(exc, RuntimeError) and "transform failed" in str(exc)
    assert "generating the jobs" in "".join(traceback.format_exception(exc))


def test_awaitTerminationOrTimeout(runner):
    runner.collect(runner.ssc.queueStream([[1]]))
    runner.run(1)
    assert runner.ssc.awaitTerminationOrTimeout(0.05) is False
    runner.stop()
    assert runner.ssc.awaitTerminationOrTimeout(0.05) is True


# ---- real clock -----------------------------------------------------------------------------
def test_batches_aligned_and_slow_batch_delays_without_skipping(ctx):
    ssc = StreamingContext(ctx, 0.1)
    events = Events()
    ssc.addStreamingListener(events)
    import time

    def slow_first(t, rdd):
        if not hasattr(slow_first, "done"):
            slow_first.done = True
            time.sleep(0.35)

    ssc.queueStream([[1]]).foreachRDD(slow_first)
    ssc.start()
    try:
        wait_for(lambda: len(events.completed) >= 6, 20, "6 batches")
    finally:
        ssc.stop(stopSparkContext=False)
    infos = events.completed[:6]
    times = [int(i.batchTime()) for i in infos]
    assert all(t % 100 == 0 for t in times)
    assert [b - a for a, b in zip(times, times[1:])] == [100] * 5          # none skipped
    assert infos[1].schedulingDelay() >= 150                               # waited for the slow one
    assert infos[0].processingDelay() >= 340
