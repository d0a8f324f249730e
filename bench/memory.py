"""Peak resident memory of a process tree (the driver plus executors, Redis, the JVM...)."""
from __future__ import annotations

import threading

import psutil


class PeakMemory:
    """Samples the RSS sum of this process and all its descendants every ``interval`` s."""

    def __init__(self, interval: float = 0.1, pid: int | None = None, exclude: list[int] | None = None) -> None:
        self.proc = psutil.Process(pid)
        self.exclude = exclude if exclude is not None else []  # e.g. the input generator's process
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-memory", daemon=True)

    def sample(self) -> int:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            if p.pid in self.exclude:
                continue
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        self.peak = max(self.peak, total)
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> "PeakMemory":
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
