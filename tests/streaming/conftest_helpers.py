"""Helpers shared by the streaming tests (importable, unlike conftest)."""
from __future__ import annotations

import threading
from collections.abc import Callable

from dstreams.testing import wait_until


def wait_for(cond: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> object:
    """Wait until ``cond()`` is true, failing the test after ``timeout`` seconds (dstreams.testing)."""
    return wait_until(cond, timeout, what)


def streaming_threads() -> list[str]:
    """Names of the threads the streaming layer started that are still alive."""
    return [t.name for t in threading.enumerate()
            if t.name.startswith(("dstreams-streaming", "dstreams-receiver"))]
