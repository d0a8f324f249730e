"""``DataFrame.show()``'s text, in Spark's exact format: values cast to strings the way Spark
casts them (``NULL``, ``true``, ``1.0E10``, ``[a, b]``, ``{k -> v}``), cells right-aligned and
truncated to 20 characters by default, wide (East Asian) characters counted twice.

>>> print(format_table(["word", "total"], [("spark", 2), ("a", None)]), end="")
+-----+-----+
| word|total|
+-----+-----+
|spark|    2|
|    a| NULL|
+-----+-----+
"""
from __future__ import annotations

import datetime
import decimal
import struct
import unicodedata
from collections.abc import Sequence
from typing import Any

from .types import DataType, FloatType

__all__ = ["format_table", "cell_text", "java_double", "java_float"]


def java_double(x: float) -> str:
    """Return ``x`` as Java's ``Double.toString`` writes it (what Spark shows).

    >>> java_double(1.0), java_double(1e10), java_double(0.0001), java_double(123.45)
    ('1.0', '1.0E10', '1.0E-4', '123.45')
    """
    return _java_decimal(x, repr(x))


def java_float(x: float) -> str:
    """Return a 32-bit float as Java's ``Float.toString`` writes it (the shortest digits that
    round-trip as a float, not as a double).

    >>> java_float(0.10000000149011612)
    '0.1'
    """
    if x != x or x in (float("inf"), float("-inf")) or x == 0:
        return _java_decimal(x, repr(x))
    f32 = struct.unpack("f", struct.pack("f", x))[0]
    for p in range(1, 10):
        text = f"{f32:.{p}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            return _java_decimal(f32, text)
    return _java_decimal(f32, repr(f32))


def _java_decimal(x: float, text: str) -> str:
    if x != x:
        return "NaN"
    if x == float("inf"):
        return "Infinity"
    if x == float("-inf"):
        return "-Infinity"
    if x == 0:
        return "-0.0" if str(x).startswith("-") else "0.0"
    d = decimal.Decimal(text)
    sign, digits, exp = d.as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    exp = int(exp) + (len(digits) - len(ds))
    neg = "-" if sign else ""
    if 1e-3 <= abs(x) < 1e7:
        fixed = format(decimal.Decimal(f"{ds}E{exp}"), "f")
        if "." not in fixed:
            fixed += ".0"
        return neg + fixed
    e10 = len(ds) + exp - 1
    return f"{neg}{ds[0]}.{ds[1:] or '0'}E{e10}"


def _timestamp_text(t: datetime.datetime) -> str:
    text = t.strftime("%Y-%m-%d %H:%M:%S")
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text


def _interval_text(td: datetime.timedelta) -> str:
    total = int(td.total_seconds() * 1_000_000)
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rem = divmod(total, 86_400_000_000)
    h, rem = divmod(rem, 3_600_000_000)
    m, rem = divmod(rem, 60_000_000)
    s, us = divmod(rem, 1_000_000)
    frac = f".{us:06d}".rstrip("0") if us else ""
    return f"INTERVAL '{sign}{days} {h:02d}:{m:02d}:{s:02d}{frac}' DAY TO SECOND"


def cell_text(value: Any, dataType: DataType | None = None, nested: bool = False) -> str:
    """Return a value as Spark's cast to string writes it in ``show()``.

    >>> cell_text(None), cell_text(True), cell_text([1, None, "a"]), cell_text({"k": 1.5})
    ('NULL', 'true', '[1, NULL, a]', '{k -> 1.5}')
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_float(value) if isinstance(dataType, FloatType) else java_double(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        return _timestamp_text(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return _interval_text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "[" + " ".join(f"{b:02X}" for b in bytes(value)) + "]"
    if isinstance(value, tuple):  # a Row: a struct
        fields = getattr(dataType, "fields", None)
        types: list[DataType | None] = [f.dataType for f in fields] if fields else [None] * len(value)
        return "{" + ", ".join(cell_text(v, t, True) for v, t in zip(value, types)) + "}"
    if isinstance(value, list):
        et = getattr(dataType, "elementType", None)
        return "[" + ", ".join(cell_text(v, et, True) for v in value) + "]"
    if isinstance(value, dict):
        kt, vt = getattr(dataType, "keyType", None), getattr(dataType, "valueType", None)
        return "{" + ", ".join(f"{cell_text(k, kt, True)} -> {cell_text(v, vt, True)}" for k, v in value.items()) + "}"
    return str(value)


def half_width(s: str) -> int:
    """Return the display width of ``s``: wide and full-width characters count as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def _truncated(s: str, truncate: int) -> str:
    if truncate > 0 and len(s) > truncate:
        return s[:truncate] if truncate < 4 else s[:truncate - 3] + "..."
    return s


def format_table(names: Sequence[str], rows: Sequence[Sequence[Any]], types: Sequence[DataType | None] | None = None,
                 truncate: int = 20, vertical: bool = False, has_more: bool = False) -> str:
    """Return the text ``show()`` prints for ``rows`` (already limited to the rows to show);
    ``has_more`` adds Spark's "only showing top N rows" line."""
    types = list(types) if types is not None else [None] * len(names)
    cells = [[_truncated(cell_text(v, t), truncate) for v, t in zip(row, types)] for row in rows]
    heads = [_truncated(n, truncate) for n in names]
    n = len(rows)
    out: list[str] = []
    if not vertical:
        widths = [3] * len(heads)
        for line in [heads] + cells:
            for i, c in enumerate(line):
                widths[i] = max(widths[i], half_width(c))

        def pad(c: str, w: int) -> str:
            fill = " " * (w - half_width(c))
            return fill + c if truncate > 0 else c + fill

        sep = "+" + "+".join("-" * w for w in widths) + "+"
        out.append(sep)
        out.append("|" + "|".join(pad(h, w) for h, w in zip(heads, widths)) + "|")
        out.append(sep)
        for line in cells:
            out.append("|" + "|".join(pad(c, w) for c, w in zip(line, widths)) + "|")
        out.append(sep)
    else:
        name_w = max([half_width(h) for h in heads] or [0])
        data_w = max([half_width(c) for line in cells for c in line] or [0])
        if not cells:
            out.append("(0 rows)")
        for i, line in enumerate(cells):
            head = f"-RECORD {i}"
            out.append(head + "-" * max(0, name_w + data_w + 5 - len(head)))
            for h, c in zip(heads, line):
                out.append(f" {h}{' ' * (name_w - half_width(h))} | {c}{' ' * (data_w - half_width(c))} ")
    if has_more:
        out.append(f"only showing top {n} {'row' if n == 1 else 'rows'}")
    return "\n".join(out) + "\n"
