"""The examples in dstreams.sql's docstrings run as doctests."""
from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["dstreams.sql", "dstreams.sql.types", "dstreams.sql.column", "dstreams.sql.functions",
           "dstreams.sql.show", "dstreams.sql.conversion", "dstreams.sql.session", "dstreams.sql.dataframe",
           "dstreams.sql.readwriter", "dstreams.sql.streaming", "dstreams.sql.engine", "dstreams.sql.errors",
           "dstreams.sql.postgres", "dstreams.sql.redis_sink", "dstreams.sql.window", "dstreams.sql.udf"]


# modules whose examples need a running stream or server (marked +SKIP), or that have none
NO_RUNNABLE_EXAMPLES = {"dstreams.sql.streaming", "dstreams.sql.engine", "dstreams.sql.errors"}


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name, spark):
    from dstreams.sql import Row, SparkSession
    from dstreams.sql.types import parse_schema, infer_schema
    module = importlib.import_module(name)
    globs = {"spark": spark, "Row": Row, "SparkSession": SparkSession, "parse_schema": parse_schema,
             "infer_schema": infer_schema}
    result = doctest.testmod(module, extraglobs=globs, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) of {name} failed"
    if name not in NO_RUNNABLE_EXAMPLES:
        assert result.attempted > 0, f"{name} has no example that runs"
