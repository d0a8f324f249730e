"""dstreams.sketches: the HyperLogLog behind countApproxDistinct, as pure logic."""
from __future__ import annotations

import math
import pickle

import pytest

from dstreams.partitioner import portable_hash
from dstreams.sketches import MAX_RELATIVE_SD, MIN_RELATIVE_SD, HyperLogLog, precision_for


def _hashes(keys):
    return (portable_hash(k) & 0xFFFFFFFF for k in keys)


def test_precision_is_sparks() -> None:
    # p = ceil(2 log2(1.054 / relativeSD)), between 4 and 32 registers' bits
    assert [precision_for(sd) for sd in (0.05, 0.03, 0.01, 0.001)] == [9, 11, 14, 21]
    assert precision_for(MAX_RELATIVE_SD) == 4 and precision_for(MIN_RELATIVE_SD * 1.001) == 32
    for bad in (MIN_RELATIVE_SD, 0.0, -0.1, MAX_RELATIVE_SD * 1.01, float("nan")):
        with pytest.raises(ValueError, match="relativeSD"):
            precision_for(bad)
    for p in (3, 33):
        with pytest.raises(ValueError, match="between 4 and 32"):
            HyperLogLog(p)


@pytest.mark.parametrize("relative_sd", [0.05, 0.01])
def test_estimates_are_within_relative_sd(relative_sd: float) -> None:
    errors = []
    for trial in range(30):
        n = 5000
        sketch = HyperLogLog.for_relative_sd(relative_sd).add_all(_hashes(f"k{trial}-{i}" for i in range(n)))
        errors.append(sketch.estimate() / n - 1)
    rms = math.sqrt(sum(e * e for e in errors) / len(errors))
    assert rms < relative_sd, errors
    assert abs(sum(errors) / len(errors)) < relative_sd / 3  # unbiased
    assert max(map(abs, errors)) < 3 * relative_sd


def test_accurate_from_a_few_elements_to_many() -> None:
    for n in (1, 2, 3, 5, 10):
        assert round(HyperLogLog(9).add_all(_hashes(range(n))).estimate()) == n
    for n in (300, 3_000, 30_000, 300_000):  # through the range where plain HyperLogLog is biased
        estimate = HyperLogLog(12).add_all(_hashes(f"user-{i}" for i in range(n))).estimate()
        assert abs(estimate / n - 1) < 3 * 1.04 / math.sqrt(1 << 12), (n, estimate)


def test_duplicates_merge_and_pickling() -> None:
    a = HyperLogLog(10).add_all(_hashes(range(0, 600)))
    b = HyperLogLog(10).add_all(_hashes(range(400, 1000)))
    both = HyperLogLog(10).add_all(_hashes(range(1000)))
    again = HyperLogLog(10).add_all(_hashes(list(range(1000)) * 3))
    assert again.registers == both.registers  # duplicates count once
    merged = pickle.loads(pickle.dumps(a)).merge(pickle.loads(pickle.dumps(b)))
    assert merged.registers == both.registers and merged.estimate() == both.estimate()
    assert HyperLogLog(10).estimate() == 0.0
    one = HyperLogLog(10)
    one.add(portable_hash("x"))
    assert round(one.estimate()) == 1
    with pytest.raises(ValueError, match="different precisions"):
        a.merge(HyperLogLog(11))
