"""queueStream: a stream of RDDs (or lists) taken from a queue, one per batch or all at once."""
from __future__ import annotations

import logging
import queue as _queue
from collections import deque
from typing import Any

from ..streaming.dstream import InputDStream

__all__ = ["QueueInputDStream"]

log = logging.getLogger("dstreams.streaming")
STORE_AHEAD = 1


def _peek(q: deque, n: int) -> list:
    """The first ``n`` items of a deque another thread may be taking items from."""
    out = []
    for i in range(n):
        try:
            out.append(q[i])
        except IndexError:
            break
    return out


def _is_rdd(x: Any) -> bool:
    return hasattr(x, "mapPartitionsWithIndex") and hasattr(x, "getNumPartitions")


class QueueInputDStream(InputDStream):
    """Each batch takes the next queued item (or all of them); lists become RDDs.

    A list passed in is copied at creation (as PySpark does); a ``deque`` or ``queue.Queue``
    is read live. The queue is not part of checkpoints: after a recovery it starts empty.
    """

    _transient = InputDStream._transient + ("_queue", "_default", "_taken", "_made", "_own")

    def __init__(self, ssc: Any, rdds: Any, oneAtATime: bool = True, default: Any = None) -> None:
        super().__init__(ssc)
        self._own: set[int] = set()  # ids of the RDDs this stream made of queued lists
        if isinstance(rdds, (deque, _queue.Queue)):
            self._queue = rdds
        else:
            items = list(rdds or [])
            # PySpark parallelizes (and serializes) every item at queueStream() time; so do we,
            # but the cluster modes' block store gets an item's data only a batch ahead of its
            # turn (_store_ahead) and drops it once its batch is done (_clear_metadata): a long
            # queue is not held twice for its whole life
            self._queue = deque(x if _is_rdd(x) else self._made_rdd(x) for x in items)
            self._store_ahead()
        if default is not None and not _is_rdd(default):
            default = self._sc.parallelize(list(default))
        self._one = oneAtATime
        self._default = default
        self._taken: dict[int, list] = {}
        self._made: dict[int, list] = {}

    def _made_rdd(self, data: Any) -> Any:
        """An RDD of a queued list; once its batch is done its stored copy is dropped
        (``_clear_metadata``): the driver keeps the data, the store needs it no longer."""
        rdd = self._sc.parallelize(list(data))
        self._own.add(rdd.id)
        return rdd

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._queue = deque()
        self._default = None
        self._taken = {}
        self._made = {}
        self._own = set()

    def _restore(self, ssc: Any) -> None:
        super()._restore(ssc)
        log.warning("queueStream %s is not checkpointed: after the recovery its queue is empty", self._site)

    def _pop(self) -> tuple[bool, Any]:
        q = self._queue
        if isinstance(q, _queue.Queue):
            try:
                return True, q.get_nowait()
            except _queue.Empty:
                return False, None
        try:
            return True, q.popleft()
        except IndexError:
            return False, None

    def _on_tick(self, t: int) -> None:
        if t in self._taken:
            return
        items = []
        while True:
            ok, item = self._pop()
            if not ok:
                break
            items.append(item)
            if self._one:
                break
        self._taken[t] = items

    def _after_batch(self, t: int) -> None:
        self._store_ahead()

    def _store_ahead(self) -> None:
        """Have the next STORE_AHEAD queued RDDs store their data (partitions() does it)."""
        q = self._queue
        if isinstance(q, deque):
            for item in _peek(q, STORE_AHEAD):
                if _is_rdd(item):
                    item.getNumPartitions()

    def _compute(self, t: int) -> Any:
        items = self._taken.pop(t, [])
        rdds = [x if _is_rdd(x) else self._made_rdd(x) for x in items]
        self._made[t] = [r for r in rdds if r.id in self._own]
        if not rdds:
            return self._default if self._default is not None else self._sc.emptyRDD()
        return rdds[0] if len(rdds) == 1 else self._sc.union(rdds)

    def _prune(self, cutoff: int) -> None:
        for k in [k for k in self._taken if k <= cutoff]:
            del self._taken[k]

    def _clear_metadata(self, t: int) -> None:
        """The batch of time ``t`` is done: drop the block store's copy of the data it took.
        Later batches read it again only through a window, which caches its parent's RDDs; a
        stage that still needs it (a transform holding an old RDD) stores it again from the
        driver's slices (``_republish``)."""
        super()._clear_metadata(t)
        for k in [k for k in self._made if k <= t]:
            for rdd in self._made.pop(k):
                self._own.discard(rdd.id)
                rdd._unpublish()
