"""The exceptions of dstreams.sql: each names the column, table, view or sink it is about.

``AnalysisException`` and ``ParseException`` keep PySpark's names, so ``except AnalysisException``
in a ported program still catches a missing column or table.
"""
from __future__ import annotations

from ..errors import DStreamsError

__all__ = ["SQLError", "AnalysisException", "ColumnNotFoundError", "TableNotFoundError",
           "AmbiguousColumnError", "ParseException", "SchemaInferenceError", "SchemaMismatchError",
           "QueryExecutionError", "SinkError", "DatabaseUnreachableError", "SinkWriteError"]


class SQLError(DStreamsError):
    """Base class of the errors raised by dstreams.sql."""


class AnalysisException(SQLError):
    """A query or DataFrame operation refers to something that does not exist or does not fit
    (PySpark's name)."""


class ColumnNotFoundError(AnalysisException):
    """A column named in a DataFrame operation or SQL query is not among the input's columns."""

    def __init__(self, message: str, column: str | None = None, available: list[str] | None = None) -> None:
        super().__init__(message)
        self.column = column
        self.available = available or []


class AmbiguousColumnError(AnalysisException):
    """A column name matches columns of more than one input (qualify it, or rename one side)."""


class TableNotFoundError(AnalysisException):
    """A query names a table or temporary view that is not registered in the session."""

    def __init__(self, message: str, table: str | None = None) -> None:
        super().__init__(message)
        self.table = table


class ParseException(AnalysisException):
    """A SQL query, an expression or a DDL schema string is not syntactically valid."""


class SchemaInferenceError(SQLError, TypeError):
    """The schema of the data cannot be inferred (an empty batch, a column that is always None, or
    values of two types in one column): pass ``schema=``."""


class SchemaMismatchError(SQLError, TypeError):
    """A value does not fit the type its column has in the schema."""


class QueryExecutionError(SQLError):
    """The engine failed while running a query (a bad cast, an overflow, a division by zero...)."""


class SinkError(SQLError):
    """Base class of the errors of the database sinks."""


class DatabaseUnreachableError(SinkError):
    """The sink's database cannot be reached (the address is in the message, the password is not)."""


class SinkWriteError(SinkError):
    """The database refused a batch's rows; the transaction was rolled back, nothing of the batch
    was written."""
