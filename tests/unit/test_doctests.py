"""The docstring examples of the package run as doctests (an example that cannot run here is
marked ``# doctest: +SKIP`` in place)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dstreams

# packages whose examples need fixtures run them in their own tests (tests/mllib, tests/sql)
OWN_RUNNERS = ("dstreams.mllib", "dstreams.sql")
MODULES = sorted(m.name for m in pkgutil.walk_packages(dstreams.__path__, "dstreams.")
                 if not m.name.endswith("__main__") and not m.name.startswith(OWN_RUNNERS))


def test_the_package_has_examples() -> None:
    found = sum(len(doctest.DocTestFinder().find(importlib.import_module(m))) for m in MODULES)
    assert found > 20, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed (output above)"
