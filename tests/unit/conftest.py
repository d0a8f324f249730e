"""Fixtures of the engine's unit tests: a fresh local[2] Context per test."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from dstreams import Context


@pytest.fixture
def ctx() -> Iterator[Context]:
    """A local[2] Context, stopped after the test (only one Context may be active at a time)."""
    c = Context("local[2]", "unit-test")
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture(autouse=True)
def _no_leaked_context() -> Iterator[None]:
    """Stop any Context a failing test left running, so it cannot break the next test."""
    yield
    active = Context._active
    if active is not None:
        active.stop()
