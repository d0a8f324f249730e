"""Mergeable sketches for approximate aggregates: the HyperLogLog distinct counter behind
``RDD.countApproxDistinct``.

The precision follows Spark's HyperLogLogPlus (``2**p`` registers, ``p = ceil(2 log2(1.054 /
relativeSD))``); the estimate is Ertl's improved raw estimator ("New cardinality estimation
algorithms for HyperLogLog sketches", 2017), accurate from a handful of elements to billions
without empirical bias tables. Registers are kept sparse (only those above zero), so a sketch
costs memory in proportion to ``min(2**p, distinct elements)`` whatever the precision. Elements
are given as integer hashes; each is remixed to 64 bits, so ``range(n)`` works as hashes too.

>>> hll = HyperLogLog.for_relative_sd(0.05)
>>> hll.p
9
>>> _ = hll.add_all(range(1000))
>>> abs(hll.estimate() - 1000) < 50
True
>>> HyperLogLog(9).estimate()
0.0
"""
from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["HyperLogLog", "precision_for", "MIN_RELATIVE_SD", "MAX_RELATIVE_SD"]

_M64 = (1 << 64) - 1
#: Spark's bounds: relativeSD must be above this (p = 32 at most) ...
MIN_RELATIVE_SD = 0.000017
#: ... and at most this (p = 4 at least: 16 registers)
MAX_RELATIVE_SD = 1.054 / 2 ** 1.5


def precision_for(relative_sd: float) -> int:
    """Return ``p`` (the sketch has ``2**p`` registers) for a wanted relative standard deviation,
    as Spark's ``countApproxDistinct`` picks it; ValueError outside (MIN_RELATIVE_SD, MAX_RELATIVE_SD].

    >>> precision_for(0.05), precision_for(0.01)
    (9, 14)
    """
    if not relative_sd > MIN_RELATIVE_SD:  # also NaN
        raise ValueError(f"relativeSD should be greater than {MIN_RELATIVE_SD}, got {relative_sd!r}")
    if relative_sd > MAX_RELATIVE_SD:
        raise ValueError(f"relativeSD should be at most {MAX_RELATIVE_SD:.4f} (16 registers), got {relative_sd!r}")
    return min(32, max(4, math.ceil(2.0 * math.log2(1.054 / relative_sd))))


def _mix64(x: int) -> int:
    """SplitMix64's finalizer: a bijection on 64-bit integers that spreads every input bit."""
    z = (x + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        z_old = z
        z += x * y
        y += y
        if z == z_old:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y, z = 1.0, 1.0 - x
    while True:
        x = math.sqrt(x)
        z_old = z
        y *= 0.5
        z -= (1.0 - x) ** 2 * y
        if z == z_old:
            return z / 3.0


class HyperLogLog:
    """A HyperLogLog sketch of ``2**p`` registers (``4 <= p <= 32``): ``add``/``add_all`` count
    hashes, ``merge`` folds in a sketch of the same ``p``, ``estimate`` returns the cardinality.

    >>> a, b = HyperLogLog(10).add_all(range(600)), HyperLogLog(10).add_all(range(400, 1000))
    >>> round(a.merge(b).estimate() / 100)
    10
    """

    __slots__ = ("p", "registers")

    def __init__(self, p: int) -> None:
        if not 4 <= p <= 32:
            raise ValueError(f"p must be between 4 and 32, got {p}")
        self.p = p
        #: register index -> its value (leading zeros of the hash's other bits, plus one); registers at 0 are absent
        self.registers: dict[int, int] = {}

    @classmethod
    def for_relative_sd(cls, relative_sd: float) -> "HyperLogLog":
        """Return an empty sketch with the precision Spark uses for ``relative_sd`` (precision_for)."""
        return cls(precision_for(relative_sd))

    def add(self, h: int) -> None:
        """Count one element by its integer hash ``h``."""
        self.add_all((h,))

    def add_all(self, hashes: Iterable[int]) -> "HyperLogLog":
        """Count every hash of ``hashes``; return this sketch."""
        q = 64 - self.p
        low = (1 << q) - 1
        regs = self.registers
        get = regs.get
        for h in hashes:
            z = _mix64(h & _M64)
            i = z >> q
            rank = q + 1 - (z & low).bit_length()
            if rank > get(i, 0):
                regs[i] = rank
        return self

    def merge(self, other: "HyperLogLog") -> "HyperLogLog":
        """Fold ``other`` (same ``p``) into this sketch, which then counts both; return this sketch."""
        if other.p != self.p:
            raise ValueError(f"cannot merge HyperLogLog sketches of different precisions ({self.p} and {other.p})")
        regs = self.registers
        for i, rank in other.registers.items():
            if rank > regs.get(i, 0):
                regs[i] = rank
        return self

    def estimate(self) -> float:
        """Return the estimated number of distinct hashes counted (0.0 for an empty sketch)."""
        m = 1 << self.p
        q = 64 - self.p
        counts = [0] * (q + 2)
        for rank in self.registers.values():
            counts[rank] += 1
        counts[0] = m - len(self.registers)
        if counts[0] == m:
            return 0.0
        z = m * _tau(1.0 - counts[q + 1] / m)
        for k in range(q, 0, -1):
            z = 0.5 * (z + counts[k])
        z += m * _sigma(counts[0] / m)
        return m * m / (2.0 * math.log(2.0) * z)

    def __repr__(self) -> str:
        return f"HyperLogLog(p={self.p}, estimate={self.estimate():.1f})"
