"""SparkSession: the entry point of dstreams.sql, sharing the running dstreams Context.

``SparkSession.builder.appName(...).getOrCreate()`` returns the one session of the active
Context (creating a Context from the builder's options when none runs), so a streaming
program's ``foreachRDD`` function gets the same session every batch, as the Spark Streaming
guide does with its lazily created singleton. A session whose Context was stopped is replaced
by a new one on the next ``getOrCreate`` (after a driver recovery, say).

>>> spark = SparkSession.builder.appName("demo").getOrCreate()
>>> spark.sql("SELECT 1 AS one").collect()
[Row(one=1)]
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

from ..conf import SparkConf
from ..context import Context
from ..rdd import RDD
from .column import lit_sql
from .conversion import records_to_arrow
from .dataframe import DataFrame, TableHandle
from .engine import Engine
from .errors import AnalysisException, SQLError
from .types import quote_ident

__all__ = ["SparkSession", "Builder", "RuntimeConfig", "Catalog", "Table", "translate_sql", "spark_name"]


def translate_sql(query: Any) -> str:
    """Return a Spark SQL query or expression as DuckDB runs it.

    DuckDB already reads most of Spark SQL as written (backquoted names too); what differs is
    listed in the README's "SQL on streams" section. Trailing semicolons are dropped.

    >>> translate_sql("SELECT `word` FROM words;")
    'SELECT `word` FROM words'
    """
    if not isinstance(query, str):
        raise TypeError(f"a SQL query must be a str, got {type(query).__name__}")
    return query.strip().rstrip(";").strip()


_CAST_OF_COLUMN = re.compile(r'CAST\("?([A-Za-z_][A-Za-z0-9_]*)"? AS [A-Z0-9_(), ]+\)')


def spark_name(name: str) -> str:
    """Return the name Spark gives a query's unaliased result column, from DuckDB's name:
    ``count(*)`` is ``count(1)``, a cast of a column keeps the column's name.

    >>> spark_name("count_star()"), spark_name("CAST(n AS VARCHAR)"), spark_name("sum(n)")
    ('count(1)', 'n', 'sum(n)')
    """
    if name == "count_star()":
        return "count(1)"
    m = _CAST_OF_COLUMN.fullmatch(name)
    if m:
        return m.group(1)
    return name


class RuntimeConfig:
    """``spark.conf``: the session's settings (``get``, ``set``, ``unset``)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def get(self, key: str, default: Any = None) -> Any:
        """Return the setting ``key`` (``default`` when unset)."""
        return self._values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self._values[key] = value

    def unset(self, key: str) -> None:
        self._values.pop(key, None)

    def getAll(self) -> dict[str, Any]:
        return dict(self._values)

    def isModifiable(self, key: str) -> bool:
        return True


class Table:
    """A row of ``spark.catalog.listTables()``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.catalog = None
        self.namespace: list[str] = []
        self.description = None
        self.tableType = "TEMPORARY"
        self.isTemporary = True

    def __repr__(self) -> str:
        return f"Table(name={self.name!r}, catalog=None, namespace=[], description=None, tableType='TEMPORARY', isTemporary=True)"


class Catalog:
    """``spark.catalog``: the session's temporary views."""

    def __init__(self, session: "SparkSession") -> None:
        self._session = session

    def listTables(self, dbName: str | None = None) -> list[Table]:
        """Return the temporary views, sorted by name."""
        return [Table(n) for n in self._session._view_names()]

    def tableExists(self, tableName: str, dbName: str | None = None) -> bool:
        """Return whether a temporary view ``tableName`` exists."""
        return tableName.lower() in {n.lower() for n in self._session._view_names()}

    def dropTempView(self, viewName: str) -> bool:
        """Drop the temporary view ``viewName``; return whether it existed."""
        return self._session._drop_view(viewName)

    dropGlobalTempView = dropTempView

    def cacheTable(self, tableName: str) -> None:
        self._session.table(tableName).cache().createOrReplaceTempView(tableName)


class Builder:
    """``SparkSession.builder``: collects options, then ``getOrCreate()``."""

    def __init__(self) -> None:
        self._options: dict[str, Any] = {}

    def appName(self, name: str) -> "Builder":
        """Set the application name (used when a Context must be created); return the builder."""
        return self.config("spark.app.name", name)

    def master(self, master: str) -> "Builder":
        """Set the master (used when a Context must be created); return the builder."""
        return self.config("spark.master", master)

    def config(self, key: str | None = None, value: Any = None, conf: Any = None,
               map: dict[str, Any] | None = None) -> "Builder":  # noqa: A002 - PySpark's name
        """Set an option, or all of ``conf`` (a SparkConf, e.g. ``rdd.context.getConf()``, or a
        dict) or ``map``;
        return the builder."""
        if key is not None:
            self._options[key] = value
        for source in (conf, map):
            if source is None:
                continue
            self._options.update(dict(source.getAll()) if isinstance(source, SparkConf) else dict(source))
        return self

    def enableHiveSupport(self) -> "Builder":
        """Accepted for compatibility; there is no Hive metastore here. Return the builder."""
        return self

    def getOrCreate(self) -> "SparkSession":
        """Return the session of the active Context (made from the options when there is none)."""
        with SparkSession._lock:
            ctx = Context._active
            current = SparkSession._instance
            if current is not None and ctx is not None and current.sparkContext is ctx:
                current._conf.update(self._options)
                return current
            if current is not None:
                current._close()
            if ctx is None:
                opts = dict(self._options)
                master = opts.pop("spark.master", None)
                name = opts.pop("spark.app.name", None)
                ctx = Context(master=master, appName=name, conf=opts)
            session = SparkSession(ctx, self._options)
            SparkSession._instance = session
            return session


class _BuilderDescriptor:
    def __get__(self, obj: Any, owner: Any) -> Builder:
        return Builder()


class SparkSession:
    """The entry point to DataFrames and SQL: ``createDataFrame``, ``sql``, ``table``, ``read``.

    Use ``SparkSession.builder.getOrCreate()``; ``SparkSession(ctx)`` makes a separate session
    (its own temporary views) on a given Context.
    """

    builder = _BuilderDescriptor()
    _instance: "SparkSession | None" = None
    _lock = threading.RLock()

    def __init__(self, sparkContext: Context, options: dict[str, Any] | None = None) -> None:
        self.sparkContext = sparkContext
        self._conf: dict[str, Any] = dict(sparkContext.getConf().getAll())
        self._conf.update(options or {})
        self._engine = Engine()
        self._views: dict[str, DataFrame] = {}
        self._stopped = False

    # ---- properties --------------------------------------------------------------------------
    @property
    def conf(self) -> RuntimeConfig:
        """The session's settings."""
        return RuntimeConfig(self._conf)

    @property
    def catalog(self) -> Catalog:
        """The session's temporary views."""
        return Catalog(self)

    @property
    def version(self) -> str:
        return self.sparkContext.version

    @property
    def udf(self) -> Any:
        """``spark.udf.register(name, f, returnType)``: Python functions callable from SQL."""
        from .udf import UDFRegistration
        return UDFRegistration(self)

    @property
    def read(self) -> Any:
        """A DataFrameReader: ``spark.read.csv/json/parquet/text(url)`` (any fsspec URL)."""
        from .readwriter import DataFrameReader
        return DataFrameReader(self)

    @classmethod
    def getActiveSession(cls) -> "SparkSession | None":
        """Return the session of the active Context, if one was made."""
        s = cls._instance
        return s if s is not None and s.sparkContext is Context._active else None

    def newSession(self) -> "SparkSession":
        """Return a new session on the same Context, with its own temporary views."""
        return SparkSession(self.sparkContext, dict(self._conf))

    # ---- engine access -----------------------------------------------------------------------
    def _run(self, what: Any, context: str = "", columns: list[str] | None = None, sql: str | None = None) -> Any:
        return self._engine.run(what, context, columns, self._view_names, sql)

    def _bind(self, sql: str, context: str, columns: list[str] | None = None) -> tuple[list[str], list[Any]]:
        def bind(con: Any) -> tuple[list[str], list[Any]]:
            rel = con.sql(sql)
            return rel.columns, rel.types
        return self._run(bind, context, columns, sql=sql)

    def _view_names(self) -> list[str]:
        def names(con: Any) -> list[str]:
            rows = con.execute("SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal "
                               "UNION SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
            return sorted(r[0] for r in rows if not r[0].startswith("_dstreams_t"))
        with self._engine.lock:
            if self._engine.closed:
                return []
            try:
                return names(self._engine.con)
            except Exception:
                return sorted(self._views)

    def _create_view(self, name: str, df: DataFrame, replace: bool) -> None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise AnalysisException(f"invalid temporary view name {name!r}: use letters, digits and underscores")
        with self._engine.lock:
            if not replace and name.lower() in {n.lower() for n in self._view_names()}:
                raise AnalysisException(f"[TEMP_TABLE_OR_VIEW_ALREADY_EXISTS] the temporary view `{name}` already "
                                        f"exists: use createOrReplaceTempView({name!r})")
            self._run(lambda con: con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(name)} AS {df._sql}"),
                      f"createOrReplaceTempView({name!r})")
            self._views[name.lower()] = df

    def _drop_view(self, name: str) -> bool:
        with self._engine.lock:
            existed = name.lower() in {n.lower() for n in self._view_names()}
            self._run(lambda con: con.execute(f"DROP VIEW IF EXISTS {quote_ident(name)}"), f"dropTempView({name!r})")
            self._views.pop(name.lower(), None)
            return existed

    def _close(self) -> None:
        self._views.clear()
        if not self._engine.closed:
            self._engine.close()
        self._stopped = True

    # ---- DataFrames --------------------------------------------------------------------------
    def _from_arrow(self, table: Any, context: str = "createDataFrame()", keep_nullability: bool = False) -> DataFrame:
        handle = TableHandle(self._engine, table)
        nonnull = {f.name for f in table.schema if not f.nullable} if keep_nullability else None
        return DataFrame(self, f"SELECT * FROM {quote_ident(handle.name)}", keep=(handle,), context=context,
                         nonnull=nonnull)

    def createDataFrame(self, data: Any, schema: Any = None, samplingRatio: float | None = None,
                        verifySchema: bool = True) -> DataFrame:
        """Return a DataFrame of ``data``: an RDD or a list of Rows, tuples, dicts or namedtuples, a
        pandas DataFrame or a pyarrow Table. ``schema`` is a StructType, a DDL string
        (``"word STRING, n BIGINT"``), a list of column names, or None to infer the types from
        every record (an empty batch then needs a schema).

        >>> spark.createDataFrame([Row(word="a", n=1)]).dtypes
        [('word', 'string'), ('n', 'bigint')]
        """
        if isinstance(data, DataFrame):
            raise TypeError("data is already a DataFrame")
        if isinstance(data, RDD):  # each partition becomes Arrow in its task; the driver joins them
            from .conversion import PartitionToArrow, merge_partitions
            parts = data.mapPartitions(PartitionToArrow(schema, verifySchema)).collect()
            return self._from_arrow(merge_partitions(parts, schema), keep_nullability=True)
        elif _is_pandas(data):
            import pyarrow as pa
            table = pa.Table.from_pandas(data, preserve_index=False)
            df = self._from_arrow(table)
            return _apply_schema(df, schema)
        elif _is_arrow(data):
            return _apply_schema(self._from_arrow(data), schema)
        elif isinstance(data, Iterable) and not isinstance(data, (str, bytes, dict)):
            records = list(data)
        else:
            raise TypeError(f"createDataFrame() takes an RDD, a list, a pandas DataFrame or a pyarrow Table, "
                            f"got {type(data).__name__}")
        return self._from_arrow(records_to_arrow(records, schema, verifySchema), keep_nullability=True)

    def sql(self, sqlQuery: str, args: dict[str, Any] | None = None, **kwargs: Any) -> DataFrame:
        """Return the result of a SQL query over the session's temporary views (DuckDB's SQL,
        which reads most Spark SQL as written). ``{name}`` placeholders are filled from ``kwargs``:
        a DataFrame becomes a subquery, another value a literal; ``args`` gives ``:name``
        parameters. A statement that is not a query (``CREATE VIEW``...) runs at once.

        >>> spark.createDataFrame([("a",), ("a",)], "word STRING").createOrReplaceTempView("words")
        >>> spark.sql("SELECT word, count(*) AS total FROM words GROUP BY word")
        DataFrame[word: string, total: bigint]
        """
        query = translate_sql(sqlQuery)
        keep: list[Any] = []
        if kwargs:
            subs = {}
            for k, v in kwargs.items():
                if isinstance(v, DataFrame):
                    subs[k] = f"({v._sql})"
                    keep.append(v)
                else:
                    subs[k] = lit_sql(v)
            query = query.format(**subs)
        if args:
            for k, v in sorted(args.items(), key=lambda kv: -len(kv[0])):
                query = re.sub(rf"(?<![:\w]):{re.escape(k)}\b", lit_sql(v).replace("\\", "\\\\"), query)
        short = " ".join(query.split())
        short = short if len(short) <= 120 else short[:117] + "..."

        def bind(con: Any) -> Any:
            rel = con.sql(query)
            return None if rel is None else (rel.columns, rel.types)
        bound = self._run(bind, f"the query {short!r}", sql=query)
        if bound is None:
            return DataFrame(self, "SELECT NULL AS result LIMIT 0")
        names = [spark_name(n) for n in bound[0]]
        if names != list(bound[0]) and len({n.lower() for n in names}) == len(names):
            alias = self._engine.new_name("_n")
            query = f"SELECT * FROM ({query}) AS {quote_ident(alias)}({', '.join(quote_ident(n) for n in names)})"
            bound = (names, bound[1])
        return DataFrame(self, query, keep=tuple(keep), context=f"the query {short!r}", bound=bound)

    def table(self, tableName: str) -> DataFrame:
        """Return the temporary view ``tableName`` as a DataFrame."""
        return DataFrame(self, f"SELECT * FROM {quote_ident(tableName)}", context=f"table({tableName!r})")

    def range(self, start: int, end: int | None = None, step: int = 1, numPartitions: int | None = None) -> DataFrame:
        """Return a DataFrame with one bigint column ``id`` from ``start`` to ``end`` (exclusive)."""
        if end is None:
            start, end = 0, start
        return DataFrame(self, f"SELECT range AS id FROM range({int(start)}, {int(end)}, {int(step)})", context="range()",
                         nonnull={"id"})

    def stop(self) -> None:
        """Stop the session and its Context (as PySpark's ``spark.stop()`` stops the SparkContext)."""
        with SparkSession._lock:
            self._close()
            if SparkSession._instance is self:
                SparkSession._instance = None
        self.sparkContext.stop()

    def __reduce__(self) -> Any:
        from .errors import SQLError
        raise SQLError("the SparkSession was referenced from code that runs in tasks (a map, a filter, a "
                       "foreach...): it exists only on the driver; use DataFrames on the driver, or collect "
                       "what the tasks need first")

    def __enter__(self) -> "SparkSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _is_pandas(x: Any) -> bool:
    mod = type(x).__module__
    return mod.startswith("pandas") and type(x).__name__ == "DataFrame"


def _is_arrow(x: Any) -> bool:
    return type(x).__module__.startswith("pyarrow") and type(x).__name__ == "Table"


def _apply_schema(df: DataFrame, schema: Any) -> DataFrame:
    from .conversion import resolve_schema
    struct, names, _ = resolve_schema(schema)
    if names:
        return df.toDF(*names)
    if struct is None:
        return df
    if len(struct.fields) != len(df.columns):
        raise SQLError(f"the schema {struct.simpleString()} has {len(struct.fields)} columns, the data "
                       f"{len(df.columns)} ({', '.join(df.columns)})")
    sel = ", ".join(f"CAST({quote_ident(c)} AS {f.dataType.duckdb()}) AS {quote_ident(f.name)}"
                    for c, f in zip(df.columns, struct.fields))
    return df._derive(f"SELECT {sel} FROM {df._from()}", "createDataFrame(schema=...)")


def _rdd_to_df(self: RDD, schema: Any = None, sampleRatio: float | None = None) -> DataFrame:
    """Return this RDD of Rows/tuples/dicts as a DataFrame of the Context's session
    (``schema``: a list of column names, a DDL string or a StructType)."""
    spark = SparkSession.builder.getOrCreate()
    if spark.sparkContext is not self.ctx:
        raise SQLError("this RDD belongs to a Context that is not the active one")
    return spark.createDataFrame(self, schema, sampleRatio)


# as PySpark does when a session is made: RDDs gain toDF
RDD.toDF = _rdd_to_df  # type: ignore[attr-defined]
