"""Helpers shared by the streaming tests (importable, unlike conftest)."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable


def wait_for(cond: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Wait until ``cond()`` is true, failing the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.005)


def streaming_threads() -> list[str]:
    """Names of the threads the streaming layer started that are still alive."""
    return [t.name for t in threading.enumerate()
            if t.name.startswith(("dstreams-streaming", "dstreams-receiver"))]
