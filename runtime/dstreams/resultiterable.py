"""ResultIterable: the values of one key after groupByKey / cogroup (as in PySpark)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["ResultIterable"]


class ResultIterable(Iterable):
    """A re-iterable wrapper around a list of values; ``len()`` works, ``.data`` is the list."""

    __slots__ = ("data", "index", "maxindex")

    def __init__(self, data: list) -> None:
        self.data = data
        self.index = 0
        self.maxindex = len(data)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ResultIterable):
            return self.data == other.data
        return NotImplemented

    def __repr__(self) -> str:
        return f"ResultIterable({self.data!r})"

    def __reduce__(self):
        return (ResultIterable, (self.data,))
