"""Input data: lines of 10 words drawn from a 10,000-word Zipf vocabulary (fixed seed)."""
from __future__ import annotations

import random
from functools import lru_cache

VOCAB_SIZE = 10_000
WORDS_PER_LINE = 10
POOL_LINES = 200_000


@lru_cache(maxsize=1)
def vocabulary() -> list[str]:
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < VOCAB_SIZE:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return sorted(words)


@lru_cache(maxsize=1)
def line_pool() -> list[str]:
    """Return POOL_LINES generated lines (the batches cycle through this pool)."""
    vocab = vocabulary()
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    rng = random.Random(11)
    words = rng.choices(vocab, weights, k=POOL_LINES * WORDS_PER_LINE)
    return [" ".join(words[i:i + WORDS_PER_LINE]) for i in range(0, len(words), WORDS_PER_LINE)]


def batches(lines_per_batch: int, count: int, unique: bool = False) -> list[list[str]]:
    """Return ``count`` batches of lines taken cyclically from the pool; ``unique`` appends a
    serial number to every line so that (almost) every line is a distinct key."""
    pool = line_pool()
    out = []
    pos = 0
    serial = 0
    for _ in range(count):
        batch = []
        need = lines_per_batch
        while need:
            take = min(need, len(pool) - pos)
            batch.extend(pool[pos:pos + take])
            pos = (pos + take) % len(pool)
            need -= take
        if unique:
            batch = [f"{line} #{serial + i}" for i, line in enumerate(batch)]
            serial += len(batch)
        out.append(batch)
    return out
