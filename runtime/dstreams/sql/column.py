"""Column: an expression over a DataFrame's columns, compiled to DuckDB SQL when a DataFrame
operation uses it.

A Column is a function from the *scope* (the aliases of the DataFrames a query reads) to SQL
text, plus the name Spark would give its result (``(n + 1)``, ``count(1)``, ``sum(total)``).
Columns taken from a DataFrame (``df["word"]``, ``df.word``) are qualified with that
DataFrame's alias when it is in scope, which is what a join condition needs.

>>> from dstreams.sql.functions import col, lit
>>> c = (col("n") + 1).alias("m")
>>> c.name_hint, c.sql()
('m', '("n" + 1)')
"""
from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Iterable
from typing import Any

from .types import DataType, quote_ident, parse_type

__all__ = ["Column", "to_column", "lit_sql"]

class Scope(frozenset):
    """The aliases of the DataFrames a query reads, and the types of their columns (so that an
    expression can compile as Spark means it for its operand's type: a double cast to an int is
    truncated, a double is rounded on its decimal digits)."""

    types: dict[tuple[str | None, str], DataType]
    nonnull: set[tuple[str | None, str]]

    def __new__(cls, aliases: frozenset | set | tuple = (), types: dict | None = None,
                nonnull: set | None = None) -> "Scope":
        self = super().__new__(cls, aliases)
        self.types = types or {}
        self.nonnull = nonnull or set()
        return self

    def never_null(self, qualifier: str | None, name: str) -> bool:
        """Return whether column ``name`` (of the DataFrame aliased ``qualifier``) is never null."""
        key = name.lower()
        if qualifier is not None and qualifier in self:
            return (qualifier, key) in self.nonnull
        return (None, key) in self.nonnull

    def type_of(self, qualifier: str | None, name: str) -> DataType | None:
        """Return the type of column ``name`` (of the DataFrame aliased ``qualifier``), if known."""
        key = name.lower()
        if qualifier is not None and qualifier in self:
            return self.types.get((qualifier, key))
        return self.types.get((None, key))


EMPTY: frozenset = Scope()


def never_null(col: "Column", scope: frozenset) -> bool:
    """Return whether ``col`` is known never to be null in ``scope``."""
    f = col._nonnull
    return bool(f(scope)) if f is not None else False


def type_in(col: "Column", scope: frozenset) -> DataType | None:
    """Return the type ``col`` has in ``scope`` when it can be told without the engine."""
    typer = col._typer
    return typer(scope) if typer is not None else None


def lit_sql(value: Any) -> str:
    """Return ``value`` as a DuckDB SQL literal with the type Spark gives it
    (a Python float is a DOUBLE, not a DECIMAL as ``1.5`` is in SQL).

    >>> lit_sql("it's"), lit_sql(1.5), lit_sql(None), lit_sql([1, 2])
    ("'it''s'", 'CAST(1.5 AS DOUBLE)', 'NULL', '[1, 2]')
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value) if -(2 ** 31) <= value < 2 ** 31 else f"CAST({value} AS BIGINT)"
    if isinstance(value, float):
        if value != value:
            return "CAST('NaN' AS DOUBLE)"
        if value in (float("inf"), float("-inf")):
            return f"CAST('{'-' if value < 0 else ''}Infinity' AS DOUBLE)"
        return f"CAST({value!r} AS DOUBLE)"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, decimal.Decimal):
        digits = len(value.as_tuple().digits)
        scale = max(0, -int(value.as_tuple().exponent))
        return f"CAST('{value}' AS DECIMAL({max(digits, scale, 1)},{scale}))"
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, datetime.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, datetime.timedelta):
        return f"to_microseconds({(value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds})"
    if isinstance(value, (bytes, bytearray)):
        return "'" + "".join(f"\\x{b:02x}" for b in value) + "'::BLOB"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(lit_sql(v) for v in value) + "]"
    if isinstance(value, dict):
        return "MAP {" + ", ".join(f"{lit_sql(k)}: {lit_sql(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot make a literal of {type(value).__name__} value {value!r}")


def _lit_name(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, datetime.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, datetime.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "array(" + ", ".join(_lit_name(v) for v in value) + ")"
    return str(value)


class Column:
    """An expression over columns; build one with ``functions.col``/``lit``/... or ``df["name"]``,
    combine with Python operators (``+ - * / % == != < <= > >= & | ~``)."""

    __slots__ = ("_gen", "name_hint", "_alias", "_order", "_ref", "_generator", "_typer", "_nonnull")

    def __init__(self, gen: Callable[[frozenset], str], name: str, alias: str | None = None,
                 order: str | None = None, ref: tuple[str | None, str] | None = None,
                 generator: bool = False, typer: Callable[[frozenset], DataType | None] | None = None,
                 nonnull: Callable[[frozenset], bool] | None = None) -> None:
        self._gen = gen
        self.name_hint = alias or name
        self._alias = alias
        self._order = order
        self._ref = ref            # (qualifier, column) when this is a plain column reference
        self._generator = generator  # produces several rows per input row (explode, sliding window)
        self._typer = typer        # scope -> the expression's type, when known without the engine
        self._nonnull = nonnull    # scope -> whether the expression is never null (Spark's nullable=false)

    # -- compiling -------------------------------------------------------------------------
    def sql(self, scope: frozenset = EMPTY) -> str:
        """Return the DuckDB SQL of the expression (without its alias)."""
        return self._gen(scope)

    def _select_sql(self, scope: frozenset = EMPTY) -> str:
        return f"{self.sql(scope)} AS {quote_ident(self.name_hint)}"

    def _order_sql(self, scope: frozenset = EMPTY) -> str:
        return f"{self.sql(scope)} {self._order or 'ASC NULLS FIRST'}"

    def __repr__(self) -> str:
        return f"Column<'{self.name_hint}'>"

    def __bool__(self) -> bool:
        raise ValueError("Cannot convert column into bool: please use '&' for 'and', '|' for 'or', '~' for 'not' "
                         "when building DataFrame boolean expressions.")

    __hash__ = None  # type: ignore[assignment]

    # -- naming and types ------------------------------------------------------------------
    def alias(self, *alias: str, **kwargs: Any) -> "Column":
        """Return this expression named ``alias`` (what ``select`` calls the column)."""
        if len(alias) != 1:
            raise ValueError(f"alias() takes one name here, got {alias!r}")
        return Column(self._gen, self.name_hint, alias=alias[0], order=self._order, generator=self._generator,
                      typer=self._typer, nonnull=self._nonnull)

    name = alias

    def cast(self, dataType: DataType | str) -> "Column":
        """Return the expression converted to ``dataType`` (a DataType or a type string such as
        ``'int'``). As in Spark, a fractional number cast to an integer type is truncated toward
        zero, and a string that is not a number becomes null."""
        from .types import (ByteType, DecimalType, DoubleType, FloatType, IntegerType, LongType, ShortType,
                            StringType)
        dt = parse_type(dataType) if isinstance(dataType, str) else dataType
        gen = self._gen
        name = self.name_hint if self._ref is not None else f"CAST({self.name_hint} AS {dt.simpleString().upper()})"
        integral = isinstance(dt, (ByteType, ShortType, IntegerType, LongType))
        me = self

        def cast_sql(s: frozenset) -> str:
            x = gen(s)
            if integral:
                src = type_in(me, s)
                if isinstance(src, (FloatType, DoubleType, DecimalType)):
                    return f"CAST(trunc({x}) AS {dt.duckdb()})"
                if isinstance(src, StringType):
                    return (f"CASE WHEN contains({x}, '.') THEN TRY_CAST(trunc(TRY_CAST(trim({x}) AS DECIMAL(38,10))) "
                            f"AS {dt.duckdb()}) ELSE TRY_CAST(trim({x}) AS {dt.duckdb()}) END")
            return f"CAST({x} AS {dt.duckdb()})"

        return Column(cast_sql, name, generator=self._generator, typer=lambda s: dt)

    astype = cast

    # -- ordering --------------------------------------------------------------------------
    def asc(self) -> "Column":
        """Return a sort key, ascending with nulls first (Spark's default)."""
        return self._ordered("ASC NULLS FIRST")

    def desc(self) -> "Column":
        """Return a sort key, descending with nulls last (Spark's default)."""
        return self._ordered("DESC NULLS LAST")

    def asc_nulls_first(self) -> "Column":
        return self._ordered("ASC NULLS FIRST")

    def asc_nulls_last(self) -> "Column":
        return self._ordered("ASC NULLS LAST")

    def desc_nulls_first(self) -> "Column":
        return self._ordered("DESC NULLS FIRST")

    def desc_nulls_last(self) -> "Column":
        return self._ordered("DESC NULLS LAST")

    def _ordered(self, order: str) -> "Column":
        return Column(self._gen, self.name_hint, order=order, ref=self._ref, typer=self._typer, nonnull=self._nonnull)

    # -- operators -------------------------------------------------------------------------
    def _bin(self, op: str, other: Any, reverse: bool = False, spark_op: str | None = None) -> "Column":
        o = to_column(other, literal=True)
        a, b = (o, self) if reverse else (self, o)
        ga, gb = a._gen, b._gen
        typer = None
        if op in ("+", "-", "*", "/", "%"):
            def typer(s: frozenset) -> DataType | None:
                from .types import DoubleType, FloatType
                ta, tb = type_in(a, s), type_in(b, s)
                if op == "/" or isinstance(ta, (DoubleType, FloatType)) or isinstance(tb, (DoubleType, FloatType)):
                    return DoubleType()
                return None
        nonnull = None if op in ("/", "%") else (lambda s: never_null(a, s) and never_null(b, s))
        return Column(lambda s: f"({ga(s)} {op} {gb(s)})", f"({a.name_hint} {spark_op or op} {b.name_hint})",
                      typer=typer, nonnull=nonnull)

    def __add__(self, o: Any) -> "Column": return self._bin("+", o)
    def __radd__(self, o: Any) -> "Column": return self._bin("+", o, True)
    def __sub__(self, o: Any) -> "Column": return self._bin("-", o)
    def __rsub__(self, o: Any) -> "Column": return self._bin("-", o, True)
    def __mul__(self, o: Any) -> "Column": return self._bin("*", o)
    def __rmul__(self, o: Any) -> "Column": return self._bin("*", o, True)
    def __truediv__(self, o: Any) -> "Column": return self._bin("/", o)
    def __rtruediv__(self, o: Any) -> "Column": return self._bin("/", o, True)
    def __mod__(self, o: Any) -> "Column": return self._bin("%", o)
    def __rmod__(self, o: Any) -> "Column": return self._bin("%", o, True)
    def __pow__(self, o: Any) -> "Column": return self._bin("**", o, spark_op="**")
    def __eq__(self, o: Any) -> "Column": return self._bin("=", o)  # type: ignore[override]
    def __ne__(self, o: Any) -> "Column": return self._bin("<>", o, spark_op="!=")  # type: ignore[override]
    def __lt__(self, o: Any) -> "Column": return self._bin("<", o)
    def __le__(self, o: Any) -> "Column": return self._bin("<=", o)
    def __gt__(self, o: Any) -> "Column": return self._bin(">", o)
    def __ge__(self, o: Any) -> "Column": return self._bin(">=", o)
    def __and__(self, o: Any) -> "Column": return self._bin("AND", o)
    def __rand__(self, o: Any) -> "Column": return self._bin("AND", o, True)
    def __or__(self, o: Any) -> "Column": return self._bin("OR", o)
    def __ror__(self, o: Any) -> "Column": return self._bin("OR", o, True)

    def __invert__(self) -> "Column":
        g = self._gen
        return Column(lambda s: f"(NOT {g(s)})", f"(NOT {self.name_hint})")

    def __neg__(self) -> "Column":
        g = self._gen
        return Column(lambda s: f"(- {g(s)})", f"(- {self.name_hint})")

    def eqNullSafe(self, other: Any) -> "Column":
        """Return ``self <=> other``: true when both are null or equal."""
        return self._bin("IS NOT DISTINCT FROM", other, spark_op="<=>")

    # -- predicates and accessors ----------------------------------------------------------
    def _call(self, template: str, name: str, *args: Any) -> "Column":
        g = self._gen
        rendered = [lit_sql(a) for a in args]
        return Column(lambda s: template.format(g(s), *rendered), name)

    def isNull(self) -> "Column":
        c = self._call("({} IS NULL)", f"({self.name_hint} IS NULL)")
        c._nonnull = _always
        return c

    def isNotNull(self) -> "Column":
        c = self._call("({} IS NOT NULL)", f"({self.name_hint} IS NOT NULL)")
        c._nonnull = _always
        return c

    def isin(self, *values: Any) -> "Column":
        """Return whether the value is one of ``values`` (a list or several arguments)."""
        if len(values) == 1 and isinstance(values[0], (list, tuple, set)):
            values = tuple(values[0])
        g = self._gen
        cols = [to_column(v, literal=True) for v in values]
        return Column(lambda s: f"({g(s)} IN ({', '.join(c.sql(s) for c in cols) or 'NULL'}))",
                      f"({self.name_hint} IN ({', '.join(c.name_hint for c in cols)}))")

    def between(self, lowerBound: Any, upperBound: Any) -> "Column":
        return (self >= lowerBound) & (self <= upperBound)

    def like(self, pattern: str) -> "Column":
        return self._call("({} LIKE {})", f"{self.name_hint} LIKE {pattern}", pattern)

    def ilike(self, pattern: str) -> "Column":
        return self._call("({} ILIKE {})", f"{self.name_hint} ILIKE {pattern}", pattern)

    def rlike(self, pattern: str) -> "Column":
        """Return whether a regular expression (RE2 syntax) matches part of the value."""
        return self._call("regexp_matches({}, {})", f"RLIKE({self.name_hint}, {pattern})", pattern)

    def startswith(self, prefix: str) -> "Column":
        return self._call("starts_with({}, {})", f"startswith({self.name_hint}, {prefix})", prefix)

    def endswith(self, suffix: str) -> "Column":
        return self._call("ends_with({}, {})", f"endswith({self.name_hint}, {suffix})", suffix)

    def contains(self, other: Any) -> "Column":
        return self._call("contains({}, {})", f"contains({self.name_hint}, {other})", other)

    def substr(self, startPos: int, length: int) -> "Column":
        """Return ``length`` characters from ``startPos`` (1-based, as in Spark)."""
        return self._call("substring({}, {}, {})", f"substring({self.name_hint}, {startPos}, {length})",
                          startPos, length)

    def getItem(self, key: Any) -> "Column":
        """Return an array's element (``key`` an int, 0-based as in Spark) or a map's value."""
        g = self._gen
        if isinstance(key, int) and not isinstance(key, bool):
            return Column(lambda s: f"{g(s)}[{key + 1}]", f"{self.name_hint}[{key}]")
        k = lit_sql(key)
        return Column(lambda s: f"{g(s)}[{k}]", f"{self.name_hint}[{key}]")

    def getField(self, name: str) -> "Column":
        """Return a struct's field ``name``."""
        g = self._gen
        return Column(lambda s: f"struct_extract({g(s)}, {lit_sql(name)})", name)

    def __getitem__(self, key: Any) -> "Column":
        return self.getField(key) if isinstance(key, str) else self.getItem(key)

    def __getattr__(self, item: str) -> "Column":
        if item.startswith("_"):
            raise AttributeError(item)
        return self.getField(item)

    def __iter__(self) -> None:
        raise TypeError("Column is not iterable")

    def over(self, window: Any) -> "Column":
        """Return this aggregate or ranking function computed over a window (a WindowSpec)."""
        g = self._gen
        if self.name_hint.split("(")[0].lower() in ("row_number", "rank", "dense_rank", "ntile"):
            # Spark's ranking functions are ints
            return Column(lambda s: f"CAST({g(s)} OVER ({window.sql(s)}) AS INTEGER)", f"{self.name_hint} OVER (...)",
                          nonnull=self._nonnull)
        return Column(lambda s: f"{g(s)} OVER ({window.sql(s)})", f"{self.name_hint} OVER (...)",
                      nonnull=self._nonnull, typer=self._typer)

    # -- conditionals ----------------------------------------------------------------------
    def when(self, condition: "Column", value: Any) -> "Column":
        """Add a branch to a ``functions.when(...)`` chain."""
        return self._case_add(condition, value)

    def otherwise(self, value: Any) -> "Column":
        """Finish a ``functions.when(...)`` chain with the value of every other row."""
        return self._case_add(None, value)

    def _case_add(self, condition: "Column | None", value: Any) -> "Column":
        branches = getattr(self._gen, "_case_branches", None)
        if branches is None:
            raise TypeError("when()/otherwise() apply to a column made by functions.when(...)")
        if branches and branches[-1][0] is None:
            raise TypeError("otherwise() was already given")
        return case_column(branches + [(condition, to_column(value, literal=True))])


def _always(_s: frozenset) -> bool:
    return True


def case_column(branches: list[tuple[Column | None, Column]]) -> Column:
    """Return a CASE expression of ``(condition, value)`` branches (condition None: ELSE)."""

    def gen(s: frozenset) -> str:
        parts = []
        for cond, val in branches:
            parts.append(f"ELSE {val.sql(s)}" if cond is None else f"WHEN {cond.sql(s)} THEN {val.sql(s)}")
        return "CASE " + " ".join(parts) + " END"

    gen._case_branches = branches  # type: ignore[attr-defined]
    name = "CASE " + " ".join(f"ELSE {v.name_hint}" if c is None else f"WHEN {c.name_hint} THEN {v.name_hint}"
                              for c, v in branches) + " END"
    return Column(gen, name)


def ref_column(name: str, qualifier: str | None = None) -> Column:
    """Return a reference to column ``name`` (``a.b`` reads field b of struct a, `` `a.b` `` the
    column named a.b); with a ``qualifier`` (a DataFrame's alias) it is qualified when in scope."""
    if name == "*":
        return Column(lambda s: f"{quote_ident(qualifier)}.*" if qualifier and qualifier in s else "*", "*")
    parts = _split_name(name)
    head = parts[0]
    rest = "".join(f".{quote_ident(p)}" for p in parts[1:])

    def gen(s: frozenset) -> str:
        if qualifier is not None and qualifier in s:
            return f"{quote_ident(qualifier)}.{quote_ident(head)}{rest}"
        return quote_ident(head) + rest

    def typer(s: frozenset) -> DataType | None:
        if len(parts) != 1 or not isinstance(s, Scope):
            return None
        return s.type_of(qualifier, head)

    def nonnull(s: frozenset) -> bool:
        return len(parts) == 1 and isinstance(s, Scope) and s.never_null(qualifier, head)

    return Column(gen, parts[-1], ref=(qualifier, name), typer=typer, nonnull=nonnull)


def _split_name(name: str) -> list[str]:
    if "`" not in name:
        return name.split(".") if "." in name and not name.startswith(".") else [name]
    parts, cur, i, quoted = [], "", 0, False
    while i < len(name):
        ch = name[i]
        if ch == "`":
            if quoted and i + 1 < len(name) and name[i + 1] == "`":
                cur += "`"
                i += 2
                continue
            quoted = not quoted
        elif ch == "." and not quoted:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    parts.append(cur)
    return parts


def to_column(x: Any, literal: bool = False) -> Column:
    """Return ``x`` as a Column: a Column as it is; a str a column name (or, with ``literal``,
    any non-Column a literal value)."""
    if isinstance(x, Column):
        return x
    if isinstance(x, str) and not literal:
        return ref_column(x)
    s = lit_sql(x)
    from .types import infer_type
    try:
        t: DataType | None = infer_type(x)
    except Exception:  # noqa: BLE001 - a literal of no Spark type
        t = None
    return Column(lambda _s: s, _lit_name(x), typer=lambda _s: t, nonnull=(lambda _s: x is not None))


def columns_of(cols: Iterable[Any]) -> list[Column]:
    """Flatten ``cols`` (names, Columns, or one list of them) into Columns."""
    cols = list(cols)
    if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
        cols = list(cols[0])
    return [to_column(c) for c in cols]
