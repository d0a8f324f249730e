"""ReducedWindowedDStream: reduceByKeyAndWindow with an inverse function, maintained incrementally.

As in PySpark's ``PythonReducedWindowedDStream``: when the previous window's RDD exists and the
window spans at least five slides, the new window is ``previous - expired slices + new slices``
(then ``filterFunc``); otherwise the slices of the window are reduced in full. Only the new and
the expired slices are read, so the per-batch work does not grow with the window.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..storagelevel import StorageLevel
from .dstream import DStream

__all__ = ["ReducedWindowedDStream"]


class ReducedWindowedDStream(DStream):
    """Windowed reduce by key, incremental with ``invFunc``; must be checkpointed."""

    def __init__(self, reduced: DStream, func: Callable, invFunc: Callable, window_ms: int, slide_ms: int,
                 numPartitions: int, filterFunc: Callable | None) -> None:
        parent_slide = reduced._slide_ms
        if window_ms % parent_slide:
            raise ValueError(f"The window duration of ReducedWindowedDStream ({window_ms} ms) must be "
                             f"multiple of the slide duration of parent DStream ({parent_slide} ms)")
        if slide_ms % parent_slide:
            raise ValueError(f"The slide duration of ReducedWindowedDStream ({slide_ms} ms) must be "
                             f"multiple of the slide duration of parent DStream ({parent_slide} ms)")
        super().__init__(reduced._ssc, [reduced], slide_ms)
        self._window_ms = window_ms
        self._must_checkpoint = True
        self._storage_level = StorageLevel.MEMORY_ONLY
        if reduced._storage_level is None:  # every slice is read twice: when it enters and when it leaves
            reduced._storage_level = StorageLevel.MEMORY_ONLY

        def reduceFunc(a, b):
            b = b.reduceByKey(func, numPartitions)
            r = a.union(b).reduceByKey(func, numPartitions) if a is not None else b
            if filterFunc:
                r = r.filter(filterFunc)
            return r

        def invReduceFunc(a, b):
            b = b.reduceByKey(func, numPartitions)
            joined = a.leftOuterJoin(b, numPartitions)
            return joined.mapValues(lambda kv: invFunc(kv[0], kv[1]) if kv[1] is not None else kv[0])

        self._reduce_func = reduceFunc
        self._inv_reduce_func = invReduceFunc

    def _stateful_name(self) -> str:
        return f"reduceByKeyAndWindow with an inverse function (at {self._site})"

    def _parent_remember_ms(self) -> int | None:
        return (self._remember_ms or 0) + self._window_ms

    def _union(self, rdds: list) -> Any:
        return rdds[0] if len(rdds) == 1 else self._sc.union(rdds)

    def _compute(self, t: int) -> Any:
        parent = self._parents[0]
        pslide = parent._slide_ms
        current_begin, current_end = t - self._window_ms, t
        previous_begin, previous_end = current_begin - self._slide_ms, current_end - self._slide_ms
        previous = self._get_or_compute(previous_end)
        if previous is not None and self._window_ms >= self._slide_ms * 5:
            old = parent._slice(previous_begin + pslide, current_begin)
            subtracted = self._inv_reduce_func(previous, self._union(old)) if old else previous
            new = parent._slice(previous_end + pslide, current_end)
            return self._reduce_func(subtracted, self._union(new)) if new else subtracted
        current = parent._slice(current_begin + pslide, current_end)
        return self._reduce_func(None, self._union(current)) if current else None
