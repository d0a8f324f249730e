"""DataFrame and GroupedData: PySpark's DataFrame API, each operation one SQL query over its
input, bound (and so checked) by DuckDB when the DataFrame is made, run by an action.

A DataFrame is its SQL text plus an alias; operations wrap it as ``(<sql>) AS "<alias>"``.
Binding at construction gives Spark's behaviour of failing at the operation that names a
missing column, with an error naming it and listing the input's columns.

>>> spark = SparkSession.builder.getOrCreate()
>>> df = spark.createDataFrame([("a", 1), ("b", 2)], "word STRING, n BIGINT")
>>> df.filter(df.n > 1).select("word").collect()
[Row(word='b')]
"""
from __future__ import annotations

import sys
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .column import Column, Scope, columns_of, never_null, ref_column, to_column
from .conversion import row_converter
from .errors import AnalysisException, ColumnNotFoundError
from .show import format_table
from .types import Row, StructField, StructType, from_duckdb, quote_ident

if TYPE_CHECKING:  # pragma: no cover
    from .readwriter import DataFrameWriter
    from .session import SparkSession

__all__ = ["DataFrame", "GroupedData"]

_JOIN_TYPES = {
    "inner": "INNER JOIN", "cross": "CROSS JOIN", "outer": "FULL OUTER JOIN", "full": "FULL OUTER JOIN",
    "fullouter": "FULL OUTER JOIN", "full_outer": "FULL OUTER JOIN", "left": "LEFT OUTER JOIN",
    "leftouter": "LEFT OUTER JOIN", "left_outer": "LEFT OUTER JOIN", "right": "RIGHT OUTER JOIN",
    "rightouter": "RIGHT OUTER JOIN", "right_outer": "RIGHT OUTER JOIN", "semi": "SEMI JOIN",
    "leftsemi": "SEMI JOIN", "left_semi": "SEMI JOIN", "anti": "ANTI JOIN", "leftanti": "ANTI JOIN",
    "left_anti": "ANTI JOIN",
}


class TableHandle:
    """Keeps a registered Arrow table registered while something refers to this handle."""

    def __init__(self, engine: Any, table: Any) -> None:
        self.name = engine.register(table)
        self.num_rows = table.num_rows
        weakref.finalize(self, engine.release, self.name)


def _q(name: str) -> str:
    return quote_ident(name)


class DataFrame:
    """A distributed collection of rows under named columns (here: a query over Arrow data in the
    session's DuckDB). Made by ``spark.createDataFrame``, ``spark.sql``, ``spark.read`` or
    ``rdd.toDF``; transformations return new DataFrames, actions (``collect``, ``count``,
    ``show``, ``toPandas``, ``write``) run the query."""

    def __init__(self, session: "SparkSession", sql: str, keep: tuple = (), context: str = "",
                 alias: str | None = None, bound: tuple[list[str], list[Any]] | None = None,
                 input_columns: list[str] | None = None, ordered: bool = False,
                 nonnull: frozenset | set | None = None) -> None:
        self.sparkSession = session
        self._keep = keep
        self._alias = alias or session._engine.new_name("_d")
        self._ordered = ordered
        self._limited = False  # the SQL ends with a LIMIT (a second limit wraps it instead)
        self._nonnull = frozenset(n.lower() for n in (nonnull or ()))  # columns never null (nullable=false)
        names, types = bound if bound is not None else session._bind(sql, context, input_columns)
        if any(t.id in ("hugeint", "uhugeint") for t in types):  # sums of integers: bigint, as in Spark
            sel = ", ".join(f"CAST({_q(n)} AS BIGINT) AS {_q(n)}" if t.id in ("hugeint", "uhugeint") else _q(n)
                            for n, t in zip(names, types))
            sql = f"SELECT {sel} FROM ({sql}) AS {_q(self._alias + 'h')}"
            names, types = session._bind(sql, context, input_columns)
        self._sql = sql
        self._names: list[str] = list(names)
        self._types = list(types)
        self._schema: StructType | None = None

    # ---- metadata --------------------------------------------------------------------------
    @property
    def schema(self) -> StructType:
        """The StructType of the rows (from the engine's types: bigint for integer sums...)."""
        if self._schema is None:
            self._schema = StructType([StructField(n, from_duckdb(t), n.lower() not in self._nonnull)
                                       for n, t in zip(self._names, self._types)])
        return self._schema

    @property
    def columns(self) -> list[str]:
        """The column names, in order."""
        return list(self._names)

    @property
    def dtypes(self) -> list[tuple[str, str]]:
        """``(name, type string)`` of each column, e.g. ``[('word', 'string'), ('n', 'bigint')]``."""
        return [(f.name, f.dataType.simpleString()) for f in self.schema.fields]

    def printSchema(self) -> None:
        """Print the schema as a tree (``root`` then `` |-- name: type (nullable = true)``)."""
        sys.stdout.write(self.schema.treeString() + "\n")

    @property
    def write(self) -> "DataFrameWriter":
        """A DataFrameWriter saving this DataFrame to files (``df.write.parquet(url)``...) or a database."""
        from .readwriter import DataFrameWriter
        return DataFrameWriter(self)

    @property
    def rdd(self) -> Any:
        """The rows as an RDD of Rows on the session's Context (collected, then parallelized)."""
        ctx = self.sparkSession.sparkContext
        rows = self.collect()
        return ctx.parallelize(rows, max(1, min(ctx.defaultParallelism, len(rows) or 1)))

    def __repr__(self) -> str:
        return f"DataFrame[{', '.join(f'{n}: {t}' for n, t in self.dtypes)}]"

    def __reduce__(self) -> Any:
        from .errors import SQLError
        raise SQLError(f"a DataFrame ({self!r}) was referenced from code that runs in tasks: DataFrames live "
                       f"on the driver; collect() the rows (or use df.rdd) and use those instead")

    def describe(self, *cols: str) -> "DataFrame":
        """Return count, mean, stddev, min and max of the numeric and string columns (or ``cols``),
        as strings in a ``summary`` column, as Spark does."""
        from .types import ByteType, DecimalType, DoubleType, FloatType, IntegerType, LongType, ShortType, StringType
        numeric = (ByteType, ShortType, IntegerType, LongType, FloatType, DoubleType, DecimalType)
        names = list(cols[0]) if len(cols) == 1 and isinstance(cols[0], (list, tuple)) else list(cols)
        fields = [f for f in self.schema.fields if (f.name in names if names else isinstance(f.dataType, numeric + (StringType,)))]
        for n in names:
            if not self._has(n):
                raise ColumnNotFoundError(self._missing(n, "describe()"), n, self.columns)
        stats = [("count", "count({c})"), ("mean", "avg({c})"), ("stddev", "stddev_samp({c})"),
                 ("min", "min({c})"), ("max", "max({c})")]
        selects = []
        for i, (label, fn) in enumerate(stats):
            parts = [f"{i} AS __order", f"'{label}' AS summary"]
            for f in fields:
                c = _q(f.name)
                is_num = isinstance(f.dataType, numeric)
                if label in ("mean", "stddev") and not is_num:
                    parts.append(f"CAST(NULL AS VARCHAR) AS {c}")
                else:
                    parts.append(f"CAST({fn.format(c=c)} AS VARCHAR) AS {c}")
            selects.append(f"SELECT {', '.join(parts)} FROM {self._from()}")
        union = " UNION ALL ".join(selects)
        return self._derive(f"SELECT * EXCLUDE (__order) FROM ({union}) ORDER BY __order", "describe()", ordered=True)

    def explain(self, extended: bool = False) -> None:
        """Print the engine's plan of the query (DuckDB's EXPLAIN)."""
        rows = self.sparkSession._run(lambda con: con.sql(f"EXPLAIN {self._sql}").fetchall(), "explain()")
        for _, plan in rows:
            sys.stdout.write(plan + "\n")

    # ---- building ----------------------------------------------------------------------------
    def _from(self) -> str:
        return f"({self._sql}) AS {_q(self._alias)}"

    def _scope(self, *others: "DataFrame") -> Scope:
        """The aliases of this DataFrame (and ``others``) with their columns' types."""
        types: dict = {}
        nonnull: set = set()
        for df in (self, *others):
            for f in df.schema.fields:
                types.setdefault((df._alias, f.name.lower()), f.dataType)
                types.setdefault((None, f.name.lower()), f.dataType)
                if not f.nullable:
                    nonnull.add((df._alias, f.name.lower()))
                    if not others:
                        nonnull.add((None, f.name.lower()))
        return Scope({self._alias, *(o._alias for o in others)}, types, nonnull)

    def _derive(self, sql: str, context: str, *others: "DataFrame", ordered: bool = False,
                nonnull: frozenset | set | None = None) -> "DataFrame":
        cols = list(self._names)
        for o in others:
            cols += [c for c in o._names if c not in cols]
        return DataFrame(self.sparkSession, sql, keep=(self,) + others, context=context, input_columns=cols,
                         ordered=ordered, nonnull=nonnull)

    def _has(self, name: str) -> bool:
        return name.lower() in (n.lower() for n in self._names)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str):
            if item != "*" and not self._has(item.split(".")[0].strip("`")):
                raise ColumnNotFoundError(self._missing(item, f"df[{item!r}]"), item, self.columns)
            return ref_column(item, self._alias)
        if isinstance(item, int):
            return ref_column(self._names[item], self._alias)
        if isinstance(item, Column):
            return self.filter(item)
        if isinstance(item, (list, tuple)):
            return self.select(*item)
        raise TypeError(f"unexpected item type: {type(item).__name__}")

    def __getattr__(self, name: str) -> Column:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self.__dict__.get("_names", ()):
            return ref_column(name, self._alias)
        raise AttributeError(f"'DataFrame' object has no attribute {name!r} (its columns: {', '.join(self._names)})")

    def _check_refs(self, cols: list[Column], op: str) -> None:
        """Fail on a plain column reference that names no column (with the columns listed)."""
        for c in cols:
            if c._ref is None or c._ref[1] == "*":
                continue
            qualifier, name = c._ref
            if qualifier is not None and qualifier != self._alias:
                continue
            head = name.split(".")[0].strip("`") if "`" not in name else name.strip("`")
            if not self._has(head) and not self._has(name.strip("`")):
                if "." in name and not qualifier:
                    continue  # maybe a qualified name (alias.column): let the engine decide
                raise ColumnNotFoundError(self._missing(name, f"{op}({', '.join(x.name_hint for x in cols)})"),
                                          name, self.columns)

    def _missing(self, name: str, context: str) -> str:
        listed = ", ".join(f"`{c}`" for c in self._names)
        return (f"[UNRESOLVED_COLUMN] a column with name `{name}` cannot be resolved in {context}; the input's "
                f"columns are: [{listed}]")

    # ---- transformations ---------------------------------------------------------------------
    def select(self, *cols: Any) -> "DataFrame":
        """Return the DataFrame of the given columns or expressions (names, Columns, ``"*"``).

        >>> df = spark.createDataFrame([("a", 1)], "word STRING, n BIGINT")
        >>> df.select("word", (df.n + 1).alias("m")).columns
        ['word', 'm']
        """
        cs = columns_of(cols)
        if not cs:
            raise AnalysisException("select() needs at least one column")
        self._check_refs(cs, "select")
        scope = self._scope()
        parts = [c.sql(scope) if c.name_hint == "*" and c._alias is None else c._select_sql(scope) for c in cs]
        nonnull = {c.name_hint for c in cs if never_null(c, scope)}
        if any(c.name_hint == "*" for c in cs):
            nonnull |= self._nonnull
        return self._derive(f"SELECT {', '.join(parts)} FROM {self._from()}",
                            f"select({', '.join(c.name_hint for c in cs)})", nonnull=nonnull)

    def selectExpr(self, *expr: str) -> "DataFrame":
        """Return the DataFrame of SQL expressions (``"n * 2 AS double_n"``)."""
        from .session import translate_sql
        exprs = list(expr[0]) if len(expr) == 1 and isinstance(expr[0], (list, tuple)) else list(expr)
        return self._derive(f"SELECT {', '.join(translate_sql(e) for e in exprs)} FROM {self._from()}",
                            f"selectExpr({', '.join(exprs)})")

    def filter(self, condition: Column | str) -> "DataFrame":
        """Return the rows where ``condition`` (a boolean Column or a SQL expression) is true."""
        from .session import translate_sql
        cond = translate_sql(condition) if isinstance(condition, str) else to_column(condition).sql(self._scope())
        name = condition if isinstance(condition, str) else condition.name_hint
        return self._derive(f"SELECT * FROM {self._from()} WHERE {cond}", f"filter({name})", ordered=self._ordered,
                            nonnull=self._nonnull)

    where = filter

    def withColumn(self, colName: str, col: Column) -> "DataFrame":
        """Return the DataFrame with column ``colName`` added, or replaced when it exists."""
        if not isinstance(col, Column):
            raise TypeError(f"withColumn({colName!r}, ...) needs a Column, got {type(col).__name__}: "
                            f"use lit(...) for a constant")
        scope = self._scope()
        c = col.sql(scope)
        nonnull = (self._nonnull - {colName.lower()}) | ({colName} if never_null(col, scope) else set())
        if self._has(colName):
            sql = f"SELECT * REPLACE ({c} AS {_q(colName)}) FROM {self._from()}"
        else:
            sql = f"SELECT *, {c} AS {_q(colName)} FROM {self._from()}"
        return self._derive(sql, f"withColumn({colName!r}, {col.name_hint})", nonnull=nonnull)

    def withColumns(self, colsMap: dict[str, Column]) -> "DataFrame":
        """Return the DataFrame with several columns added or replaced."""
        df = self
        for name, c in colsMap.items():
            df = df.withColumn(name, c)
        return df

    def withColumnRenamed(self, existing: str, new: str) -> "DataFrame":
        """Return the DataFrame with column ``existing`` renamed (no-op when there is none)."""
        if not self._has(existing):
            return self
        sel = ", ".join(f"{_q(n)} AS {_q(new)}" if n.lower() == existing.lower() else _q(n) for n in self._names)
        nonnull = {new if n == existing.lower() else n for n in self._nonnull}
        return self._derive(f"SELECT {sel} FROM {self._from()}", f"withColumnRenamed({existing!r}, {new!r})",
                            nonnull=nonnull)

    def drop(self, *cols: Any) -> "DataFrame":
        """Return the DataFrame without the named columns (names not present are ignored)."""
        names = [c.name_hint if isinstance(c, Column) else c for c in cols]
        gone = [n for n in self._names if n.lower() in {x.lower() for x in names}]
        if not gone:
            return self
        if len(gone) == len(self._names):
            raise AnalysisException(f"drop({', '.join(names)}) would remove every column of {self.columns}")
        return self._derive(f"SELECT * EXCLUDE ({', '.join(_q(n) for n in gone)}) FROM {self._from()}",
                            f"drop({', '.join(names)})", nonnull=self._nonnull - {n.lower() for n in gone})

    def toDF(self, *cols: str) -> "DataFrame":
        """Return the DataFrame with its columns renamed, in order."""
        if len(cols) != len(self._names):
            raise AnalysisException(f"toDF() got {len(cols)} names for {len(self._names)} columns "
                                    f"({', '.join(self._names)})")
        alias = self.sparkSession._engine.new_name("_r")
        nonnull = {new for old, new in zip(self._names, cols) if old.lower() in self._nonnull}
        return self._derive(f"SELECT * FROM ({self._sql}) AS {_q(alias)}({', '.join(_q(c) for c in cols)})",
                            f"toDF({', '.join(cols)})", nonnull=nonnull)

    def alias(self, alias: str) -> "DataFrame":
        """Return this DataFrame under ``alias``, so ``col("alias.column")`` names its columns."""
        return DataFrame(self.sparkSession, self._sql, keep=(self,), alias=alias,
                         bound=(self._names, self._types), ordered=self._ordered, nonnull=self._nonnull)

    def groupBy(self, *cols: Any) -> "GroupedData":
        """Return a GroupedData grouping the rows by ``cols``; aggregate it with ``agg``/``count``/...

        >>> df = spark.createDataFrame([("a", 1), ("a", 2)], "word STRING, n BIGINT")
        >>> df.groupBy("word").count().collect()
        [Row(word='a', count=2)]
        >>> df.groupBy("word").count().columns
        ['word', 'count']
        """
        return GroupedData(self, columns_of(cols))

    groupby = groupBy

    def agg(self, *exprs: Any) -> "DataFrame":
        """Return the aggregates of all rows (``df.agg(F.max("n"))``)."""
        return self.groupBy().agg(*exprs)

    def orderBy(self, *cols: Any, ascending: bool | list[bool] = True) -> "DataFrame":
        """Return the rows sorted by ``cols`` (ascending with nulls first unless ``.desc()`` or
        ``ascending=False``, as in Spark)."""
        cs = columns_of(cols)
        if not cs:
            raise AnalysisException("orderBy() needs at least one column")
        self._check_refs(cs, "orderBy")
        asc = ascending if isinstance(ascending, list) else [ascending] * len(cs)
        scope = self._scope()
        keys = []
        for c, a in zip(cs, asc):
            if c._order is None and not a:
                c = c.desc()
            keys.append(c._order_sql(scope))
        return self._derive(f"SELECT * FROM {self._from()} ORDER BY {', '.join(keys)}",
                            f"orderBy({', '.join(c.name_hint for c in cs)})", ordered=True, nonnull=self._nonnull)

    sort = orderBy

    def limit(self, num: int) -> "DataFrame":
        """Return the first ``num`` rows (in order when the DataFrame is sorted)."""
        if num < 0:
            raise ValueError(f"limit({num}): the number of rows must not be negative")
        if self._ordered and not self._limited:
            df = self._derive(f"{self._sql} LIMIT {int(num)}", f"limit({num})", ordered=True, nonnull=self._nonnull)
            df._limited = True
            return df
        return self._derive(f"SELECT * FROM {self._from()} LIMIT {int(num)}", f"limit({num})", nonnull=self._nonnull)

    def distinct(self) -> "DataFrame":
        """Return the distinct rows."""
        return self._derive(f"SELECT DISTINCT * FROM {self._from()}", "distinct()", nonnull=self._nonnull)

    def dropDuplicates(self, subset: list[str] | None = None) -> "DataFrame":
        """Return one row of each group of rows equal in ``subset`` (all columns without one)."""
        if not subset:
            return self.distinct()
        return self._derive(f"SELECT DISTINCT ON ({', '.join(_q(c) for c in subset)}) * FROM {self._from()}",
                            f"dropDuplicates({subset})", nonnull=self._nonnull)

    drop_duplicates = dropDuplicates

    def union(self, other: "DataFrame") -> "DataFrame":
        """Return the rows of both DataFrames, matched by position (duplicates kept, as in Spark)."""
        if len(other._names) != len(self._names):
            raise AnalysisException(f"[NUM_COLUMNS_MISMATCH] union() needs the same number of columns: "
                                    f"{self.columns} has {len(self._names)}, {other.columns} has {len(other._names)}")
        both = {n for n, m in zip(self._names, other._names) if n.lower() in self._nonnull and m.lower() in other._nonnull}
        return self._derive(f"SELECT * FROM {self._from()} UNION ALL SELECT * FROM {other._from()}", "union()", other,
                            nonnull=both)

    unionAll = union

    def unionByName(self, other: "DataFrame", allowMissingColumns: bool = False) -> "DataFrame":
        """Return the rows of both DataFrames, matched by column name."""
        if not allowMissingColumns:
            mine, theirs = {c.lower() for c in self._names}, {c.lower() for c in other._names}
            if mine != theirs:
                raise ColumnNotFoundError(f"unionByName(): the columns differ: {sorted(mine ^ theirs)} are not in both "
                                          f"(pass allowMissingColumns=True to fill them with nulls)")
        return self._derive(f"SELECT * FROM {self._from()} UNION ALL BY NAME SELECT * FROM {other._from()}",
                            "unionByName()", other)

    def intersect(self, other: "DataFrame") -> "DataFrame":
        """Return the distinct rows found in both DataFrames."""
        return self._derive(f"SELECT * FROM {self._from()} INTERSECT SELECT * FROM {other._from()}", "intersect()", other)

    def subtract(self, other: "DataFrame") -> "DataFrame":
        """Return the distinct rows of this DataFrame not in ``other``."""
        return self._derive(f"SELECT * FROM {self._from()} EXCEPT SELECT * FROM {other._from()}", "subtract()", other)

    exceptAll = subtract

    def crossJoin(self, other: "DataFrame") -> "DataFrame":
        """Return every pair of rows."""
        return self.join(other, how="cross")

    def join(self, other: "DataFrame", on: str | list[str] | Column | list[Column] | None = None,
             how: str | None = None) -> "DataFrame":
        """Return the join with ``other`` on column names (kept once, first) or a condition.

        ``how``: inner (default), left, right, full/outer, cross, semi/left_semi, anti/left_anti.
        """
        kind = (how or "inner").lower()
        if kind not in _JOIN_TYPES:
            raise AnalysisException(f"unsupported join type {how!r}; use one of {', '.join(sorted(_JOIN_TYPES))}")
        if other._alias == self._alias:
            other = other.alias(self.sparkSession._engine.new_name("_d"))
        L, R = self._alias, other._alias
        scope = self._scope(other)
        semi = kind in ("semi", "leftsemi", "left_semi", "anti", "leftanti", "left_anti")
        if on is None or kind == "cross":
            op = "CROSS JOIN" if not semi else _JOIN_TYPES[kind]
            sel = f"{_q(L)}.*" if semi else f"{_q(L)}.*, {_q(R)}.*"
            cond = "" if op == "CROSS JOIN" else " ON TRUE"
            return self._derive(f"SELECT {sel} FROM {self._from()} {op} {other._from()}{cond}", f"join({kind})", other)
        if isinstance(on, str):
            on = [on]
        op = _JOIN_TYPES[kind]
        if isinstance(on, (list, tuple)) and all(isinstance(k, str) for k in on):
            on_names: list[str] = [str(k) for k in on]
            for k in on_names:
                for df, side in ((self, "left"), (other, "right")):
                    if not df._has(k):
                        raise ColumnNotFoundError(df._missing(k, f"join(on={on_names!r}), {side} side"), k, df.columns)
            cond = " AND ".join(f"{_q(L)}.{_q(k)} = {_q(R)}.{_q(k)}" for k in on_names)
            keys = {k.lower() for k in on_names}
            if semi:
                sel = f"{_q(L)}.*"
            else:
                if kind in ("outer", "full", "fullouter", "full_outer"):
                    kcols = [f"coalesce({_q(L)}.{_q(k)}, {_q(R)}.{_q(k)}) AS {_q(k)}" for k in on_names]
                elif op == "RIGHT OUTER JOIN":
                    kcols = [f"{_q(R)}.{_q(k)} AS {_q(k)}" for k in on_names]
                else:
                    kcols = [f"{_q(L)}.{_q(k)} AS {_q(k)}" for k in on_names]
                rest = [f"{_q(L)}.{_q(n)}" for n in self._names if n.lower() not in keys]
                rest += [f"{_q(R)}.{_q(n)}" for n in other._names if n.lower() not in keys]
                sel = ", ".join(kcols + rest)
            return self._derive(f"SELECT {sel} FROM {self._from()} {op} {other._from()} ON {cond}",
                                f"join(on={on_names!r}, how={kind!r})", other, nonnull=self._join_nonnull(other, op))
        conds = [on] if isinstance(on, Column) else list(on)
        cond = " AND ".join(to_column(c).sql(scope) for c in conds)
        sel = f"{_q(L)}.*" if semi else f"{_q(L)}.*, {_q(R)}.*"
        return self._derive(f"SELECT {sel} FROM {self._from()} {op} {other._from()} ON {cond}",
                            f"join({', '.join(to_column(c).name_hint for c in conds)}, how={kind!r})", other,
                            nonnull=self._join_nonnull(other, op))

    def fillna(self, value: Any, subset: str | list[str] | None = None) -> "DataFrame":
        """Return the DataFrame with nulls replaced: ``value`` a number (fills numeric columns), a
        string (string columns), a bool (boolean columns), or a dict of column to value."""
        from .column import lit_sql
        from .types import BooleanType, DecimalType, StringType, ByteType, ShortType, IntegerType, LongType, FloatType, DoubleType
        numeric = (ByteType, ShortType, IntegerType, LongType, FloatType, DoubleType, DecimalType)
        if isinstance(value, dict):
            fills = dict(value)
        else:
            names = [subset] if isinstance(subset, str) else (subset or self._names)
            fills = {}
            for f in self.schema.fields:
                if f.name not in names:
                    continue
                t = f.dataType
                if isinstance(value, bool):
                    ok = isinstance(t, BooleanType)
                elif isinstance(value, (int, float)):
                    ok = isinstance(t, numeric)
                elif isinstance(value, str):
                    ok = isinstance(t, StringType)
                else:
                    raise TypeError(f"fillna() takes a number, a string, a bool or a dict, got {value!r}")
                if ok:
                    fills[f.name] = value
        for c in fills:
            if not self._has(c):
                raise ColumnNotFoundError(self._missing(c, "fillna()"), c, self.columns)
        if not fills:
            return self
        types = {f.name.lower(): f.dataType for f in self.schema.fields}
        repl = ", ".join(f"CAST(coalesce({_q(c)}, {lit_sql(v)}) AS {types[c.lower()].duckdb()}) AS {_q(c)}"
                         for c, v in fills.items())
        return self._derive(f"SELECT * REPLACE ({repl}) FROM {self._from()}", f"fillna({value!r})",
                            nonnull=self._nonnull)  # Spark keeps the columns nullable

    def dropna(self, how: str = "any", thresh: int | None = None, subset: str | list[str] | None = None) -> "DataFrame":
        """Return the rows without nulls (``how="all"``: drop rows where every column is null;
        ``thresh``: keep rows with at least that many non-null values) in ``subset`` or all columns."""
        names = [subset] if isinstance(subset, str) else (subset or self._names)
        for c in names:
            if not self._has(c):
                raise ColumnNotFoundError(self._missing(c, "dropna()"), c, self.columns)
        nonnull = " + ".join(f"CAST({_q(c)} IS NOT NULL AS INTEGER)" for c in names)
        if thresh is None:
            thresh = len(names) if how == "any" else 1
        return self._derive(f"SELECT * FROM {self._from()} WHERE ({nonnull}) >= {int(thresh)}", "dropna()",
                            nonnull=self._nonnull)  # Spark keeps the columns nullable

    @property
    def na(self) -> "DataFrameNaFunctions":
        """``df.na.fill(...)`` and ``df.na.drop(...)``."""
        return DataFrameNaFunctions(self)

    def _join_nonnull(self, other: "DataFrame", op: str) -> set[str]:
        if op in ("INNER JOIN", "CROSS JOIN"):
            return set(self._nonnull | other._nonnull)
        if op in ("LEFT OUTER JOIN", "SEMI JOIN", "ANTI JOIN"):
            return set(self._nonnull)
        if op == "RIGHT OUTER JOIN":
            return set(other._nonnull)
        return set()

    def sample(self, withReplacement: bool | float | None = None, fraction: float | None = None,
               seed: int | None = None) -> "DataFrame":
        """Return about ``fraction`` of the rows, chosen at random (reproducibly with ``seed``)."""
        if isinstance(withReplacement, float) and fraction is None:
            withReplacement, fraction = False, withReplacement
        if fraction is None or not 0 <= fraction <= 1:
            raise ValueError(f"sample() needs a fraction between 0 and 1, got {fraction!r}")
        rep = f"bernoulli, {int(seed)}" if seed is not None else "bernoulli"
        return self._derive(f"SELECT * FROM {self._from()} USING SAMPLE {fraction * 100!r}% ({rep})", "sample()")

    def cache(self) -> "DataFrame":
        """Compute the rows now and keep them (later queries read the kept Arrow table); return self."""
        table = self.toArrow()
        handle = TableHandle(self.sparkSession._engine, table)
        self._sql = f"SELECT * FROM {_q(handle.name)}"
        self._keep = (handle,)
        self._ordered = False
        return self

    persist = cache

    def unpersist(self, blocking: bool = False) -> "DataFrame":
        return self

    # ---- views -------------------------------------------------------------------------------
    def createOrReplaceTempView(self, name: str) -> None:
        """Register this DataFrame as temporary view ``name`` for ``spark.sql`` (replacing one)."""
        self.sparkSession._create_view(name, self, replace=True)

    def createTempView(self, name: str) -> None:
        """Register this DataFrame as temporary view ``name``; an existing view is an error."""
        self.sparkSession._create_view(name, self, replace=False)

    registerTempTable = createOrReplaceTempView
    createOrReplaceGlobalTempView = createOrReplaceTempView

    # ---- actions -----------------------------------------------------------------------------
    def _fetch_rows(self, sql: str, context: str) -> list[Row]:
        conv = row_converter(self.schema)
        raw = self.sparkSession._run(lambda con: con.sql(sql).fetchall(), context)
        return [conv(t) for t in raw]

    def collect(self) -> list[Row]:
        """Return every row as a list of Rows."""
        return self._fetch_rows(self._sql, "collect()")

    def toLocalIterator(self, prefetchPartitions: bool = False) -> Iterator[Row]:
        """Return an iterator over the rows."""
        return iter(self.collect())

    def take(self, num: int) -> list[Row]:
        """Return the first ``num`` rows."""
        return self.limit(num).collect()

    def head(self, n: int | None = None) -> Row | list[Row] | None:
        """Return the first row (None when there is none), or the first ``n`` rows as a list."""
        if n is None:
            rows = self.take(1)
            return rows[0] if rows else None
        return self.take(n)

    def first(self) -> Row | None:
        """Return the first row, or None."""
        rows = self.take(1)
        return rows[0] if rows else None

    def tail(self, num: int) -> list[Row]:
        rows = self.collect()
        return rows[-num:] if num else []

    def isEmpty(self) -> bool:
        """Return whether the DataFrame has no rows."""
        return not self.take(1)

    def count(self) -> int:
        """Return the number of rows."""
        return self.sparkSession._run(lambda con: con.sql(f"SELECT count(*) FROM {self._from()}").fetchall()[0][0],
                                      "count()")

    def toArrow(self) -> Any:
        """Return the rows as a pyarrow Table."""
        return self.sparkSession._run(lambda con: con.sql(self._sql).to_arrow_table(), "toArrow()")

    def toPandas(self) -> Any:
        """Return the rows as a pandas DataFrame (needs pandas)."""
        try:
            import pandas  # noqa: F401
        except ImportError:
            raise ImportError("toPandas() needs pandas: pip install pandas") from None
        return self.toArrow().to_pandas()

    def foreach(self, f: Callable[[Row], Any]) -> None:
        """Call ``f(row)`` for every row (as tasks on the Context's executors)."""
        self.rdd.foreach(f)

    def foreachPartition(self, f: Callable[[Iterator[Row]], Any]) -> None:
        """Call ``f(rows)`` for every partition of ``df.rdd``."""
        self.rdd.foreachPartition(f)

    def showString(self, n: int = 20, truncate: bool | int = True, vertical: bool = False) -> str:
        """Return the text ``show()`` prints."""
        width = 20 if truncate is True else (0 if truncate is False else int(truncate))
        rows = self.limit(n + 1).collect() if n >= 0 else self.collect()
        more = 0 <= n < len(rows)
        return format_table(self._names, rows[:n] if n >= 0 else rows, [f.dataType for f in self.schema.fields],
                            truncate=width, vertical=vertical, has_more=more)

    def show(self, n: int = 20, truncate: bool | int = True, vertical: bool = False) -> None:
        """Print the first ``n`` rows as Spark prints them (strings over ``truncate`` characters
        are cut; ``vertical`` prints one field per line).

        >>> spark.createDataFrame([("a", 1)], "word STRING, n INT").show()
        +----+---+
        |word|  n|
        +----+---+
        |   a|  1|
        +----+---+
        <BLANKLINE>
        """
        sys.stdout.write(self.showString(n, truncate, vertical) + "\n")
        sys.stdout.flush()


class DataFrameNaFunctions:
    """``df.na``: ``fill`` (= ``fillna``) and ``drop`` (= ``dropna``)."""

    def __init__(self, df: DataFrame) -> None:
        self._df = df

    def fill(self, value: Any, subset: str | list[str] | None = None) -> DataFrame:
        return self._df.fillna(value, subset)

    def drop(self, how: str = "any", thresh: int | None = None, subset: str | list[str] | None = None) -> DataFrame:
        return self._df.dropna(how, thresh, subset)


_AGG_NAMES = {"avg": "avg", "mean": "avg", "max": "max", "min": "min", "sum": "sum", "count": "count",
              "first": "first", "last": "last", "collect_list": "collect_list", "collect_set": "collect_set",
              "stddev": "stddev", "variance": "variance", "countDistinct": "countDistinct"}


class GroupedData:
    """The rows of a DataFrame grouped by key columns (``df.groupBy(...)``); its methods return
    a DataFrame of the keys and the aggregates."""

    def __init__(self, df: DataFrame, keys: list[Column]) -> None:
        df._check_refs(keys, "groupBy")
        self._df = df
        self._keys = keys

    def agg(self, *exprs: Any) -> DataFrame:
        """Return the keys and the aggregates ``exprs`` (Columns, or one dict of column to function
        name such as ``{"n": "max"}``) of each group."""
        from . import functions as F
        if len(exprs) == 1 and isinstance(exprs[0], dict):
            cols = []
            for c, fn in exprs[0].items():
                if fn not in _AGG_NAMES:
                    raise AnalysisException(f"agg(): unknown aggregate function {fn!r} for column {c!r} "
                                            f"(use one of {', '.join(sorted(_AGG_NAMES))})")
                cols.append(getattr(F, _AGG_NAMES[fn])(c))
        else:
            cols = [to_column(e) for e in exprs]
        if not cols:
            raise AnalysisException("agg() needs at least one aggregate expression")
        return self._build(cols, f"agg({', '.join(c.name_hint for c in cols)})")

    def _build(self, aggs: list[Column], context: str) -> DataFrame:
        df = self._df
        scope = df._scope()
        src = df._from()
        if any(k._generator for k in self._keys):
            inner = ", ".join(f"{k.sql(scope)} AS {_q(f'__g{i}')}" for i, k in enumerate(self._keys))
            src = f"(SELECT *, {inner} FROM {df._from()}) AS {_q(df._alias)}"
            keys_sel = [f"{_q(f'__g{i}')} AS {_q(k.name_hint)}" for i, k in enumerate(self._keys)]
            group = [_q(f"__g{i}") for i in range(len(self._keys))]
        else:
            keys_sel = [k._select_sql(scope) for k in self._keys]
            group = [k.sql(scope) for k in self._keys]
        sel = ", ".join(keys_sel + [a._select_sql(scope) for a in aggs])
        sql = f"SELECT {sel} FROM {src}" + (f" GROUP BY {', '.join(group)}" if group else "")
        keys = ", ".join(k.name_hint for k in self._keys)
        nonnull = {c.name_hint for c in (*self._keys, *aggs) if never_null(c, scope)}
        return df._derive(sql, f"groupBy({keys}).{context}", nonnull=nonnull)

    def count(self) -> DataFrame:
        """Return the keys and the number of rows of each group, in column ``count``."""
        from . import functions as F
        return self._build([F.count("*").alias("count")], "count()")

    def _numeric(self, fn: str, cols: tuple[str, ...]) -> DataFrame:
        from . import functions as F
        from .types import ByteType, DecimalType, DoubleType, FloatType, IntegerType, LongType, ShortType
        numeric = (ByteType, ShortType, IntegerType, LongType, FloatType, DoubleType, DecimalType)
        schema = self._df.schema
        if not cols:
            keys = {k.name_hint.lower() for k in self._keys}
            cols = tuple(f.name for f in schema.fields if isinstance(f.dataType, numeric) and f.name.lower() not in keys)
        for c in cols:
            match = [f for f in schema.fields if f.name.lower() == c.lower()]
            if not match:
                raise ColumnNotFoundError(self._df._missing(c, f"groupBy().{fn}()"), c, self._df.columns)
            if not isinstance(match[0].dataType, numeric):
                raise AnalysisException(f"groupBy().{fn}(): column `{c}` is {match[0].dataType.simpleString()}, "
                                        f"not a numeric column")
        return self._build([getattr(F, fn)(c) for c in cols], f"{fn}({', '.join(cols)})")

    def sum(self, *cols: str) -> DataFrame:
        """Return the keys and the sum of each numeric column (or of ``cols``) per group."""
        return self._numeric("sum", cols)

    def avg(self, *cols: str) -> DataFrame:
        """Return the keys and the mean of each numeric column (or of ``cols``) per group."""
        return self._numeric("avg", cols)

    mean = avg

    def min(self, *cols: str) -> DataFrame:
        return self._numeric("min", cols)

    def max(self, *cols: str) -> DataFrame:
        return self._numeric("max", cols)
