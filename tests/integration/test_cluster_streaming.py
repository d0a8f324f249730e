"""Streaming on the cluster data plane (real redis-server, real MinIO): receivers on executors,
executor and driver failures mid-stream, progress for the operator, and key hygiene."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from operator import add

import pytest

from dstreams import Context, StreamingContext
from dstreams.sources import SocketReceiver  # noqa: F401  (the receiver the socket stream uses)
from tests.servers import wait_until

pytestmark = pytest.mark.integration

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def cluster(redis_server, monkeypatch):
    monkeypatch.setenv("DSTREAMS_REDIS_URL", redis_server.url)
    ctx = Context("local-cluster[2]", "it-streaming", conf={"dstreams.streaming.blockInterval": 0.05})
    yield ctx
    ctx.stop()


class LineServer:
    """A socket server the test writes lines to (what socketTextStream connects to)."""

    def __init__(self) -> None:
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(4)
        self.port = self.srv.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.conns.append(c)

    def send(self, lines: list[str]) -> None:
        data = ("\n".join(lines) + "\n").encode()
        for c in list(self.conns):
            try:
                c.sendall(data)
            except OSError:
                self.conns.remove(c)

    def close(self) -> None:
        self.srv.close()
        for c in self.conns:
            c.close()


def test_socket_receiver_runs_on_an_executor_and_counts_exactly(cluster, redis_server):
    ctx = cluster
    server = LineServer()
    ssc = StreamingContext(ctx, 0.2)
    totals: Counter = Counter()
    lock = threading.Lock()

    def collect(rdd):
        with lock:
            totals.update(dict(rdd.collect()))

    ssc.socketTextStream("127.0.0.1", server.port).flatMap(str.split).map(lambda w: (w, 1)) \
        .reduceByKey(add).foreachRDD(collect)
    ssc.start()
    try:
        wait_until(lambda: server.conns, 30, "the receiver to connect")
        # the receiver runs inside an executor process, not in the driver
        import psutil

        def holds(pid):
            return any(c.raddr and c.raddr.port == server.port for c in psutil.Process(pid).net_connections("tcp"))

        assert not holds(os.getpid())
        assert len([pid for pid in ctx._backend.launcher.pids() if holds(pid)]) == 1
        for i in range(5):
            server.send([f"a b c{i}"] * 20)
        expected = Counter({"a": 100, "b": 100, **{f"c{i}": 20 for i in range(5)}})
        wait_until(lambda: totals == expected, 30, f"the counts {dict(expected)} (have {dict(totals)})")
    finally:
        ssc.stop(stopSparkContext=False, stopGraceFully=False)
        server.close()
    assert not any(t.name.startswith("dstreams-receiver-blocks") for t in threading.enumerate())


def test_receiver_restarts_on_another_executor_when_its_executor_dies(cluster):
    ctx = cluster
    backend = ctx._backend
    server = LineServer()
    ssc = StreamingContext(ctx, 0.2)
    seen: list[str] = []
    lock = threading.Lock()

    def collect(rdd):
        with lock:
            seen.extend(rdd.collect())

    ssc.socketTextStream("127.0.0.1", server.port).foreachRDD(collect)
    ssc.start()
    try:
        wait_until(lambda: server.conns, 30, "the receiver to connect")
        server.send(["before-1", "before-2"])
        wait_until(lambda: {"before-1", "before-2"} <= set(seen), 30, "the first lines")
        # find the executor process holding the connection and kill it
        import psutil
        port = server.port
        victim = None
        for pid in backend.launcher.pids():
            for c in psutil.Process(pid).net_connections(kind="tcp"):
                if c.raddr and c.raddr.port == port:
                    victim = pid
        assert victim is not None, "no executor process holds the receiver's connection"
        first_conn = server.conns[0]
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: len(server.conns) >= 2 and server.conns[-1] is not first_conn, 60,
                   "the receiver to reconnect from another executor")
        for c in list(server.conns):
            if c is first_conn:
                server.conns.remove(c)
        server.send(["after-1"])
        wait_until(lambda: "after-1" in seen, 30, "lines received after the restart")
        assert seen.count("before-1") == 1  # blocks stored before the kill were processed once
    finally:
        ssc.stop(stopSparkContext=False, stopGraceFully=False)
        server.close()


def test_executor_killed_mid_stream_outputs_equal_undisturbed_run(cluster, tmp_path):
    """queueStream batches through a slow map, updateStateByKey and saveAsTextFiles; one
    executor is killed while batches run: the outputs equal the plain-Python expectation."""
    ctx = cluster
    backend = ctx._backend
    ssc = StreamingContext(ctx, 0.3)
    ssc.checkpoint(str(tmp_path / "ck"))
    batches = [[f"k{(b * 7 + i) % 5}" for i in range(30)] for b in range(12)]
    rdds = [ctx.parallelize(b, 4) for b in batches]
    def slow(w):
        time.sleep(0.002)
        return (w, 1)

    pairs = ssc.queueStream(rdds).map(slow)
    totals_seen: list[dict] = []
    state = pairs.updateStateByKey(lambda new, old: (old or 0) + sum(new))
    state.foreachRDD(lambda rdd: totals_seen.append(dict(rdd.collect())))
    pairs.reduceByKey(add).saveAsTextFiles(str(tmp_path / "out" / "counts"))
    ssc.start()
    try:
        wait_until(lambda: totals_seen, 60, "the first batch")
        os.kill(backend.launcher.pids()[0], signal.SIGKILL)
        wait_until(lambda: len(totals_seen) >= len(batches), 120, "every queued batch to be processed")
    finally:
        ssc.stop(stopSparkContext=False, stopGraceFully=False)
    running: Counter = Counter()
    for i, b in enumerate(batches):
        running.update(b)
        assert totals_seen[i] == dict(running), f"batch {i}"
    assert backend.lost_executors >= 1
    outs = sorted(p for p in (tmp_path / "out").iterdir() if p.name.startswith("counts-"))
    per_batch = []
    for d in outs:
        assert (d / "_SUCCESS").exists()
        lines = [ln for f in sorted(d.glob("part-*")) for ln in f.read_text().splitlines()]
        per_batch.append(Counter({eval(ln)[0]: eval(ln)[1] for ln in lines}))
    non_empty = [c for c in per_batch if c]
    assert non_empty[:len(batches)] == [Counter(b) for b in batches]


def test_progress_is_published_for_the_operator(cluster, redis_server):
    ctx = cluster
    ssc = StreamingContext(ctx, 0.1)
    ssc.queueStream([ctx.parallelize([1, 2, 3])], default=ctx.parallelize([0])).count().foreachRDD(lambda r: None)
    key = f"dstreams:{ctx.applicationId}:progress"
    r = redis_server.client()
    ssc.start()
    try:
        def progressed():
            raw = r.get(key)
            return raw and json.loads(raw)["batchesCompleted"] >= 3 and json.loads(raw)
        doc = wait_until(progressed, 30, "progress with 3 completed batches")
        assert doc["state"] == "running" and doc["lastBatchTime"].endswith("Z")
        assert doc["processingDelayMs"] >= 0 and doc["schedulingDelayMs"] >= 0
        # `dstreams status` shows the same progress and the live executors
        out = subprocess.run([sys.executable, "-m", "dstreams.cli", "status", "--master", redis_server.url,
                              "--app-id", ctx.applicationId], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        status = json.loads(out.stdout)
        assert status["driver"] is True and len(status["executors"]) == 2
        assert status["progress"]["batchesCompleted"] >= 3
    finally:
        ssc.stop(stopSparkContext=False)
    assert json.loads(r.get(key))["state"] == "stopped"


def test_keys_stay_bounded_over_many_batches(cluster, redis_server, tmp_path):
    ctx = cluster
    server = LineServer()
    ssc = StreamingContext(ctx, 0.1)
    done: list[int] = []
    ssc.socketTextStream("127.0.0.1", server.port).flatMap(str.split).map(lambda w: (w, 1)) \
        .reduceByKey(add).window(0.5, 0.1).foreachRDD(lambda rdd: done.append(rdd.count()))
    r = redis_server.client()
    prefix = f"dstreams:{ctx.applicationId}:".encode()
    sizes = []
    ssc.start()
    try:
        wait_until(lambda: server.conns, 30, "the receiver to connect")
        for round_ in range(12):
            n = len(done)
            server.send([f"w{round_} x y"] * 10)
            wait_until(lambda n=n: len(done) >= n + 5, 30, "five more batches")
            sizes.append(len(list(r.scan_iter(match=prefix + b"*"))))
    finally:
        ssc.stop(stopSparkContext=False)
        server.close()
    assert max(sizes[6:]) <= max(sizes[:6]) + 5, sizes


def test_driver_killed_recovers_from_s3_checkpoint_in_local_cluster(s3_env, s3_server, redis_server, tmp_path):
    """kill -9 the driver of a stateful local-cluster job checkpointing to S3; the restarted
    driver (getOrCreate) prints the running totals of an uninterrupted run."""
    bucket = s3_env
    inp, staging = tmp_path / "in", tmp_path / "staging"
    inp.mkdir()
    staging.mkdir()
    words = [["apple", "pear"], ["apple"], ["fig", "pear"], ["kiwi"], ["apple", "kiwi"]]
    env = dict(os.environ, DSTREAMS_MASTER="local-cluster[2]", DSTREAMS_REDIS_URL=redis_server.url,
               PYTHONUNBUFFERED="1", **s3_server.env())
    args = [sys.executable, os.path.join(REPO, "examples", "stateful_totals.py"), "--checkpoint",
            f"s3://{bucket}/ck", "--input", str(inp), "--batch", "0.3", "--checkpoint-interval", "0.6"]

    def start(name):
        log = tmp_path / f"{name}.log"
        return subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env), log

    def totals(log):
        return [json.loads(ln.split(" ", 2)[2]) for ln in log.read_text().splitlines() if ln.startswith("totals ")]

    def expect(log, proc, n):
        want = sorted(Counter(w for ws in words[:n] for w in ws).items())
        want = [list(x) for x in want]

        def ok():
            if proc.poll() is not None:
                raise AssertionError(f"driver exited {proc.returncode}:\n{log.read_text()[-3000:]}")
            t = totals(log)
            return bool(t) and t[-1] == want
        wait_until(ok, 90, f"totals after {n} files ({log})")

    def move_in(i):
        f = staging / f"w{i}.txt"
        f.write_text(" ".join(words[i]) + "\n")
        os.replace(f, inp / f.name)

    a, alog = start("first")
    try:
        expect(alog, a, 0)
        for i in range(3):
            move_in(i)
            expect(alog, a, i + 1)
        a.send_signal(signal.SIGKILL)
        a.wait(30)
    finally:
        if a.poll() is None:
            a.kill()
    move_in(3)  # arrives while no driver runs
    b, blog = start("second")
    try:
        expect(blog, b, 4)
        move_in(4)
        expect(blog, b, 5)
    finally:
        b.send_signal(signal.SIGTERM)
        try:
            b.wait(60)
        except subprocess.TimeoutExpired:
            b.kill()
    prefixes = [[list(x) for x in sorted(Counter(w for ws in words[:n] for w in ws).items())]
                for n in range(len(words) + 1)]
    assert all(t in prefixes[3:] for t in totals(blog)), totals(blog)


def test_lost_input_blocks_fail_the_batch_loudly(cluster):
    """Blocks that vanish from Redis between assignment and processing (a Redis restart without
    persistence) fail the batch with BlockNotFoundError; the stream never drops data silently."""
    from dstreams.errors import BlockNotFoundError
    ctx = cluster
    server = LineServer()
    ssc = StreamingContext(ctx, 0.2)

    def lose_blocks(rdd):
        ids = getattr(rdd, "block_ids", [])
        ctx.env.block_store.remove_many(ids)  # what a Redis restart does to them
        return rdd

    ssc.socketTextStream("127.0.0.1", server.port).transform(lose_blocks).count().foreachRDD(lambda r: r.collect())
    ssc.start()
    try:
        wait_until(lambda: server.conns, 30, "the receiver to connect")
        server.send(["some", "lines"])
        with pytest.raises(BlockNotFoundError, match="input-"):
            ssc.awaitTermination(60)
    finally:
        ssc.stop(stopSparkContext=False)
        server.close()


def test_sigterm_stops_the_driver_gracefully_and_releases_its_lease(redis_server, tmp_path):
    """What a pod deletion does: SIGTERM -> graceful stop, final progress 'stopped', exit 0,
    and no key of the app left but the progress record."""
    app = tmp_path / "app.py"
    app.write_text(
        "from dstreams import Context, StreamingContext\n"
        "ctx = Context(appName='sigterm')\n"
        "ssc = StreamingContext(ctx, 0.2)\n"
        "ssc.queueStream([], default=ctx.parallelize([1, 2])).count().foreachRDD(lambda r: None)\n"
        "ssc.start()\n"
        "ssc.awaitTermination()\n")
    env = dict(os.environ, DSTREAMS_REDIS_URL=redis_server.url)
    p = subprocess.Popen([sys.executable, "-m", "dstreams.cli", "driver", str(app), "--master", "local-cluster[1]",
                          "--app-id", "sigterm-app"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    r = redis_server.client()
    try:
        def running():
            raw = r.get("dstreams:sigterm-app:progress")
            return raw and json.loads(raw)["batchesCompleted"] >= 2
        wait_until(running, 60, "two batches of the driver")
        p.send_signal(signal.SIGTERM)
        assert p.wait(60) == 0, p.stdout.read().decode()[-3000:]
    finally:
        if p.poll() is None:
            p.kill()
    assert json.loads(r.get("dstreams:sigterm-app:progress"))["state"] == "stopped"
    assert sorted(r.scan_iter(match=b"dstreams:sigterm-app:*")) == [b"dstreams:sigterm-app:progress"]
