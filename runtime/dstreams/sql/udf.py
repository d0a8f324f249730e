"""Python functions as SQL functions: ``functions.udf`` and ``spark.udf.register``.

A UDF's column calls a DuckDB function named after the UDF; the session registers the Python
function on its connection the first time a query naming it is bound (``prepare``), so one
UDF object works in every session. Values reach the function as Python values (None for null)
and it runs in the driver, a row at a time.

>>> UserDefinedFunction(len, "int")("word").sql()
'_dstreams_udf_...("word")'
"""
from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Callable
from typing import Any

from .column import Column, to_column
from .types import DataType, parse_type

__all__ = ["UserDefinedFunction", "UDFRegistration", "prepare"]

_ids = itertools.count()
_live: "weakref.WeakValueDictionary[str, UserDefinedFunction]" = weakref.WeakValueDictionary()
_NAME = re.compile(r"_dstreams_udf_\d+")


class UserDefinedFunction:
    """A Python function usable as a column function (see ``functions.udf``)."""

    def __init__(self, func: Callable[..., Any], returnType: DataType | str = "string", name: str | None = None) -> None:
        if not callable(func):
            raise TypeError(f"udf() needs a function, got {func!r}")
        self.func = func
        self.returnType = parse_type(returnType) if isinstance(returnType, str) else returnType
        self.sql_name = name or f"_dstreams_udf_{next(_ids)}"
        self.__name__ = getattr(func, "__name__", "udf")
        _live[self.sql_name] = self

    def __call__(self, *cols: Any) -> Column:
        cs = [to_column(c) for c in cols]
        keep = self  # the column keeps the function alive until its query is bound
        return Column(lambda s: f"{keep.sql_name}({', '.join(c.sql(s) for c in cs)})",
                      f"{self.__name__}({', '.join(c.name_hint for c in cs)})")

    def register_on(self, con: Any) -> None:
        """Register the function on a DuckDB connection under its SQL name."""
        con.create_function(self.sql_name, self.func, None, self.returnType.duckdb(), null_handling="special",
                            side_effects=False)


def prepare(con: Any, registered: set[str], sql: str) -> None:
    """Register on ``con`` the UDFs that ``sql`` calls and ``registered`` does not list yet."""
    if "_dstreams_udf_" not in sql:
        return
    for name in set(_NAME.findall(sql)) - registered:
        udf = _live.get(name)
        if udf is not None:
            udf.register_on(con)
            registered.add(name)


class UDFRegistration:
    """``spark.udf``: ``register(name, f, returnType)`` makes ``f`` callable by name in ``spark.sql``."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def register(self, name: str, f: Callable[..., Any] | UserDefinedFunction,
                 returnType: DataType | str | None = None) -> UserDefinedFunction:
        """Register ``f`` as SQL function ``name``; return the UDF (usable on columns too)."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"invalid function name {name!r}")
        if isinstance(f, UserDefinedFunction):
            rt = returnType or f.returnType
            f = f.func
        else:
            rt = returnType or "string"
        udf = UserDefinedFunction(f, rt, name=name)
        engine = self._session._engine

        def reg(con: Any) -> None:
            try:
                con.remove_function(name)
            except Exception:  # noqa: BLE001 - not registered before
                pass
            udf.register_on(con)
            engine.udfs.add(name)
        self._session._run(reg, f"udf.register({name!r})")
        return udf
