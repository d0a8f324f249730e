"""Column functions with ``pyspark.sql.functions``' names, compiled to DuckDB SQL.

Where DuckDB's function of the same name behaves differently, the Spark behaviour is kept:
``split`` and ``regexp_replace`` take Java-style regular expressions (RE2 here) and replace
every match; array positions are 0-based in ``getItem`` and 1-based in ``element_at``;
``floor``/``ceil`` return bigints; ``sum`` of integers is a bigint.

>>> from dstreams.sql import functions as F
>>> F.count("*").name_hint, F.sum("total").name_hint, F.upper(F.col("w")).sql()
('count(1)', 'sum(total)', 'upper("w")')
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .column import Column, case_column, columns_of, lit_sql, ref_column, to_column
from .types import DataType

__all__ = ["col", "column", "lit", "expr", "when", "coalesce", "count", "countDistinct", "count_distinct",
           "sum", "sum_distinct", "avg", "mean", "min", "max", "first", "last", "collect_list", "collect_set",
           "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop", "approx_count_distinct",
           "explode", "split", "window", "upper", "lower", "length", "trim", "ltrim", "rtrim", "concat",
           "concat_ws", "substring", "regexp_replace", "regexp_extract", "abs", "round", "floor", "ceil",
           "sqrt", "exp", "log", "pow", "greatest", "least", "isnull", "isnan", "size", "array_contains",
           "struct", "array", "element_at", "current_timestamp", "current_date", "to_date", "to_timestamp",
           "date_format", "year", "month", "dayofmonth", "hour", "minute", "second", "unix_timestamp",
           "from_unixtime", "asc", "desc", "broadcast", "md5", "sha1", "length", "initcap", "reverse",
           "sort_array", "array_join", "nanvl", "signum", "hash", "row_number", "rank", "dense_rank",
           "percent_rank", "cume_dist", "ntile", "lag", "lead", "udf", "lpad", "rpad", "instr", "format_string",
           "bround", "explode_outer", "map_keys", "map_values", "percentile_approx", "monotonically_increasing_id",
           "date_add", "date_sub", "datediff", "dayofweek", "dayofyear", "weekofyear", "quarter"]


def col(name: str) -> Column:
    """Return a reference to the column ``name`` (``"a.b"`` is field b of struct column a).

    >>> col("word").sql()
    '"word"'
    """
    return ref_column(name)


column = col


def lit(value: Any) -> Column:
    """Return a column holding ``value`` in every row (a Column is returned as it is).

    >>> lit(1).name_hint, lit("x").sql()
    ('1', "'x'")
    """
    return to_column(value, literal=True)


def expr(sql: str) -> Column:
    """Return a column computed by a SQL expression (DuckDB's dialect; backquoted names work).

    >>> expr("length(word) > 3").sql()
    '(length(word) > 3)'
    """
    from .session import translate_sql
    text = translate_sql(sql)
    return Column(lambda s: f"({text})", sql)


def _fn(sql_name: str, spark_name: str | None = None) -> Callable[..., Column]:
    def f(*cols: Any) -> Column:
        cs = [to_column(c) for c in cols]
        return Column(lambda s: f"{sql_name}({', '.join(c.sql(s) for c in cs)})",
                      f"{spark_name or sql_name}({', '.join(c.name_hint for c in cs)})")
    return f


def _doc(f: Callable[..., Column], text: str) -> Callable[..., Column]:
    f.__doc__ = text
    return f


def when(condition: Column, value: Any) -> Column:
    r"""Return a CASE column: ``value`` where ``condition`` holds; chain ``.when(...)`` and
    ``.otherwise(...)`` (rows matching no branch are null).

    >>> when(col("n") > 1, "many").otherwise("one").sql()
    'CASE WHEN ("n" > 1) THEN \'many\' ELSE \'one\' END'
    """
    return case_column([(condition, to_column(value, literal=True))])


def coalesce(*cols: Any) -> Column:
    """Return the first non-null value of ``cols``."""
    return _fn("coalesce")(*cols)


# ---- aggregates --------------------------------------------------------------------------------
def count(c: Any) -> Column:
    """Return the number of rows where ``c`` is not null (``count("*")``: of all rows), as a bigint."""
    if isinstance(c, str) and c == "*" or (isinstance(c, Column) and c.name_hint == "*"):
        return Column(lambda s: "count(*)", "count(1)", nonnull=_never_null)
    cc = to_column(c)
    return Column(lambda s: f"count({cc.sql(s)})", f"count({cc.name_hint})", nonnull=_never_null)


def _never_null(_s: frozenset) -> bool:
    return True


def countDistinct(c: Any, *cols: Any) -> Column:
    """Return the number of distinct non-null values (of several columns: of distinct tuples)."""
    cs = [to_column(x) for x in (c, *cols)]
    name = f"count(DISTINCT {', '.join(x.name_hint for x in cs)})"
    if len(cs) == 1:
        return Column(lambda s: f"count(DISTINCT {cs[0].sql(s)})", name, nonnull=_never_null)
    return Column(lambda s: "count(DISTINCT CASE WHEN " + " AND ".join(f"{x.sql(s)} IS NOT NULL" for x in cs)
                  + " THEN row(" + ", ".join(x.sql(s) for x in cs) + ") END)", name, nonnull=_never_null)


count_distinct = countDistinct


def sum(c: Any) -> Column:  # noqa: A001 - Spark's name
    """Return the sum of ``c`` (a bigint for integer columns, as in Spark)."""
    cc = to_column(c)
    return Column(lambda s: f"sum({cc.sql(s)})", f"sum({cc.name_hint})")


def sum_distinct(c: Any) -> Column:
    """Return a Column of Spark SQL's ``sum_distinct`` function (pyspark.sql.functions.sum_distinct)."""
    cc = to_column(c)
    return Column(lambda s: f"sum(DISTINCT {cc.sql(s)})", f"sum(DISTINCT {cc.name_hint})")


avg = _doc(_fn("avg"), "Return the mean of the non-null values of a column, as a double.")


def mean(c: Any) -> Column:
    """Return the mean of a column (named ``avg(c)``, as in Spark)."""
    return avg(c)


min = _doc(_fn("min"), "Return the smallest value of a column.")  # noqa: A001
max = _doc(_fn("max"), "Return the largest value of a column.")  # noqa: A001


def first(c: Any, ignorenulls: bool = False) -> Column:
    """Return the first value of a column in each group (the order within a group is not defined)."""
    cc = to_column(c)
    fn = "any_value" if ignorenulls else "first"
    return Column(lambda s: f"{fn}({cc.sql(s)})", f"first({cc.name_hint})")


def last(c: Any, ignorenulls: bool = False) -> Column:
    """Return the last value of a column in each group (the order within a group is not defined)."""
    cc = to_column(c)
    return Column(lambda s: f"last({cc.sql(s)})", f"last({cc.name_hint})")


def collect_list(c: Any) -> Column:
    """Return the non-null values of each group as an array."""
    cc = to_column(c)
    return Column(lambda s: f"list({cc.sql(s)}) FILTER (WHERE {cc.sql(s)} IS NOT NULL)", f"collect_list({cc.name_hint})")


def collect_set(c: Any) -> Column:
    """Return the distinct non-null values of each group as an array."""
    cc = to_column(c)
    return Column(lambda s: f"list(DISTINCT {cc.sql(s)}) FILTER (WHERE {cc.sql(s)} IS NOT NULL)",
                  f"collect_set({cc.name_hint})")


stddev = _fn("stddev_samp", "stddev")
stddev_samp = _fn("stddev_samp")
stddev_pop = _fn("stddev_pop")
variance = _fn("var_samp", "variance")
var_samp = _fn("var_samp")
var_pop = _fn("var_pop")


def approx_count_distinct(c: Any, rsd: float = 0.05) -> Column:
    """Return a Column of Spark SQL's ``approx_count_distinct`` function (pyspark.sql.functions.approx_count_distinct)."""
    cc = to_column(c)
    return Column(lambda s: f"approx_count_distinct({cc.sql(s)})", f"approx_count_distinct({cc.name_hint})")


# ---- generators, strings, arrays ---------------------------------------------------------------
def explode(c: Any) -> Column:
    """Return one row per element of an array column (rows with an empty or null array vanish);
    the column is named ``col``.

    >>> explode(split(col("line"), " ")).name_hint
    'col'
    """
    cc = to_column(c)
    return Column(lambda s: f"unnest({cc.sql(s)})", "col", generator=True)


def split(str: Any, pattern: str, limit: int = -1) -> Column:  # noqa: A002 - Spark's name
    """Return the parts of a string around the matches of a regular expression, as an array
    (``limit`` > 0: at most that many parts, the last one holding the rest).

    >>> split("line", " ").name_hint
    'split(line,  , -1)'
    """
    cc = to_column(str)
    p = lit_sql(pattern)
    name = f"split({cc.name_hint}, {pattern}, {limit})"
    if limit is None or limit <= 0:
        return Column(lambda s: f"regexp_split_to_array({cc.sql(s)}, {p})", name)
    # at most `limit` parts: split, then glue the tail back with the matched separators
    return Column(lambda s: (f"CASE WHEN len(regexp_split_to_array({cc.sql(s)}, {p})) <= {limit} "
                             f"THEN regexp_split_to_array({cc.sql(s)}, {p}) ELSE list_append("
                             f"regexp_split_to_array({cc.sql(s)}, {p})[1:{limit - 1}], "
                             f"regexp_replace({cc.sql(s)}, '^((?:.*?' || {p} || '){{{limit - 1}}})', '', '')) END"),
                  name)


upper = _fn("upper")
lower = _fn("lower")
length = _doc(_fn("length"), "Return the number of characters of a string.")
trim = _fn("trim")
ltrim = _fn("ltrim")
rtrim = _fn("rtrim")
initcap = _fn("initcap")
reverse = _fn("reverse")
md5 = _fn("md5")
sha1 = _fn("sha1")
abs = _fn("abs")  # noqa: A001
sqrt = _fn("sqrt", "SQRT")
exp = _fn("exp", "EXP")
signum = _fn("sign", "SIGNUM")
greatest = _fn("greatest")
least = _fn("least")
hash = _fn("hash")  # noqa: A001 - DuckDB's hash, not Spark's murmur3: values differ


def concat(*cols: Any) -> Column:
    """Return the strings (or arrays) of ``cols`` joined; null if any is null, as in Spark."""
    cs = [to_column(c) for c in cols]
    return Column(lambda s: "(" + " || ".join(c.sql(s) for c in cs) + ")",
                  f"concat({', '.join(c.name_hint for c in cs)})")


def concat_ws(sep: str, *cols: Any) -> Column:
    """Return the non-null strings of ``cols`` joined with ``sep``."""
    cs = [to_column(c) for c in cols]
    return Column(lambda s: f"concat_ws({lit_sql(sep)}, {', '.join(c.sql(s) for c in cs)})",
                  f"concat_ws({sep}, {', '.join(c.name_hint for c in cs)})")


def substring(str: Any, pos: int, len: int) -> Column:  # noqa: A002
    """Return ``len`` characters of a string from ``pos`` (1-based)."""
    return to_column(str).substr(pos, len)


def regexp_replace(string: Any, pattern: str, replacement: str) -> Column:
    """Return the string with *every* match of ``pattern`` replaced (``$1`` refers to a group)."""
    cc = to_column(string)
    repl = re.sub(r"\$(\d)", r"\\\1", replacement)
    return Column(lambda s: f"regexp_replace({cc.sql(s)}, {lit_sql(pattern)}, {lit_sql(repl)}, 'g')",
                  f"regexp_replace({cc.name_hint}, {pattern}, {replacement}, 1)")


def regexp_extract(str: Any, pattern: str, idx: int) -> Column:  # noqa: A002
    """Return group ``idx`` of the first match of ``pattern`` ('' when it does not match)."""
    cc = to_column(str)
    return Column(lambda s: f"regexp_extract({cc.sql(s)}, {lit_sql(pattern)}, {int(idx)})",
                  f"regexp_extract({cc.name_hint}, {pattern}, {idx})")


def _decimal_round(fn: str, cc: Column, scale: int) -> Callable[[frozenset], str]:
    """SQL rounding a column as Spark does: a double on its shortest decimal digits (so 1.005
    rounds up, as its text says), other numbers as they are."""
    from .column import type_in
    from .types import DoubleType, FloatType

    def gen(s: frozenset) -> str:
        x = cc.sql(s)
        if isinstance(type_in(cc, s), (DoubleType, FloatType)):
            return (f"CASE WHEN isfinite({x}) AND abs({x}) < 1e18 THEN CAST({fn}(CAST(CAST({x} AS VARCHAR) AS "
                    f"DECIMAL(38,18)), {int(scale)}) AS DOUBLE) ELSE {x} END")
        return f"{fn}({x}, {int(scale)})"
    return gen


def round(c: Any, scale: int = 0) -> Column:  # noqa: A001
    """Return the value rounded to ``scale`` decimals, halves away from zero (a double on its
    decimal digits, as Spark: ``round(1.005, 2)`` is 1.01)."""
    cc = to_column(c)
    return Column(_decimal_round("round", cc, scale), f"round({cc.name_hint}, {scale})", typer=cc._typer)


def floor(c: Any) -> Column:
    """Return the largest integer not above the value, as a bigint."""
    cc = to_column(c)
    return Column(lambda s: f"CAST(floor({cc.sql(s)}) AS BIGINT)", f"FLOOR({cc.name_hint})")


def ceil(c: Any) -> Column:
    """Return the smallest integer not below the value, as a bigint."""
    cc = to_column(c)
    return Column(lambda s: f"CAST(ceil({cc.sql(s)}) AS BIGINT)", f"CEIL({cc.name_hint})")


def log(arg1: Any, arg2: Any = None) -> Column:
    """Return the natural logarithm of a column, or ``log(base, col)``."""
    if arg2 is None:
        cc = to_column(arg1)
        return Column(lambda s: f"ln({cc.sql(s)})", f"ln({cc.name_hint})")
    base, cc = float(arg1), to_column(arg2)
    return Column(lambda s: f"(ln({cc.sql(s)}) / ln({base!r}))", f"LOG({base}, {cc.name_hint})")


def pow(c1: Any, c2: Any) -> Column:  # noqa: A001
    """Return a Column of Spark SQL's ``pow`` function (pyspark.sql.functions.pow)."""
    a, b = to_column(c1, literal=not isinstance(c1, str)), to_column(c2, literal=not isinstance(c2, str))
    return Column(lambda s: f"pow({a.sql(s)}, {b.sql(s)})", f"POWER({a.name_hint}, {b.name_hint})")


def isnull(c: Any) -> Column:
    """Return a Column of Spark SQL's ``isnull`` function (pyspark.sql.functions.isnull)."""
    return to_column(c).isNull()


def isnan(c: Any) -> Column:
    """Return a Column of Spark SQL's ``isnan`` function (pyspark.sql.functions.isnan)."""
    cc = to_column(c)
    return Column(lambda s: f"isnan({cc.sql(s)})", f"isnan({cc.name_hint})")


def nanvl(c1: Any, c2: Any) -> Column:
    """Return a Column of Spark SQL's ``nanvl`` function (pyspark.sql.functions.nanvl)."""
    a, b = to_column(c1), to_column(c2)
    return Column(lambda s: f"CASE WHEN isnan({a.sql(s)}) THEN {b.sql(s)} ELSE {a.sql(s)} END",
                  f"nanvl({a.name_hint}, {b.name_hint})")


def size(c: Any) -> Column:
    """Return the number of elements of an array or map (-1 for null, as Spark's legacy default)."""
    cc = to_column(c)
    return Column(lambda s: f"coalesce(CAST(len({cc.sql(s)}) AS INTEGER), -1)", f"size({cc.name_hint})")


def array_contains(c: Any, value: Any) -> Column:
    """Return a Column of Spark SQL's ``array_contains`` function (pyspark.sql.functions.array_contains)."""
    cc = to_column(c)
    return Column(lambda s: f"list_contains({cc.sql(s)}, {lit_sql(value)})", f"array_contains({cc.name_hint}, {value})")


def element_at(c: Any, extraction: Any) -> Column:
    """Return the element at a 1-based position of an array (negative: from the end), or a map's value."""
    cc = to_column(c)
    return Column(lambda s: f"{cc.sql(s)}[{lit_sql(extraction)}]", f"element_at({cc.name_hint}, {extraction})")


def sort_array(c: Any, asc: bool = True) -> Column:  # noqa: A002
    """Return a Column of Spark SQL's ``sort_array`` function (pyspark.sql.functions.sort_array)."""
    cc = to_column(c)
    order = "'ASC', 'NULLS FIRST'" if asc else "'DESC', 'NULLS LAST'"
    return Column(lambda s: f"list_sort({cc.sql(s)}, {order})", f"sort_array({cc.name_hint}, {str(asc).lower()})")


def array_join(c: Any, delimiter: str, null_replacement: str | None = None) -> Column:
    """Return a Column of Spark SQL's ``array_join`` function (pyspark.sql.functions.array_join)."""
    cc = to_column(c)
    if null_replacement is None:
        return Column(lambda s: f"array_to_string(list_filter({cc.sql(s)}, lambda x: x IS NOT NULL), {lit_sql(delimiter)})",
                      f"array_join({cc.name_hint}, {delimiter})")
    return Column(lambda s: f"array_to_string(list_transform({cc.sql(s)}, lambda x: coalesce(CAST(x AS VARCHAR), "
                  f"{lit_sql(null_replacement)})), {lit_sql(delimiter)})", f"array_join({cc.name_hint}, {delimiter})")


def struct(*cols: Any) -> Column:
    """Return a struct column with a field per column (named as the columns are)."""
    cs = columns_of(cols)
    return Column(lambda s: "struct_pack(" + ", ".join(f'"{c.name_hint}" := {c.sql(s)}' for c in cs) + ")",
                  f"struct({', '.join(c.name_hint for c in cs)})")


def array(*cols: Any) -> Column:
    """Return a Column of Spark SQL's ``array`` function (pyspark.sql.functions.array)."""
    cs = columns_of(cols)
    return Column(lambda s: "[" + ", ".join(c.sql(s) for c in cs) + "]", f"array({', '.join(c.name_hint for c in cs)})")


def lpad(col: Any, len: int, pad: str) -> Column:  # noqa: A002
    """Return the string left-padded with ``pad`` to ``len`` characters (cut when longer)."""
    cc = to_column(col)
    return Column(lambda s: f"lpad({cc.sql(s)}, {int(len)}, {lit_sql(pad)})", f"lpad({cc.name_hint}, {len}, {pad})")


def rpad(col: Any, len: int, pad: str) -> Column:  # noqa: A002
    """Return the string right-padded with ``pad`` to ``len`` characters (cut when longer)."""
    cc = to_column(col)
    return Column(lambda s: f"rpad({cc.sql(s)}, {int(len)}, {lit_sql(pad)})", f"rpad({cc.name_hint}, {len}, {pad})")


def instr(str: Any, substr: str) -> Column:  # noqa: A002
    """Return the 1-based position of ``substr`` in the string (0 when absent)."""
    cc = to_column(str)
    return Column(lambda s: f"CAST(instr({cc.sql(s)}, {lit_sql(substr)}) AS INTEGER)", f"instr({cc.name_hint}, {substr})")


def format_string(format: str, *cols: Any) -> Column:  # noqa: A002
    """Return the values formatted printf-style (``%s``, ``%d``, ``%.2f``...)."""
    cs = [to_column(c) for c in cols]
    return Column(lambda s: f"printf({lit_sql(format)}{''.join(', ' + c.sql(s) for c in cs)})",
                  f"format_string({format}, {', '.join(c.name_hint for c in cs)})")


def bround(c: Any, scale: int = 0) -> Column:
    """Return the value rounded to ``scale`` decimals, halves to even (on a double's decimal
    digits, as Spark: ``bround(2.345, 2)`` is 2.34)."""
    cc = to_column(c)
    return Column(_decimal_round("round_even", cc, scale), f"bround({cc.name_hint}, {scale})", typer=cc._typer)


def explode_outer(c: Any) -> Column:
    """As ``explode``, but a row whose array is null or empty gives one row with null."""
    cc = to_column(c)
    return Column(lambda s: f"unnest(CASE WHEN len({cc.sql(s)}) > 0 THEN {cc.sql(s)} ELSE [NULL] END)", "col",
                  generator=True)


def map_keys(c: Any) -> Column:
    """Return a Column of Spark SQL's ``map_keys`` function (pyspark.sql.functions.map_keys)."""
    cc = to_column(c)
    return Column(lambda s: f"map_keys({cc.sql(s)})", f"map_keys({cc.name_hint})")


def map_values(c: Any) -> Column:
    """Return a Column of Spark SQL's ``map_values`` function (pyspark.sql.functions.map_values)."""
    cc = to_column(c)
    return Column(lambda s: f"map_values({cc.sql(s)})", f"map_values({cc.name_hint})")


def percentile_approx(c: Any, percentage: float, accuracy: int = 10000) -> Column:
    """Return an approximate percentile of the column (``percentage`` between 0 and 1)."""
    cc = to_column(c)
    return Column(lambda s: f"approx_quantile({cc.sql(s)}, {float(percentage)!r})",
                  f"percentile_approx({cc.name_hint}, {percentage}, {accuracy})")


def monotonically_increasing_id() -> Column:
    """Return a unique, increasing bigint per row (0, 1, 2... in the order the rows are read)."""
    return Column(lambda s: "CAST(row_number() OVER () - 1 AS BIGINT)", "monotonically_increasing_id()")


# ---- time --------------------------------------------------------------------------------------
def current_timestamp() -> Column:
    """Return the time the query runs, as a timestamp (UTC)."""
    return Column(lambda s: "CAST(get_current_timestamp() AT TIME ZONE 'UTC' AS TIMESTAMP)", "current_timestamp()")


def current_date() -> Column:
    """Return a Column of Spark SQL's ``current_date`` function (pyspark.sql.functions.current_date)."""
    return Column(lambda s: "current_date", "current_date()")


_JAVA_FMT = [("yyyy", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("dd", "%d"),
             ("HH", "%H"), ("hh", "%I"), ("mm", "%M"), ("ss", "%S"), ("SSSSSS", "%f"), ("SSS", "%g"),
             ("EEEE", "%A"), ("EEE", "%a"), ("a", "%p"), ("M", "%-m"), ("d", "%-d"), ("H", "%-H")]


def java_to_strftime(fmt: str) -> str:
    """Return the strftime format of a Java (Spark) datetime pattern such as ``yyyy-MM-dd HH:mm``.

    >>> java_to_strftime("yyyy-MM-dd HH:mm:ss")
    '%Y-%m-%d %H:%M:%S'
    """
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "'":
            j = fmt.find("'", i + 1)
            j = len(fmt) if j < 0 else j
            out.append(fmt[i + 1:j].replace("%", "%%") or "'")
            i = j + 1
            continue
        for java, c in _JAVA_FMT:
            if fmt.startswith(java, i):
                out.append(c)
                i += len(java)
                break
        else:
            out.append("%%" if fmt[i] == "%" else fmt[i])
            i += 1
    return "".join(out)


def to_date(c: Any, format: str | None = None) -> Column:  # noqa: A002
    """Return a string (in ``format``, Java pattern) or timestamp column as a date."""
    cc = to_column(c)
    if format is None:
        return Column(lambda s: f"CAST({cc.sql(s)} AS DATE)", f"to_date({cc.name_hint})")
    f = lit_sql(java_to_strftime(format))
    return Column(lambda s: f"CAST(strptime({cc.sql(s)}, {f}) AS DATE)", f"to_date({cc.name_hint}, {format})")


def to_timestamp(c: Any, format: str | None = None) -> Column:  # noqa: A002
    """Return a string (in ``format``, Java pattern) as a timestamp."""
    cc = to_column(c)
    if format is None:
        return Column(lambda s: f"CAST({cc.sql(s)} AS TIMESTAMP)", f"to_timestamp({cc.name_hint})")
    f = lit_sql(java_to_strftime(format))
    return Column(lambda s: f"strptime({cc.sql(s)}, {f})", f"to_timestamp({cc.name_hint}, {format})")


def date_format(date: Any, format: str) -> Column:  # noqa: A002
    """Return a date or timestamp as a string in a Java pattern (``yyyy-MM-dd HH:mm``)."""
    cc = to_column(date)
    f = lit_sql(java_to_strftime(format))
    return Column(lambda s: f"strftime({cc.sql(s)}, {f})", f"date_format({cc.name_hint}, {format})")


def _part(part: str, spark: str) -> Callable[[Any], Column]:
    def f(c: Any) -> Column:
        cc = to_column(c)
        return Column(lambda s: f"CAST(date_part('{part}', {cc.sql(s)}) AS INTEGER)", f"{spark}({cc.name_hint})")
    return f


year = _part("year", "year")
month = _part("month", "month")
dayofmonth = _part("day", "dayofmonth")
hour = _part("hour", "hour")
minute = _part("minute", "minute")
second = _part("second", "second")


def date_add(start: Any, days: int) -> Column:
    """Return the date ``days`` after ``start``."""
    cc = to_column(start)
    return Column(lambda s: f"CAST(CAST({cc.sql(s)} AS DATE) + {int(days)} AS DATE)", f"date_add({cc.name_hint}, {days})")


def date_sub(start: Any, days: int) -> Column:
    """Return the date ``days`` before ``start``."""
    cc = to_column(start)
    return Column(lambda s: f"CAST(CAST({cc.sql(s)} AS DATE) - {int(days)} AS DATE)", f"date_sub({cc.name_hint}, {days})")


def datediff(end: Any, start: Any) -> Column:
    """Return the number of days from ``start`` to ``end``."""
    e, b = to_column(end), to_column(start)
    return Column(lambda s: f"CAST(datediff('day', CAST({b.sql(s)} AS DATE), CAST({e.sql(s)} AS DATE)) AS INTEGER)",
                  f"datediff({e.name_hint}, {b.name_hint})")


def dayofweek(c: Any) -> Column:
    """Return the day of the week, 1 for Sunday to 7 for Saturday (Spark's numbering)."""
    cc = to_column(c)
    return Column(lambda s: f"CAST(dayofweek({cc.sql(s)}) + 1 AS INTEGER)", f"dayofweek({cc.name_hint})")


dayofyear = _part("doy", "dayofyear")
weekofyear = _part("week", "weekofyear")
quarter = _part("quarter", "quarter")


def unix_timestamp(c: Any = None, format: str = "yyyy-MM-dd HH:mm:ss") -> Column:  # noqa: A002
    """Return seconds since the epoch of a timestamp or string column (now, without one)."""
    if c is None:
        return Column(lambda s: "CAST(epoch(get_current_timestamp()) AS BIGINT)", "unix_timestamp(current_timestamp())")
    cc = to_column(c)
    f = lit_sql(java_to_strftime(format))
    return Column(lambda s: f"CAST(epoch(CASE WHEN typeof({cc.sql(s)}) = 'VARCHAR' THEN strptime(CAST({cc.sql(s)} AS VARCHAR), {f}) "
                  f"ELSE CAST({cc.sql(s)} AS TIMESTAMP) END) AS BIGINT)", f"unix_timestamp({cc.name_hint}, {format})")


def from_unixtime(timestamp: Any, format: str = "yyyy-MM-dd HH:mm:ss") -> Column:  # noqa: A002
    """Return a Column of Spark SQL's ``from_unixtime`` function (pyspark.sql.functions.from_unixtime)."""
    cc = to_column(timestamp)
    f = lit_sql(java_to_strftime(format))
    return Column(lambda s: f"strftime(make_timestamp(CAST({cc.sql(s)} AS BIGINT) * 1000000), {f})",
                  f"from_unixtime({cc.name_hint}, {format})")


_UNITS = {"microsecond": 1, "us": 1, "millisecond": 1000, "ms": 1000, "second": 1_000_000, "sec": 1_000_000,
          "s": 1_000_000, "minute": 60_000_000, "min": 60_000_000, "hour": 3_600_000_000, "h": 3_600_000_000,
          "day": 86_400_000_000, "d": 86_400_000_000, "week": 7 * 86_400_000_000}


def duration_micros(text: str, what: str = "duration") -> int:
    """Return a Spark duration string (``'10 seconds'``, ``'1 minute 30 seconds'``, ``'500 ms'``) in
    microseconds.

    >>> duration_micros("1 minute 30 seconds")
    90000000
    """
    total = 0
    s = text.strip().lower()
    if s.startswith("interval "):
        s = s[len("interval "):]
    pos = 0
    for m in re.finditer(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", s):
        if m.start() != pos:
            break
        unit = m.group(2)
        unit = unit[:-1] if unit.endswith("s") and unit[:-1] in _UNITS else unit
        if unit not in _UNITS:
            raise ValueError(f"the {what} {text!r} has an unknown unit {m.group(2)!r} (use e.g. '10 seconds', "
                             f"'1 minute', '500 milliseconds', '1 hour', '1 day', '1 week')")
        total += int(float(m.group(1)) * _UNITS[unit])
        pos = m.end()
    if pos != len(s) or total <= 0:
        raise ValueError(f"the {what} {text!r} is not a positive duration such as '10 seconds' or '1 minute'")
    return total


def window(timeColumn: Any, windowDuration: str, slideDuration: str | None = None,
           startTime: str | None = None) -> Column:
    """Return the time window(s) each row's ``timeColumn`` falls in, as a struct column ``window``
    with fields ``start`` and ``end``; windows are aligned to the epoch plus ``startTime``. With a
    ``slideDuration`` shorter than the window a row is in several windows (one row each).

    For windows of batch times, add the batch time as a column first:
    ``df.withColumn("batch_time", lit(time))``.

    >>> window("t", "10 seconds").name_hint
    'window'
    """
    tc = to_column(timeColumn)
    w = duration_micros(windowDuration, "windowDuration")
    slide = duration_micros(slideDuration, "slideDuration") if slideDuration else w
    start = duration_micros(startTime, "startTime") if startTime else 0
    if slide > w:
        raise ValueError(f"slideDuration {slideDuration!r} is longer than windowDuration {windowDuration!r}")
    if start >= slide:
        raise ValueError(f"startTime {startTime!r} must be shorter than the slide ({slideDuration or windowDuration!r})")
    origin = f"(TIMESTAMP '1970-01-01 00:00:00' + to_microseconds({start}))"

    def bucket(s: frozenset) -> str:
        return f"time_bucket(to_microseconds({slide}), CAST({tc.sql(s)} AS TIMESTAMP), {origin})"

    if slide == w:
        return Column(lambda s: f"struct_pack(start := {bucket(s)}, \"end\" := {bucket(s)} + to_microseconds({w}))",
                      "window", nonnull=_never_null)
    n = -(-w // slide)

    def gen(s: frozenset) -> str:
        b = bucket(s)
        return (f"unnest(list_filter(list_transform(range(0, {n}), lambda k: struct_pack("
                f"start := {b} - k * to_microseconds({slide}), "
                f"\"end\" := {b} - k * to_microseconds({slide}) + to_microseconds({w}))), "
                f"lambda x: x['end'] > CAST({tc.sql(s)} AS TIMESTAMP)))")

    return Column(gen, "window", generator=True, nonnull=_never_null)


# ---- window functions (with .over(Window...)) --------------------------------------------------
def row_number() -> Column:
    """Return the row's position (from 1) in its window partition, in the window's order."""
    return Column(lambda s: "row_number()", "row_number()", nonnull=_never_null)


def rank() -> Column:
    """Return the row's rank in its window partition (ties share a rank, with gaps after)."""
    return Column(lambda s: "rank()", "RANK()", nonnull=_never_null)


def dense_rank() -> Column:
    """Return the row's rank in its window partition (ties share a rank, no gaps)."""
    return Column(lambda s: "dense_rank()", "DENSE_RANK()", nonnull=_never_null)


def percent_rank() -> Column:
    """Return a Column of Spark SQL's ``percent_rank`` function (pyspark.sql.functions.percent_rank)."""
    return Column(lambda s: "percent_rank()", "PERCENT_RANK()")


def cume_dist() -> Column:
    """Return a Column of Spark SQL's ``cume_dist`` function (pyspark.sql.functions.cume_dist)."""
    return Column(lambda s: "cume_dist()", "CUME_DIST()")


def ntile(n: int) -> Column:
    """Return a Column of Spark SQL's ``ntile`` function (pyspark.sql.functions.ntile)."""
    return Column(lambda s: f"ntile({int(n)})", f"ntile({n})")


def lag(c: Any, offset: int = 1, default: Any = None) -> Column:
    """Return the value ``offset`` rows before the current one in the window (``default`` before the start)."""
    cc = to_column(c)
    return Column(lambda s: f"lag({cc.sql(s)}, {int(offset)}, {lit_sql(default)})", f"lag({cc.name_hint}, {offset}, {default})")


def lead(c: Any, offset: int = 1, default: Any = None) -> Column:
    """Return the value ``offset`` rows after the current one in the window (``default`` past the end)."""
    cc = to_column(c)
    return Column(lambda s: f"lead({cc.sql(s)}, {int(offset)}, {lit_sql(default)})", f"lead({cc.name_hint}, {offset}, {default})")


# ---- Python functions as columns ---------------------------------------------------------------
def udf(f: Callable[..., Any] | DataType | str | None = None, returnType: DataType | str = "string") -> Any:
    """Return a user-defined function: called with columns, it gives a column of ``f(values...)``
    (``returnType`` a DataType or type string; None values are passed as None). Runs in the
    driver, row by row. Also a decorator: ``@udf(returnType="int")``.

    >>> plus_one = udf(lambda x: x + 1, "bigint")
    >>> plus_one("n").name_hint
    '<lambda>(n)'
    """
    from .udf import UserDefinedFunction
    if f is None or isinstance(f, (DataType, str)):
        rt = returnType if f is None else f
        return lambda fn: UserDefinedFunction(fn, rt)
    return UserDefinedFunction(f, returnType)


# ---- sort keys and hints -----------------------------------------------------------------------
def asc(c: Any) -> Column:
    """Return a Column of Spark SQL's ``asc`` function (pyspark.sql.functions.asc)."""
    return to_column(c).asc()


def desc(c: Any) -> Column:
    """Return a Column of Spark SQL's ``desc`` function (pyspark.sql.functions.desc)."""
    return to_column(c).desc()


def broadcast(df: Any) -> Any:
    """Return ``df`` (a hint for Spark's planner; the engine here plans joins itself)."""
    return df


