"""TextGenerator: a built-in receiver that makes up lines of words, for demos and benchmarks."""
from __future__ import annotations

import random
import threading
import time

from .receiver import Receiver

__all__ = ["TextGenerator"]

WORDS = ("spark streaming python kubernetes stream batch window state checkpoint driver executor "
         "receiver block shuffle partition record redis cluster operator pod job").split()


class TextGenerator(Receiver):
    """Stores ``linesPerSecond`` lines of ``wordsPerLine`` random words (seeded, so repeatable).

    Examples
    --------
    >>> lines = ssc.receiverStream(TextGenerator(linesPerSecond=100))       # doctest: +SKIP
    """

    def __init__(self, linesPerSecond: float = 100, wordsPerLine: int = 6, seed: int | None = 42,
                 words: tuple[str, ...] = tuple(WORDS)) -> None:
        super().__init__()
        if linesPerSecond <= 0:
            raise ValueError(f"linesPerSecond must be positive, got {linesPerSecond}")
        self.linesPerSecond = linesPerSecond
        self.wordsPerLine = wordsPerLine
        self.seed = seed
        self.words = tuple(words)
        self.generated = 0

    def onStart(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"dstreams-receiver-textgen-{self.streamId}",
                                        daemon=True)
        self._thread.start()

    def onStop(self) -> None:
        t = getattr(self, "_thread", None)
        if t is not None and t is not threading.current_thread():
            t.join(5)

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_thread", None)
        return state

    def _run(self) -> None:
        rng = random.Random(self.seed)
        words, k = self.words, self.wordsPerLine
        tick = 0.02
        per_tick = self.linesPerSecond * tick
        owed = 0.0
        next_at = time.monotonic()
        while not self.isStopped():
            owed += per_tick
            n = int(owed)
            owed -= n
            if n > 50:  # high rates: one block per tick instead of n single records
                self.storeMany(" ".join(rng.choices(words, k=k)) for _ in range(n))
            else:
                for _ in range(n):
                    self.store(" ".join(rng.choices(words, k=k)))
            self.generated += n
            next_at += tick
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.monotonic()
