"""examples/streaming_kmeans.py as users run it, and its driver killed with SIGKILL and
restarted: the model continues from the checkpoint, every file learned from exactly once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np

from mllib_helpers import wait_for

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
EXAMPLE = os.path.join(ROOT, "examples", "streaming_kmeans.py")


class Driver:
    def __init__(self, tmp_path, name: str, *args: str) -> None:
        self.log = tmp_path / f"{name}.log"
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        cmd = [sys.executable, "-m", "dstreams.cli", "run", EXAMPLE, "--master", "local[2]", "--", *args]
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "w"), stderr=subprocess.STDOUT, env=env)

    def models(self) -> list[tuple[int, dict]]:
        out = []
        for line in self.log.read_text().splitlines():
            if line.startswith("model "):
                _, t, doc = line.split(" ", 2)
                out.append((int(t), json.loads(doc)))
        return out

    def wait_model(self, cond, what: str, timeout: float = 90) -> dict:
        def ok():
            if self.proc.poll() is not None:
                raise AssertionError(f"driver exited with {self.proc.returncode}:\n{self.log.read_text()}")
            m = self.models()
            return bool(m) and cond(m[-1][1])
        wait_for(ok, timeout, f"{what} (log: {self.log})")
        return self.models()[-1][1]

    def interrupt(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def test_example_learns_the_generated_clusters(tmp_path):
    d = Driver(tmp_path, "run", "--batch", "0.5", "--k", "3", "--seed", "4")
    try:
        model = d.wait_model(lambda m: sum(m["weights"]) >= 150, "three files of points learned")
    finally:
        d.interrupt()
    text = d.log.read_text()
    assert d.proc.returncode in (0, 130), text
    assert sum(model["weights"]) % 50 == 0  # whole files of 50 points, each once
    assert len(model["centers"]) == 3 and "Time: " in text and "Traceback" not in text
    # the pprint of the cluster counts: (cluster, count) pairs
    assert any(line.startswith("(") and line.endswith(")") for line in text.splitlines())


CLUSTERS = ([0.0, 0.0], [10.0, 10.0])
FILES = [[[0.5, 0.0], [9.0, 10.0], [10.0, 11.0]], [[-0.5, 1.0], [11.0, 9.0]], [[0.0, -1.0], [0.5, 0.5]],
         [[12.0, 12.0]], [[1.0, 1.0], [8.0, 8.0]]]


def expected(n: int) -> dict:
    """Decay 1 and initial weights 0: each center is the mean of its points, its weight their number."""
    pts = [p for f in FILES[:n] for p in f]
    groups = [[p for p in pts if (p[0] < 5) == (i == 0)] for i in range(2)]
    return {"centers": [np.mean(g, axis=0).tolist() for g in groups], "weights": [float(len(g)) for g in groups]}


def same(model: dict, n: int) -> bool:
    e = expected(n)
    return model["weights"] == e["weights"] and np.allclose(model["centers"], e["centers"], atol=1e-6)


def move_in(tmp_path, i: int) -> None:
    staging = tmp_path / "staging" / f"points-{i}.csv"
    staging.write_text("".join(",".join(map(str, p)) + "\n" for p in FILES[i]))
    os.replace(staging, tmp_path / "in" / f"points-{i}.csv")


def test_model_survives_a_driver_killed_with_sigkill(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "staging").mkdir()
    args = ("--input", str(tmp_path / "in"), "--checkpoint", str(tmp_path / "ck"), "--batch", "0.2",
            "--initial-centers", json.dumps(CLUSTERS))
    a = Driver(tmp_path, "first", *args)
    try:
        a.wait_model(lambda m: m["weights"] == [0.0, 0.0], "the first (empty) batch")
        for i in range(3):
            move_in(tmp_path, i)
            a.wait_model(lambda m, n=i + 1: same(m, n), f"the model of {i + 1} files")
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(30)
    finally:
        if a.proc.poll() is None:
            a.proc.kill()
    move_in(tmp_path, 3)  # arrives while no driver runs
    b = Driver(tmp_path, "second", *args)
    try:
        b.wait_model(lambda m: same(m, 4), "the model of 4 files after the restart")
        move_in(tmp_path, 4)
        b.wait_model(lambda m: same(m, 5), "the model of 5 files")
    finally:
        b.interrupt()
    # the restarted driver never printed a model without the first driver's files, nor one that
    # learned a file twice: each of its models is that of 3, 4 or 5 files
    second = [m for _, m in b.models()]
    assert second and all(any(same(m, n) for n in (3, 4, 5)) for m in second), second
