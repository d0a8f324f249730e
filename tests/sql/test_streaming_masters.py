"""The guide's SQL word count on local-processes[2] and local-cluster[2] (each test with its own
Context, so this module does not use the shared local[2] one)."""
from __future__ import annotations

import pytest

from dstreams import Context
from tests.servers import RedisServer
from tests.sql.kit import EXPECTED, BatchRunner, guide_word_count


@pytest.fixture
def cluster_ctx(monkeypatch):
    active = Context._active
    if active is not None:
        active.stop()
    redis = RedisServer()
    monkeypatch.setenv("DSTREAMS_REDIS_URL", redis.url)
    c = Context("local-cluster[2]", "sql-cluster")
    try:
        yield c
    finally:
        c.stop()
        redis.stop()


@pytest.fixture
def processes_ctx():
    active = Context._active
    if active is not None:
        active.stop()
    c = Context("local-processes[2]", "sql-processes")
    try:
        yield c
    finally:
        c.stop()


def test_guide_word_count_on_local_processes(processes_ctx):
    runner = BatchRunner(processes_ctx)
    try:
        results, _ = guide_word_count(processes_ctx, runner)
    finally:
        runner.stop()
    assert results == EXPECTED


@pytest.mark.integration
def test_guide_word_count_on_local_cluster(cluster_ctx):
    runner = BatchRunner(cluster_ctx)
    try:
        results, sessions = guide_word_count(cluster_ctx, runner)
    finally:
        runner.stop()
    assert results == EXPECTED
    assert sessions[0].sparkContext is cluster_ctx

