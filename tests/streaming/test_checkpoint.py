"""Checkpoints: metadata files written atomically every batch, retention, cleanup of state
checkpoints, and a driver killed with SIGKILL that resumes with getOrCreate."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from conftest_helpers import wait_for
from dstreams.streaming.checkpoint import _load, checkpoint_files, read_checkpoint

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "stateful_totals.py")


def test_metadata_checkpoints_every_batch_and_retention(runner, tmp_path):
    ck = tmp_path / "ck"
    runner.ssc.checkpoint(str(ck))
    pairs = runner.ssc.queueStream([[("a", 1)], [("a", 2), ("b", 1)]] + [[]] * 10)
    totals = pairs.updateStateByKey(lambda vs, s: (s or 0) + sum(vs)).checkpoint(0.5)
    out = runner.collect(totals, sort=True)
    runner.run(12)
    runner.stop()
    assert out[-1] == [("a", 3), ("b", 1)]
    files = checkpoint_files(str(ck))
    assert 2 <= len(files) <= 10
    assert not [n for n in os.listdir(ck) if n.startswith(".")], "temporary files left behind"
    data = read_checkpoint(str(ck))
    assert data["last_tick"] == 6000 and data["pending"] == [] and data["batch_ms"] == 500
    # the state was checkpointed every batch; only the ones still named by a retained file remain
    rdd_dirs = [os.path.join(r, d) for r, ds, _ in os.walk(ck) for d in ds if d.startswith("rdd-")]
    referenced = {os.path.normpath(p) for p in data["refs"]}
    assert referenced and referenced <= {os.path.normpath(p) for p in rdd_dirs}
    # exactly the state checkpoints some retained file names are kept (how many depends on how
    # many writes coalesced while the writer was busy: each file names the last two)
    named = {os.path.normpath(p) for _, url in files for p in _load(url).get("refs", ())}
    assert {os.path.normpath(p) for p in rdd_dirs} == named
    assert len(rdd_dirs) < 12 + 1 and len(rdd_dirs) <= 2 * len(files)


def test_unserializable_graph_fails_at_start(runner, tmp_path):
    import threading
    runner.ssc.checkpoint(str(tmp_path / "ck"))
    lock = threading.Lock()

    def use_lock(rdd):
        with lock:
            rdd.count()

    runner.ssc.queueStream([[1]]).foreachRDD(use_lock)
    with pytest.raises(Exception, match="not serializable.*lock"):
        runner.ssc.start()


# ---- a real driver process, killed and restarted -------------------------------------------------
WORDS = [["apple", "pear"], ["apple"], ["fig", "pear", "pear"], ["kiwi"], ["apple", "kiwi"], ["fig"], ["plum"]]


def cumulative(n: int) -> dict:
    c: Counter = Counter()
    for words in WORDS[:n]:
        c.update(words)
    return dict(c)


class Driver:
    def __init__(self, tmp_path, name):
        self.log = tmp_path / f"{name}.log"
        env = dict(os.environ, DSTREAMS_MASTER="local[2]", PYTHONUNBUFFERED="1")
        args = [sys.executable, EXAMPLE, "--checkpoint", str(tmp_path / "ck"), "--input", str(tmp_path / "in"),
                "--batch", "0.2", "--checkpoint-interval", "1.0"]
        self.proc = subprocess.Popen(args, stdout=open(self.log, "w"), stderr=subprocess.STDOUT, env=env)

    def totals(self) -> list[tuple[int, dict]]:
        out = []
        for line in self.log.read_text().splitlines():
            if line.startswith("totals "):
                _, t, js = line.split(" ", 2)
                out.append((int(t), dict(json.loads(js))))
        return out

    def wait_totals(self, expected: dict, timeout: float = 60) -> None:
        def ok():
            if self.proc.poll() is not None:
                raise AssertionError(f"driver exited with {self.proc.returncode}:\n{self.log.read_text()}")
            t = self.totals()
            return bool(t) and t[-1][1] == expected
        wait_for(ok, timeout, f"totals {expected} (log: {self.log})")


def move_in(tmp_path, i):
    tmp = tmp_path / "staging" / f"words-{i}.txt"
    tmp.write_text(" ".join(WORDS[i]) + "\n")
    os.replace(tmp, tmp_path / "in" / f"words-{i}.txt")


def test_driver_killed_with_sigkill_resumes_from_checkpoint(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "staging").mkdir()
    a = Driver(tmp_path, "first")
    try:
        a.wait_totals({})                           # running (and older than the files to come)
        for i in range(4):
            move_in(tmp_path, i)
            a.wait_totals(cumulative(i + 1))
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(30)
    finally:
        if a.proc.poll() is None:
            a.proc.kill()
    move_in(tmp_path, 4)                            # arrives while no driver runs
    time.sleep(0.7)                                 # the driver stays down for a few batches
    restarted_ms = time.time() * 1000
    b = Driver(tmp_path, "second")
    try:
        b.wait_totals(cumulative(5))
        move_in(tmp_path, 5)
        b.wait_totals(cumulative(6))
        move_in(tmp_path, 6)
        b.wait_totals(cumulative(7))
    finally:
        b.proc.send_signal(signal.SIGINT)
        try:
            b.proc.wait(30)
        except subprocess.TimeoutExpired:
            b.proc.kill()
    first, second = a.totals(), b.totals()
    # the restarted driver resumed the state: it never printed totals without the first files
    prefixes = [cumulative(n) for n in range(len(WORDS) + 1)]
    assert all(t in prefixes[4:] for _, t in second), second
    # and every total printed by either driver is a running total of an uninterrupted run
    assert all(t in prefixes for _, t in first + second)
    # a batch run by both drivers (re-run after the crash) printed the same totals
    by_time = {}
    for t, totals in first + second:
        assert by_time.setdefault(t, totals) == totals
    assert second[-1][1] == cumulative(7)
    # the batches of the time the driver was down were run after the restart, none skipped
    assert second[0][0] < restarted_ms - 400
    times = sorted({t for t, _ in first + second})
    assert all(b - a == 200 for a, b in zip(times, times[1:])), times
