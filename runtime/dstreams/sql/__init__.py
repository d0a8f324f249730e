"""dstreams.sql: DataFrames and SQL over RDDs and stream batches, with PySpark's names, on an
in-process DuckDB (Arrow in between); and sinks writing a batch's rows to a database exactly once.

>>> from dstreams.sql import SparkSession, Row
>>> spark = SparkSession.builder.appName("app").getOrCreate()   # the running Context's session
>>> df = spark.createDataFrame([Row(word="a"), Row(word="b"), Row(word="a")])
>>> df.createOrReplaceTempView("words")
>>> spark.sql("SELECT word, count(*) AS total FROM words GROUP BY word ORDER BY word").show()
+----+-----+
|word|total|
+----+-----+
|   a|    2|
|   b|    1|
+----+-----+
<BLANKLINE>

Install with the ``sql`` extra (``pip install 'dstreams[sql]'``).
"""
from __future__ import annotations

from . import functions, types
from .column import Column
from .dataframe import DataFrame, GroupedData
from .errors import (AmbiguousColumnError, AnalysisException, ColumnNotFoundError, DatabaseUnreachableError,
                     ParseException, QueryExecutionError, SchemaInferenceError, SchemaMismatchError, SinkError,
                     SinkWriteError, SQLError, TableNotFoundError)
from .readwriter import DataFrameReader, DataFrameWriter
from .session import Builder, Catalog, RuntimeConfig, SparkSession
from .types import Row
from .udf import UserDefinedFunction
from .window import Window, WindowSpec

__all__ = ["SparkSession", "Builder", "DataFrame", "GroupedData", "Column", "Row", "DataFrameReader",
           "DataFrameWriter", "RuntimeConfig", "Catalog", "Window", "WindowSpec", "UserDefinedFunction", "functions",
           "types", "SQLError", "AnalysisException",
           "ColumnNotFoundError", "AmbiguousColumnError", "TableNotFoundError", "ParseException",
           "SchemaInferenceError", "SchemaMismatchError", "QueryExecutionError", "SinkError",
           "DatabaseUnreachableError", "SinkWriteError"]
