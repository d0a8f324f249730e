"""Keys whose hash() depends on PYTHONHASHSEED (dataclasses, tuples of strings) reduce to one
record on every process master: every executor and worker runs with one fixed seed, and an
executor started with another one refuses to run tasks."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from dstreams import Context

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class User:
    name: str


def totals(master: str) -> list:
    with Context(master, "hash-seed") as ctx:
        records = [(User(f"u{i % 20}"), 1) for i in range(80)] + [((f"t{i % 5}", "x"), 1) for i in range(20)]
        return sorted(ctx.parallelize(records, 8).reduceByKey(lambda a, b: a + b, 4).collect(), key=repr)


@pytest.mark.parametrize("master", ["local-processes[2]", "local-cluster[2]"])
def test_seed_dependent_keys_reduce_to_one_record(master, monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    got = totals(master)
    assert len(got) == 25, got
    assert all(n == 4 for k, n in got if isinstance(k, User)) and all(n == 4 for k, n in got if isinstance(k, tuple))


def test_an_executor_with_another_seed_refuses_to_run(redis_server):
    import redis
    r = redis.Redis.from_url(redis_server.url)
    r.set("dstreams:seed-app:hashseed", "0")  # what a driver publishes
    r.rpush("dstreams:seed-app:queue:bad-exec", b"not a task")  # a message makes it check
    env = dict(os.environ, PYTHONHASHSEED="123")
    p = subprocess.run([sys.executable, "-m", "dstreams.cli", "executor", "--master", redis_server.url,
                        "--app-id", "seed-app", "--executor-id", "bad-exec"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert "PYTHONHASHSEED=123" in p.stderr and "PYTHONHASHSEED=0" in p.stderr
