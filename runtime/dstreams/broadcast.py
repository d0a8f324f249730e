"""Broadcast variables: a read-only value shipped once to every executor."""
from __future__ import annotations

from typing import Any, Generic, TypeVar

from .errors import BlockNotFoundError
from .taskcontext import TaskContext

__all__ = ["Broadcast"]

T = TypeVar("T")


def _block_id(bid: int) -> str:
    return f"broadcast-{bid}"


class Broadcast(Generic[T]):
    """A value read in tasks through ``.value``; created with ``Context.broadcast(value)``.

    Pickled as its id: an executor fetches the value once from the block store and caches it.
    """

    def __init__(self, bid: int, value: T, ctx: Any = None) -> None:
        self.bid = bid
        self._value = value
        self._ctx = ctx
        self._destroyed = False

    @property
    def value(self) -> T:
        if self._destroyed:
            raise RuntimeError(f"broadcast {self.bid} was destroyed and cannot be used")
        if self._value is _UNLOADED:
            self._value = _fetch(self.bid)
        return self._value

    def unpersist(self, blocking: bool = False) -> None:
        """Drop executor copies; the value is re-sent if used again."""
        if self._ctx is not None:
            self._ctx._unpersist_broadcast(self.bid, keep_driver=True)

    def destroy(self, blocking: bool = False) -> None:
        """Drop every copy; using the broadcast afterwards raises."""
        if self._ctx is not None:
            self._ctx._unpersist_broadcast(self.bid, keep_driver=False)
        self._destroyed = True

    def __reduce__(self):
        if self._ctx is not None:
            self._ctx._publish_broadcast(self)
        return (_load_broadcast, (self.bid,))

    def __repr__(self) -> str:
        return f"Broadcast<id={self.bid}>"


_UNLOADED: Any = object()


def _load_broadcast(bid: int) -> Broadcast:
    """Unpickle a broadcast as a stub; its value is fetched on first use inside a task."""
    return Broadcast(bid, _UNLOADED)


def _fetch(bid: int) -> Any:
    tc = TaskContext.get()
    if tc is None:
        raise RuntimeError(f"broadcast {bid}'s value can only be read on the driver or inside a task")
    env = tc.env
    cache = env.broadcasts
    if bid not in cache:
        with env.lock:
            if bid not in cache:
                block = env.block_store.get(_block_id(bid))
                if block is None:
                    raise BlockNotFoundError(f"broadcast {bid} is not in the block store (destroyed?)")
                cache[bid] = block[0]
    return cache[bid]
