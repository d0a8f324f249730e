"""Fixtures of the mllib tests: a local[2] Context per module and a ManualClock runner that
drives a StreamingContext batch by batch (no sleeps: every wait is on a condition)."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from dstreams import Context

sys.path.insert(0, os.path.dirname(__file__))

from mllib_helpers import Runner  # noqa: E402


@pytest.fixture(scope="module")
def ctx() -> Iterator[Context]:
    c = Context("local[2]", "mllib-tests")
    yield c
    c.stop()


@pytest.fixture
def runner(ctx: Context) -> Iterator[Runner]:
    r = Runner(ctx)
    yield r
    r.stop()
