"""Child processes that die with the driver, started from one thread that lives as long as they.

Linux's PR_SET_PDEATHSIG sends a child SIGKILL when its parent dies, even by ``kill -9``; but
the "parent" is the *thread* that started the child. A backend that started its processes from
whichever thread created the Context (or noticed a death) would lose them, and its Redis, when
that thread ended. So ``local-cluster`` and ``local-processes`` start every child, first ones and
replacements alike, through a :class:`Spawner`: one thread that runs the start-up calls in order
and ends when the backend stops.
"""
from __future__ import annotations

import ctypes
import os
import queue
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

__all__ = ["Spawner", "die_with_parent", "follow_parent", "PARENT_PID_ENV"]

PARENT_PID_ENV = "DSTREAMS_PARENT_PID"  # set for a Python child that should die with its parent
_PR_SET_PDEATHSIG = 1
try:  # resolved here, not in a forked child (a preexec_fn) where loading a library can deadlock
    _prctl: Any = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: stop() still cleans up
    _prctl = None


def die_with_parent() -> None:
    """Ask for SIGKILL when the thread that started this process ends (Linux; else nothing).
    Call it first thing in the child, or pass it as a ``preexec_fn`` for a non-Python child."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def follow_parent() -> bool:
    """In a child started with ``PARENT_PID_ENV`` set: ask to die with the parent, and return
    False if it is already gone (it died before the request took effect). True otherwise."""
    pid = os.environ.pop(PARENT_PID_ENV, None)
    if pid is None:
        return True
    die_with_parent()
    return os.getppid() == int(pid)


class Spawner:
    """Runs start-up calls (``subprocess.Popen`` and the like) one at a time on its own thread."""

    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Queue ``fn(*args, **kwargs)``; return a Future of its result (or its exception)."""
        fut: Future = Future()
        self._calls.put((fut, fn, args, kwargs))
        return fut

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Return ``fn(*args, **kwargs)`` run on the spawner's thread (raise what it raised)."""
        if threading.current_thread() is self._thread:
            return fn(*args, **kwargs)
        return self.submit(fn, *args, **kwargs).result()

    def _loop(self) -> None:
        while True:
            item = self._calls.get()
            if item is None:
                return
            fut, fn, args, kwargs = item
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
                fut.set_exception(exc)

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread once the queued calls ran: children still alive then get SIGKILL
        (their death signal), so stop them first."""
        self._calls.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
