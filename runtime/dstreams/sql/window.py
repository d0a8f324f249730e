"""Window specifications for window functions (``row_number().over(Window.partitionBy("k")
.orderBy("t"))``), as PySpark's ``pyspark.sql.Window``.

>>> from dstreams.sql.functions import col, row_number, sum
>>> w = Window.partitionBy("region").orderBy(col("qty").desc())
>>> row_number().over(w).sql()
'CAST(row_number() OVER (PARTITION BY "region" ORDER BY "qty" DESC NULLS LAST) AS INTEGER)'
>>> sum("qty").over(Window.partitionBy("region").rowsBetween(Window.unboundedPreceding, 0)).sql()
'sum("qty") OVER (PARTITION BY "region" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)'
"""
from __future__ import annotations

import sys
from typing import Any

from .column import columns_of

__all__ = ["Window", "WindowSpec"]

_UNBOUNDED = sys.maxsize


def _bound(value: int, preceding: bool) -> str:
    if value <= -_UNBOUNDED:
        return "UNBOUNDED PRECEDING"
    if value >= _UNBOUNDED:
        return "UNBOUNDED FOLLOWING"
    if value == 0:
        return "CURRENT ROW"
    return f"{-value} PRECEDING" if value < 0 else f"{value} FOLLOWING"


class WindowSpec:
    """Partitioning, ordering and frame of a window function; made with ``Window``'s methods."""

    def __init__(self, partition: list | None = None, order: list | None = None, frame: str | None = None) -> None:
        self._partition = partition or []
        self._order = order or []
        self._frame = frame

    def partitionBy(self, *cols: Any) -> "WindowSpec":
        """Return the spec with rows grouped by ``cols``."""
        return WindowSpec(columns_of(cols), self._order, self._frame)

    def orderBy(self, *cols: Any) -> "WindowSpec":
        """Return the spec with rows ordered by ``cols`` within a partition."""
        return WindowSpec(self._partition, columns_of(cols), self._frame)

    def rowsBetween(self, start: int, end: int) -> "WindowSpec":
        """Return the spec with a frame of rows relative to the current one (0: it;
        ``Window.unboundedPreceding``/``unboundedFollowing``: the partition's ends)."""
        return WindowSpec(self._partition, self._order, f"ROWS BETWEEN {_bound(start, True)} AND {_bound(end, False)}")

    def rangeBetween(self, start: int, end: int) -> "WindowSpec":
        """Return the spec with a frame of order-key values relative to the current row's."""
        return WindowSpec(self._partition, self._order, f"RANGE BETWEEN {_bound(start, True)} AND {_bound(end, False)}")

    def sql(self, scope: frozenset = frozenset()) -> str:
        """Return the ``OVER (...)`` clause's contents."""
        parts = []
        if self._partition:
            parts.append("PARTITION BY " + ", ".join(c.sql(scope) for c in self._partition))
        if self._order:
            parts.append("ORDER BY " + ", ".join(c._order_sql(scope) for c in self._order))
        if self._frame:
            parts.append(self._frame)
        return " ".join(parts)


class Window:
    """Builds WindowSpecs: ``Window.partitionBy(...)``, ``Window.orderBy(...)``."""

    unboundedPreceding = -_UNBOUNDED
    unboundedFollowing = _UNBOUNDED
    currentRow = 0

    @staticmethod
    def partitionBy(*cols: Any) -> WindowSpec:
        return WindowSpec().partitionBy(*cols)

    @staticmethod
    def orderBy(*cols: Any) -> WindowSpec:
        return WindowSpec().orderBy(*cols)

    @staticmethod
    def rowsBetween(start: int, end: int) -> WindowSpec:
        return WindowSpec().rowsBetween(start, end)

    @staticmethod
    def rangeBetween(start: int, end: int) -> WindowSpec:
        return WindowSpec().rangeBetween(start, end)
