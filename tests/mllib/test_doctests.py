"""The examples in the docstrings of dstreams.mllib run (with ``ctx`` a local[2] Context)."""
from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["linalg", "regression", "classification", "clustering", "feature", "util", "_sgd"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(ctx, name):
    module = importlib.import_module(f"dstreams.mllib.{name}")
    from dstreams.mllib.linalg import Vectors
    globs = {**module.__dict__, "ctx": ctx, "Vectors": Vectors}
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, globs=globs) if t.examples]
    for t in tests:
        runner.run(t)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} doctest example(s) of dstreams.mllib.{name} failed (see output)"
    if name != "_sgd":
        assert result.attempted > 0, f"dstreams.mllib.{name} has no examples"
