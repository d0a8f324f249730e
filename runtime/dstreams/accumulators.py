"""Accumulators: variables that tasks only add to; the driver reads the merged value."""
from __future__ import annotations

import threading
import weakref
from typing import Any, Generic, TypeVar

from .taskcontext import TaskContext

__all__ = ["Accumulator", "AccumulatorParam", "INT_ACCUMULATOR_PARAM", "FLOAT_ACCUMULATOR_PARAM",
           "COMPLEX_ACCUMULATOR_PARAM"]

T = TypeVar("T")


class AccumulatorParam(Generic[T]):
    """How to make a zero value and add two values of an accumulator's type."""

    def zero(self, value: T) -> T:
        raise NotImplementedError

    def addInPlace(self, value1: T, value2: T) -> T:
        raise NotImplementedError


class _AddingParam(AccumulatorParam):
    def __init__(self, zero_value: Any) -> None:
        self.zero_value = zero_value

    def zero(self, value: Any) -> Any:
        return self.zero_value

    def addInPlace(self, value1: Any, value2: Any) -> Any:
        value1 += value2
        return value1


INT_ACCUMULATOR_PARAM = _AddingParam(0)
FLOAT_ACCUMULATOR_PARAM = _AddingParam(0.0)
COMPLEX_ACCUMULATOR_PARAM = _AddingParam(0.0j)

# driver-side accumulators by id; weak, so accumulators a program dropped (e.g. one per
# streaming batch) do not pile up: updates for a dropped one have no reader anyway
_registry: "weakref.WeakValueDictionary[int, Accumulator]" = weakref.WeakValueDictionary()
_registry_lock = threading.Lock()
_next_id = [0]


def _lookup(aid: int) -> "Accumulator | None":
    return _registry.get(aid)


class Accumulator(Generic[T]):
    """A shared variable tasks ``add`` to. Only the driver reads ``value``; a task's updates
    count once, when the task succeeds.

    >>> acc = Context.getOrCreate().accumulator(0)          # doctest: +SKIP
    >>> rdd.foreach(lambda x: acc.add(x)); acc.value          # doctest: +SKIP
    """

    def __init__(self, aid: int, value: T, accum_param: AccumulatorParam[T]) -> None:
        self.aid = aid
        self.accum_param = accum_param
        self._value = value
        self._deserialized = False
        self._lock = threading.Lock()

    @classmethod
    def _create(cls, value: T, accum_param: AccumulatorParam[T]) -> "Accumulator[T]":
        with _registry_lock:
            _next_id[0] += 1
            acc = cls(_next_id[0], value, accum_param)
            _registry[acc.aid] = acc
        return acc

    @property
    def value(self) -> T:
        if self._deserialized or TaskContext.get() is not None:
            raise RuntimeError("Accumulator.value cannot be accessed inside tasks")
        return self._value

    @value.setter
    def value(self, value: T) -> None:
        if self._deserialized or TaskContext.get() is not None:
            raise RuntimeError("Accumulator.value cannot be accessed inside tasks")
        self._value = value

    def add(self, term: T) -> None:
        """Add ``term``: inside a task to that task's updates, on the driver to the value."""
        tc = TaskContext.get()
        if tc is None and not self._deserialized:
            with self._lock:
                self._value = self.accum_param.addInPlace(self._value, term)
            return
        if tc is None:
            raise RuntimeError("a deserialized accumulator can only be added to inside a task")
        updates = tc.accumulator_updates
        cur = updates.get(self.aid)
        if cur is None:
            cur = self.accum_param.zero(self._value)
        updates[self.aid] = self.accum_param.addInPlace(cur, term)

    def __iadd__(self, term: T) -> "Accumulator[T]":
        self.add(term)
        return self

    def _merge(self, update: T) -> None:
        with self._lock:
            self._value = self.accum_param.addInPlace(self._value, update)

    def __reduce__(self):
        return (_deserialize_accumulator, (self.aid, self.accum_param.zero(self._value), self.accum_param))

    def __str__(self) -> str:
        return str(self._value)

    def __repr__(self) -> str:
        return f"Accumulator<id={self.aid}, value={self._value}>"


def _deserialize_accumulator(aid: int, zero: Any, param: AccumulatorParam) -> Accumulator:
    acc = Accumulator(aid, zero, param)
    acc._deserialized = True
    return acc


def merge_updates(updates: dict[int, Any]) -> None:
    """Apply one successful task's updates on the driver."""
    for aid, update in updates.items():
        acc = _lookup(aid)
        if acc is not None:
            acc._merge(update)
