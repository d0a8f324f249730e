"""Clocks for the batch timer: the system clock, and a manual one that tests advance by hand."""
from __future__ import annotations

import threading
import time

__all__ = ["Clock", "SystemClock", "ManualClock"]


class Clock:
    """Milliseconds since the epoch, and a way to sleep until a time (or until stopped)."""

    def now_ms(self) -> int:
        raise NotImplementedError

    def wait_until(self, target_ms: int, stop: threading.Event) -> bool:
        """Return True once the time is ``target_ms`` or later; False as soon as ``stop`` is set."""
        raise NotImplementedError


class SystemClock(Clock):
    """The wall clock (the default of a StreamingContext)."""
    def now_ms(self) -> int:
        return int(time.time() * 1000)

    def wait_until(self, target_ms: int, stop: threading.Event) -> bool:
        while True:
            remaining = target_ms - time.time() * 1000
            if remaining <= 0:
                return not stop.is_set()
            if stop.wait(remaining / 1000):
                return False


class ManualClock(Clock):
    """A clock that moves only when told: ``advance(ms)`` / ``set_time(ms)``.

    >>> clock = ManualClock(1_000)
    >>> clock.advance(500); clock.now_ms()
    1500
    """

    def __init__(self, start_ms: int = 0) -> None:
        self._now = int(start_ms)
        self._cond = threading.Condition()

    def now_ms(self) -> int:
        return self._now

    def set_time(self, ms: int) -> None:
        with self._cond:
            self._now = int(ms)
            self._cond.notify_all()

    def advance(self, ms: int) -> None:
        with self._cond:
            self._now += int(ms)
            self._cond.notify_all()

    def wait_until(self, target_ms: int, stop: threading.Event) -> bool:
        with self._cond:
            while self._now < target_ms:
                if stop.is_set():
                    return False
                self._cond.wait(0.02)
        return not stop.is_set()
