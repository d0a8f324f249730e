"""Fixtures for the streaming tests: one local[2] Context per module, and a runner that drives
a StreamingContext with a ManualClock so batches run as fast as they can, deterministically."""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from dstreams import Context  # noqa: E402
from dstreams.testing import StreamRunner  # noqa: E402

from conftest_helpers import streaming_threads  # noqa: E402


BATCH = 0.5  # seconds of manual-clock time per batch


@pytest.fixture(scope="module")
def ctx():
    c = Context("local[2]", "streaming-tests")
    yield c
    c.stop()


class Runner(StreamRunner):
    """dstreams.testing's StreamRunner with the tests' batch interval."""

    def __init__(self, ctx, batch: float = BATCH) -> None:
        super().__init__(ctx, batch)


@pytest.fixture
def runner(ctx):
    r = Runner(ctx)
    yield r
    r.stop()
    assert not streaming_threads(), f"threads left running: {streaming_threads()}"
