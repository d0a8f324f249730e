"""dstreams.mllib gives pyspark.mllib's numbers: the same calls (reference_cases.py) were run
on PySpark 3.5.9 and their results recorded in pyspark_expected.json."""
from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from reference_cases import run_cases, run_streaming_cases  # noqa: E402  (a module of this directory)

with open(os.path.join(os.path.dirname(__file__), "pyspark_expected.json")) as _f:
    EXPECTED = json.load(_f)


@pytest.fixture(scope="module")
def results(ctx):
    return run_cases(ctx, "dstreams.mllib")


def _flatten(x, prefix=""):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _flatten(v, f"{prefix}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _flatten(v, f"{prefix}[{i}]")
    else:
        yield prefix, x


@pytest.mark.parametrize("case", sorted(k for k in EXPECTED if k != "streaming"))
def test_same_numbers_as_pyspark(results, case):
    got = dict(_flatten(results[case]))
    want = dict(_flatten(EXPECTED[case]))
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), f"{case}{key}"


def test_same_streaming_models_as_pyspark(ctx):
    """The same queue stream learned by the three streaming algorithms on a real clock (0.2 s
    batches here, 1 s in PySpark's run): after every batch, the same models and labels."""
    got = run_streaming_cases(ctx, "dstreams.mllib", 0.2)
    want = EXPECTED["streaming"]
    for i, (g, w) in enumerate(zip(got["batches"], want["batches"], strict=True)):
        assert g["labels"] == w["labels"], f"batch {i}"
        for key in ("centers", "weights", "lin", "log"):
            flat_g, flat_w = dict(_flatten(g[key])), dict(_flatten(w[key]))
            assert flat_g.keys() == flat_w.keys()
            for k, v in flat_w.items():
                assert flat_g[k] == pytest.approx(v, rel=1e-9, abs=1e-12), f"batch {i} {key}{k}"
