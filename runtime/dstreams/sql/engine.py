"""The in-process engine behind a SparkSession: one DuckDB connection, used under a lock, into
which DataFrames' data is registered as Arrow tables; and the translation of DuckDB's errors
into dstreams.sql's named exceptions.

DuckDB's Python connection is not safe to use from several threads at once, and temporary views
belong to one connection, so every call holds ``lock``. Arrow tables registered for DataFrames
are unregistered once no DataFrame (or view) needs them: their finalizers only queue the name,
and the next call under the lock drops it (a finalizer may run on any thread, at any time).
"""
from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable
from typing import Any

from .errors import (AmbiguousColumnError, AnalysisException, ColumnNotFoundError, ParseException,
                     QueryExecutionError, SQLError, TableNotFoundError)

__all__ = ["Engine", "translate_error"]


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - the sql extra is missing
        raise ImportError("dstreams.sql needs DuckDB and pyarrow: pip install 'dstreams[sql]'") from exc
    return duckdb


class Engine:
    """A DuckDB connection shared by one session's DataFrames."""

    def __init__(self) -> None:
        duckdb = _duckdb()
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        # Spark's default order of nulls: first when ascending, last when descending
        self.con.execute("SET default_null_order = 'nulls_first_on_asc_last_on_desc'")
        self.lock = threading.RLock()
        self._ids = itertools.count()
        self._drops: list[str] = []
        self.udfs: set[str] = set()  # names of the Python functions registered on the connection
        self.closed = False

    def new_name(self, prefix: str = "_dstreams_t") -> str:
        return f"{prefix}{next(self._ids)}"

    def register(self, table: Any) -> str:
        """Register an Arrow table under a fresh name; return the name."""
        name = self.new_name()
        with self.lock:
            self._flush()
            self.con.register(name, table)
        return name

    def release(self, name: str) -> None:
        """Queue a registered table for unregistering (safe from a finalizer)."""
        self._drops.append(name)

    def _flush(self) -> None:
        while self._drops and not self.closed:
            name = self._drops.pop()
            try:
                self.con.unregister(name)
            except Exception:  # already gone with the connection
                pass

    def run(self, what: Callable[[Any], Any], context: str = "", columns: list[str] | None = None,
            views: Callable[[], list[str]] | None = None, sql: str | None = None) -> Any:
        """Call ``what(connection)`` under the lock, translating DuckDB's errors (``context``
        says which operation, ``columns`` what the input had, ``views`` lists the temp views)."""
        duckdb = _duckdb()
        with self.lock:
            if self.closed:
                raise SQLError("the SparkSession was stopped: create a new one with SparkSession.builder.getOrCreate()")
            self._flush()
            try:
                if sql is not None:
                    from .udf import prepare
                    prepare(self.con, self.udfs, sql)
                return what(self.con)
            except duckdb.Error as exc:
                raise translate_error(exc, context, columns, views() if views else None) from None

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.con.close()


_COL_NOT_FOUND = re.compile(r'Referenced column "?(.+?)"? not found')
_TABLE_NOT_FOUND = re.compile(r'Table with name "?([^" !]+)"? does not exist')
_REF_TABLE = re.compile(r'Referenced table "?([^" !]+)"? not found')
_AMBIGUOUS = re.compile(r'Ambiguous reference to column name "?([^"]+)"?')
_FUNC = re.compile(r'(?:Scalar|Aggregate|Table) Function with name "?([^" ]+?)"? does not exist')


def _first_line(msg: str) -> str:
    for prefix in ("Binder Error: ", "Catalog Error: ", "Parser Error: ", "Conversion Error: ",
                   "Invalid Input Error: ", "Out of Range Error: "):
        msg = msg.replace(prefix, "")
    return msg.strip()


def translate_error(exc: Exception, context: str = "", columns: list[str] | None = None,
                    views: list[str] | None = None) -> SQLError:
    """Return the dstreams.sql exception for a DuckDB error, naming the column or table."""
    duckdb = _duckdb()
    msg = str(exc)
    where = f" in {context}" if context else ""
    detail = _first_line(msg)
    if isinstance(exc, duckdb.ParserException):
        return ParseException(f"[PARSE_SYNTAX_ERROR] syntax error{where}: {detail}")
    if isinstance(exc, duckdb.CatalogException):
        m = _TABLE_NOT_FOUND.search(msg)
        if m:
            name = m.group(1)
            known = ", ".join(sorted(views)) if views else "none"
            return TableNotFoundError(
                f"[TABLE_OR_VIEW_NOT_FOUND] the table or view `{name}` cannot be found{where}; the session's "
                f"temporary views: {known}. Register it first with df.createOrReplaceTempView({name!r})", name)
        m = _FUNC.search(msg)
        if m:
            return AnalysisException(f"[UNRESOLVED_ROUTINE] the function `{m.group(1)}` does not exist{where} "
                                     f"(DuckDB's function names apply in SQL): {detail}")
        return AnalysisException(f"{detail}{where}")
    if isinstance(exc, duckdb.BinderException):
        m = _COL_NOT_FOUND.search(msg)
        if m:
            name = m.group(1)
            avail = columns if columns is not None else re.findall(r'"([^"]+)"', msg.split("Candidate bindings:")[-1]) \
                if "Candidate bindings:" in msg else []
            listed = ", ".join(f"`{c}`" for c in avail) or "none"
            return ColumnNotFoundError(
                f"[UNRESOLVED_COLUMN] a column with name `{name}` cannot be resolved{where}; the input's "
                f"columns are: [{listed}]", name, list(avail))
        m = _REF_TABLE.search(msg)
        if m:
            return ColumnNotFoundError(
                f"[UNRESOLVED_COLUMN] `{m.group(1)}` is neither a struct column nor an input{where}: {detail}",
                m.group(1), list(columns or []))
        m = _AMBIGUOUS.search(msg)
        if m:
            return AmbiguousColumnError(f"[AMBIGUOUS_REFERENCE] the column name `{m.group(1)}` is ambiguous{where}: "
                                        f"qualify it as df[{m.group(1)!r}] or rename one side before the join")
        return AnalysisException(f"{detail}{where}")
    if isinstance(exc, (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.OutOfRangeException)):
        return QueryExecutionError(f"the query failed{where}: {detail}")
    return QueryExecutionError(f"the engine failed{where}: {detail}")
