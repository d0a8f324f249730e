"""Fixtures of the dstreams.sql tests: a local[2] Context and its SparkSession per module."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from dstreams import Context


@pytest.fixture(scope="module")
def ctx() -> Iterator[Context]:
    active = Context._active
    if active is not None:
        active.stop()
    c = Context("local[2]", "sql-tests")
    yield c
    c.stop()


@pytest.fixture(scope="module")
def spark(ctx):
    from dstreams.sql import SparkSession
    s = SparkSession.builder.appName("sql-tests").getOrCreate()
    yield s
