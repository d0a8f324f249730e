"""A file deleted after its batch listed it: the batch fails naming
``spark.streaming.fileStream.ignoreMissingFiles``; with it on, the file is skipped with a warning,
later files are processed, and a restart from the checkpoint gets past the batch."""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from conftest_helpers import streaming_threads
from dstreams import Context, InputPathNotFoundError
from dstreams.streaming import StreamingContext, StreamingListener
from dstreams.testing import wait_until

BATCH = 0.2
SETTING = "spark.streaming.fileStream.ignoreMissingFiles"

# One batch is held inside its first output operation while the timer goes on listing files
# for the next batches, so a test can delete a file between its listing and its batch. Module
# level, so a checkpointed graph pickles these functions by reference (not the Events).
_hold_next = threading.Event()
_held = threading.Event()
_release = threading.Event()
SEEN: list[str] = []  # every line the stream's output saw, in every run


def _hold(rdd) -> None:
    if _hold_next.is_set():
        _hold_next.clear()
        _held.set()
        _release.wait(30)


def _record(rdd) -> None:
    SEEN.extend(rdd.collect())


def _wire(ssc: StreamingContext, watched: Path) -> None:
    stream = ssc.textFileStream(str(watched))
    stream.foreachRDD(_hold)
    stream.foreachRDD(_record)


class Batches(StreamingListener):
    """The files each submitted batch took, and how many batches completed."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self.completed = 0

    def onBatchSubmitted(self, e) -> None:
        for info in e.batchInfo().streamIdToInputInfo().values():
            self.files.extend(info.metadata().get("files", ()))

    def onBatchCompleted(self, e) -> None:
        self.completed += 1


@pytest.fixture(autouse=True)
def _reset():
    for ev in (_hold_next, _held, _release):
        ev.clear()
    SEEN.clear()
    yield
    _release.set()  # never leave a job loop held
    assert not streaming_threads(), f"threads left running: {streaming_threads()}"


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    watched, staging = tmp_path / "in", tmp_path / "staging"
    watched.mkdir()
    staging.mkdir()
    return watched, staging


def _move_in(watched: Path, staging: Path, name: str, text: str) -> None:
    (staging / name).write_text(text)
    os.replace(staging / name, watched / name)


def _start(ssc: StreamingContext) -> Batches:
    batches = Batches()
    ssc.addStreamingListener(batches)
    ssc.start()
    # a file must be newer than the stream (by the filesystem's clock): let a batch pass first
    wait_until(lambda: batches.completed >= 1, 20, "the first batch")
    return batches


def _delete_after_listing(batches: Batches, watched: Path, staging: Path, name: str) -> None:
    """Move ``name`` in while a batch is held, delete it once a later batch listed it, release."""
    _hold_next.set()
    wait_until(_held.is_set, 20, "a batch held in its output operation")
    _move_in(watched, staging, name, "gone\n")
    wait_until(lambda: any(f.endswith(name) for f in batches.files), 20, f"a batch listing {name}")
    os.remove(watched / name)
    _release.set()


def test_a_file_deleted_after_listing_fails_its_batch_naming_the_setting(dirs) -> None:
    watched, staging = dirs
    with Context("local[2]", "missing-file") as sc:
        ssc = StreamingContext(sc, BATCH)
        _wire(ssc, watched)
        try:
            _delete_after_listing(_start(ssc), watched, staging, "gone.txt")
            with pytest.raises(InputPathNotFoundError) as info:
                ssc.awaitTermination(30)
        finally:
            ssc.stop(stopSparkContext=False)
    msg = str(info.value)
    assert "gone.txt" in msg and "deleted after the batch listed it" in msg
    assert f"{SETTING}=true" in msg and "dstreams.streaming.fileStream.ignoreMissingFiles" in msg
    assert "gone" not in SEEN


def test_with_the_setting_on_the_file_is_skipped_with_a_warning(dirs, caplog: pytest.LogCaptureFixture) -> None:
    watched, staging = dirs
    caplog.set_level(logging.WARNING, logger="dstreams")
    with Context("local[2]", "missing-file", conf={SETTING: "true"}) as sc:
        ssc = StreamingContext(sc, BATCH)
        _wire(ssc, watched)
        try:
            _delete_after_listing(_start(ssc), watched, staging, "gone.txt")
            _move_in(watched, staging, "later.txt", "l1\nl2\n")
            wait_until(lambda: {"l1", "l2"} <= set(SEEN), 20, "the later file's lines")
            assert ssc.getState() == "ACTIVE"
            ssc.awaitTerminationOrTimeout(0)  # raises if a batch failed
        finally:
            ssc.stop(stopSparkContext=False)
    assert sorted(SEEN) == ["l1", "l2"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("skipped missing input file" in m and "gone.txt" in m for m in warnings), warnings


def test_a_restart_from_the_checkpoint_gets_past_the_batch_with_the_setting_on(dirs, tmp_path: Path) -> None:
    watched, staging = dirs
    ck = str(tmp_path / "ck")

    def setup() -> StreamingContext:
        ssc = StreamingContext(Context.getOrCreate(), BATCH)
        ssc.checkpoint(ck)
        _wire(ssc, watched)
        return ssc

    with Context("local[2]", "missing-file"):          # the batch fails ...
        ssc = StreamingContext.getOrCreate(ck, setup)
        try:
            _delete_after_listing(_start(ssc), watched, staging, "gone.txt")
            with pytest.raises(InputPathNotFoundError):
                ssc.awaitTermination(30)
        finally:
            ssc.stop(stopSparkContext=False)
    with Context("local[2]", "missing-file"):          # ... and fails again when re-run
        ssc = StreamingContext.getOrCreate(ck, setup)
        try:
            ssc.start()
            with pytest.raises(InputPathNotFoundError, match=f"{SETTING}=true"):
                ssc.awaitTermination(30)
        finally:
            ssc.stop(stopSparkContext=False)
    with Context("local[2]", "missing-file", conf={SETTING: "true"}):   # with the setting: past it
        ssc = StreamingContext.getOrCreate(ck, setup)
        try:
            batches = _start(ssc)
            _move_in(watched, staging, "later.txt", "l1\nl2\n")
            wait_until(lambda: {"l1", "l2"} <= set(SEEN), 20, "the later file's lines after the restart")
            ssc.awaitTerminationOrTimeout(0)  # raises if a batch failed
            assert batches.completed >= 2 and ssc.getState() == "ACTIVE"
        finally:
            ssc.stop(stopSparkContext=False)
    assert sorted(SEEN) == ["l1", "l2"]


def test_a_file_stream_on_a_missing_directory_fails_at_start(ctx, tmp_path):
    from dstreams.errors import InputPathNotFoundError
    from dstreams.testing import StreamRunner
    runner = StreamRunner(ctx)
    try:
        runner.ssc.textFileStream(str(tmp_path / "nowhere")).count().pprint()
        with pytest.raises(InputPathNotFoundError, match="does not exist.*create it before starting"):
            runner.ssc.start()
    finally:
        runner.stop()
