"""Partitions and dependencies: the edges of an RDD's lineage graph."""
from __future__ import annotations

import itertools
import weakref
from typing import Any

from .partitioner import Partitioner
from .storage.shuffle import Aggregator

__all__ = ["Partition", "Dependency", "OneToOneDependency", "NarrowDependency", "ShuffleDependency"]

_shuffle_ids = itertools.count()


class Partition:
    """One slice of an RDD; subclasses carry what computing it needs (data, file range, parents)."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __getstate__(self):
        return {s: getattr(self, s) for cls in type(self).__mro__ for s in getattr(cls, "__slots__", ())}

    def __setstate__(self, state):
        for k, v in state.items():
            setattr(self, k, v)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.index})"


class Dependency:
    """An edge to a parent RDD."""

    is_shuffle = False

    def __init__(self, rdd: Any) -> None:
        self.rdd = rdd


class OneToOneDependency(Dependency):
    """Partition i of the child reads partition i of the parent."""

    def parents(self, index: int) -> list[int]:
        return [index]


class NarrowDependency(Dependency):
    """Each child partition reads a known set of parent partitions (union, coalesce, cartesian)."""

    def __init__(self, rdd: Any, parents_of: Any) -> None:
        super().__init__(rdd)
        self._parents_of = parents_of

    def parents(self, index: int) -> list[int]:
        return list(self._parents_of(index))


class ShuffleDependency(Dependency):
    """The child reads every parent partition's bucket for its own partition."""

    is_shuffle = True

    def __init__(self, rdd: Any, partitioner: Partitioner, aggregator: Aggregator | None) -> None:
        super().__init__(rdd)
        self.partitioner = partitioner
        self.aggregator = aggregator
        self.shuffle_id = next(_shuffle_ids)
        cleaner = getattr(rdd.ctx, "_cleaner", None) if rdd.ctx is not None else None
        if cleaner is not None:
            weakref.finalize(self, cleaner.clean_shuffle, self.shuffle_id)

    def __getstate__(self):
        return {"rdd": self.rdd, "partitioner": self.partitioner, "aggregator": self.aggregator,
                "shuffle_id": self.shuffle_id}

    def __setstate__(self, state):
        self.__dict__.update(state)
