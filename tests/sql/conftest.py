"""Fixtures of the dstreams.sql tests: a local[2] Context and its SparkSession per module, and a
real PostgreSQL server for the session."""
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


@pytest.fixture(scope="session")
def postgres():
    """One real PostgreSQL server (a private initdb cluster on a loopback port) for the session;
    fails, never skips, when PostgreSQL is not installed."""
    from tests.servers import PostgresServer
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def pg_table(postgres) -> str:
    """A fresh table name (the table itself is made by the code under test)."""
    import uuid
    return f"t_{uuid.uuid4().hex[:10]}"
