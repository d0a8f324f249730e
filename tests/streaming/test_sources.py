"""Sources on the real clock: custom receivers and their blocks, sockets, and directories."""
from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from conftest_helpers import streaming_threads, wait_for
from dstreams import Context
from dstreams.streaming import Receiver, StreamingContext, StreamingListener


@pytest.fixture(scope="module")
def ctx():
    c = Context("local[2]", "streaming-sources", conf={
        "dstreams.streaming.blockInterval": 0.05,
        "dstreams.streaming.receiverRestartDelay": 0.1,
    })
    yield c
    c.stop()


@pytest.fixture
def ssc(ctx):
    s = StreamingContext(ctx, 0.2)
    yield s
    s.stop(stopSparkContext=False)
    assert not streaming_threads(), f"threads left running: {streaming_threads()}"


class Numbers(Receiver):
    """Stores 0..n-1, one every ``pause`` seconds; restarts once halfway when asked to."""

    def __init__(self, n, pause=0.0, restart_at=None):
        super().__init__()
        self.n, self.pause, self.restart_at = n, pause, restart_at
        self.next = 0
        self.starts = 0

    def onStart(self):
        self.starts += 1
        threading.Thread(target=self._run, daemon=True).start()

    def onStop(self):
        pass

    def _run(self):
        while not self.isStopped() and self.next < self.n:
            self.store(self.next)
            self.next += 1
            if self.next == self.restart_at and self.starts == 1:
                self.restart("planned restart", delay=0.05)
                return
            if self.pause:
                time.sleep(self.pause)


class Records(StreamingListener):
    def __init__(self):
        self.records = 0
        self.receiver_events = []

    def onBatchCompleted(self, e):
        self.records += e.batchInfo().numRecords()

    def onReceiverStarted(self, e):
        self.receiver_events.append("started")

    def onReceiverStopped(self, e):
        self.receiver_events.append("stopped")


def test_receiver_blocks_while_batches_run(ssc):
    """A slow batch does not stop the receiver: every record arrives once, in order."""
    batches = []
    listener = Records()
    ssc.addStreamingListener(listener)

    def collect(rdd):
        batches.append((rdd.getNumPartitions(), rdd.collect()))
        if len(batches) == 2:
            time.sleep(0.5)            # the receiver keeps storing meanwhile

    receiver = Numbers(600, pause=0.002)
    ssc.receiverStream(receiver).foreachRDD(collect)
    ssc.start()
    wait_for(lambda: sum(len(d) for _, d in batches) >= 600, 30, "600 records")
    data = [x for _, d in batches for x in d]
    assert data == list(range(600))
    # blocks are cut every 50 ms: batches of 200 ms have several partitions (one per block)
    assert max(n for n, _ in batches) >= 2
    # batches 3 and 4 were closed while batch 2 was still running: they got records anyway
    assert all(len(d) > 0 for _, d in batches[2:4]), [len(d) for _, d in batches[:5]]
    wait_for(lambda: listener.records >= 600, 10, "numRecords in the listener")


def test_receiver_restart_and_storeMany(ssc):
    class Chunks(Receiver):
        def onStart(self):
            self.storeMany(["a", "b", "c"])

        def onStop(self):
            pass

    out = []
    listener = Records()
    ssc.addStreamingListener(listener)
    receiver = Numbers(20, restart_at=10)
    ssc.union(ssc.receiverStream(receiver), ssc.receiverStream(Chunks())).foreachRDD(
        lambda rdd: out.extend(rdd.collect()))
    ssc.start()
    wait_for(lambda: len(out) >= 23, 20, "23 records")
    assert sorted(x for x in out if isinstance(x, int)) == list(range(20))
    assert sorted(x for x in out if isinstance(x, str)) == ["a", "b", "c"]
    assert receiver.starts == 2          # restarted once
    wait_for(lambda: listener.receiver_events.count("started") >= 3, 10, "receiver (re)start events")


def test_receivers_are_picklable():
    import pickle
    from dstreams.sources import SocketReceiver, TextGenerator
    for r in (Numbers(3), SocketReceiver("localhost", 1), TextGenerator(10)):
        assert type(pickle.loads(pickle.dumps(r))) is type(r)


def test_socketTextStream_reconnects(ssc):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(2)
    port = server.getsockname()[1]
    conns = []

    def serve():
        c1, _ = server.accept()
        c1.sendall(b"hello world\r\nsecond line\n")
        c1.close()                            # the receiver reconnects
        c2, _ = server.accept()
        conns.append(c2)
        c2.sendall("third line é\n".encode())

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    out = []
    ssc.socketTextStream("127.0.0.1", port).foreachRDD(lambda rdd: out.extend(rdd.collect()))
    ssc.start()
    try:
        wait_for(lambda: len(out) >= 3, 20, "three lines")
        assert out == ["hello world", "second line", "third line é"]
    finally:
        for c in conns:
            c.close()
        server.close()


def _move_in(directory, name, text, staging):
    tmp = staging / name
    tmp.write_bytes(text if isinstance(text, bytes) else text.encode())
    os.replace(tmp, directory / name)


def test_textFileStream_new_files_only(ssc, tmp_path):
    watched, staging = tmp_path / "in", tmp_path / "staging"
    watched.mkdir()
    staging.mkdir()
    (watched / "old.txt").write_text("old\n")
    old = time.time() - 3600
    os.utime(watched / "old.txt", (old, old))
    out = []
    ssc.textFileStream(str(watched)).foreachRDD(lambda rdd: out.append(sorted(rdd.collect())))
    ssc.start()
    # a file must be newer than the stream (by the filesystem's coarse clock): start first
    wait_for(lambda: len(out) >= 1, 20, "first batch")
    _move_in(watched, "a.txt", "a1\na2\n", staging)
    _move_in(watched, ".hidden", "nope\n", staging)
    wait_for(lambda: ["a1", "a2"] in out, 20, "first file")
    _move_in(watched, "b.txt", "b1\n", staging)
    wait_for(lambda: ["b1"] in out, 20, "second file")
    assert sorted(x for batch in out for x in batch) == ["a1", "a2", "b1"]


def test_binaryRecordsStream(ssc, tmp_path):
    watched, staging = tmp_path / "in", tmp_path / "staging"
    watched.mkdir()
    staging.mkdir()
    out, batches = [], []

    def grab(rdd):
        batches.append(1)
        out.extend(rdd.collect())

    ssc.binaryRecordsStream(f"file://{watched}", 4).foreachRDD(grab)
    ssc.start()
    wait_for(lambda: len(batches) >= 1, 20, "first batch")
    _move_in(watched, "r.bin", b"aaaabbbbcccc", staging)
    wait_for(lambda: len(out) >= 3, 20, "three records")
    assert out == [b"aaaa", b"bbbb", b"cccc"]


def test_graceful_stop_processes_received_data(ctx):
    ssc = StreamingContext(ctx, 0.2)
    out = []
    receiver = Numbers(300, pause=0.001)
    ssc.receiverStream(receiver).foreachRDD(lambda rdd: out.extend(rdd.collect()))
    ssc.start()
    wait_for(lambda: len(out) > 0, 20, "first records")
    ssc.stop(stopSparkContext=False, stopGraceFully=True)
    # everything the receiver stored before it stopped was processed
    assert out == list(range(len(out))) and len(out) >= 1
    assert not streaming_threads()


def test_textFileStream_on_any_fsspec_url(ssc):
    import fsspec
    fs = fsspec.filesystem("memory")
    fs.makedirs("/dstreams-watch", exist_ok=True)
    out, batches = [], []

    def grab(rdd):
        batches.append(1)
        out.extend(rdd.collect())

    ssc.textFileStream("memory://dstreams-watch").foreachRDD(grab)
    ssc.start()
    wait_for(lambda: len(batches) >= 1, 20, "first batch")
    fs.pipe("/dstreams-staging/m.txt", b"m1\nm2\n")
    fs.mv("/dstreams-staging/m.txt", "/dstreams-watch/m.txt")
    wait_for(lambda: len(out) >= 2, 20, "the file's lines")
    assert out == ["m1", "m2"]
    fs.rm("/dstreams-watch", recursive=True)
