"""The Redis backend's capabilities for streaming: the receiver channel and the progress sink.

Both are small objects over the application's keys (dstreams.protocol). The receiver channel
travels inside receiver tasks (it pickles as its Redis URL and app id and reconnects on the
executor), so the receiver code in ``sources/`` never sees Redis.
"""
from __future__ import annotations

import json
import logging
import pickle
import threading
import time
from collections import deque
from typing import Any

from ..protocol import Keys
from .redisconn import connect

__all__ = ["RedisReceiverChannel", "RedisProgressSink"]

log = logging.getLogger("dstreams.cluster")


#: how long a receiver remembers the blocks it reported, to report them again if Redis loses
#: the list before the driver took them (the driver ignores ids it already assigned)
REMEMBER_S = 120.0


class RedisReceiverChannel:
    """Blocks reported by receivers on executors, through ``received:{stream}`` lists.

    If Redis loses its data (the driver then sets a new ``epoch``), a receiver reports its recent
    blocks again: the ones the driver had not taken yet would otherwise vanish with the list
    (those whose data is gone too then fail their batch with BlockNotFoundError, never silently).
    """

    def __init__(self, redis_url: str, app_id: str, client: Any = None) -> None:
        self.redis_url = redis_url
        self.keys = Keys(app_id)
        self._r = client
        self._recent: deque[tuple[float, int, str, int]] = deque()
        self._epoch: bytes | None = None
        self._lock = threading.Lock()
        self._handed: dict[int, dict[str, float]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"redis_url": self.redis_url, "app_id": self.keys.app_id}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["redis_url"], state["app_id"])  # type: ignore[misc]

    @property
    def r(self) -> Any:
        if self._r is None:
            self._r = connect(self.redis_url)
        return self._r

    # -- driver side -------------------------------------------------------------------------
    def open(self, session: str) -> None:
        self.r.delete(self.keys.receivers_stop)

    def take_blocks(self, stream_id: int) -> list[tuple[str, int]]:
        pipe = self.r.pipeline(transaction=True)
        key = self.keys.received(stream_id)
        pipe.lrange(key, 0, -1)
        pipe.delete(key)
        items, _ = pipe.execute()
        now = time.monotonic()
        handed = self._handed.setdefault(stream_id, {})
        out = []
        for block_id, n in (pickle.loads(b) for b in items):
            if block_id not in handed:  # a block reported again after a Redis loss
                handed[block_id] = now
                out.append((block_id, n))
        if len(handed) > 1000:
            for b in [b for b, t in handed.items() if now - t > 2 * REMEMBER_S]:
                del handed[b]
        return out

    def close(self, session: str) -> None:
        self.r.set(self.keys.receivers_stop, session)

    # -- executor side -----------------------------------------------------------------------
    def report(self, stream_id: int, block_id: str, num_records: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent.append((now, stream_id, block_id, num_records))
            while self._recent and now - self._recent[0][0] > REMEMBER_S:
                self._recent.popleft()
        self.r.rpush(self.keys.received(stream_id), pickle.dumps((block_id, num_records), protocol=5))

    def _report_again(self) -> None:
        with self._lock:
            recent = list(self._recent)
        if not recent:
            return
        log.warning("Redis lost its data: reporting the receiver's last %d blocks again", len(recent))
        pipe = self.r.pipeline(transaction=False)
        for _, sid, block_id, n in recent:
            pipe.rpush(self.keys.received(sid), pickle.dumps((block_id, n), protocol=5))
        pipe.execute()

    def should_stop(self, session: str) -> bool:
        try:
            stop_for, owner, epoch = self.r.mget([self.keys.receivers_stop, self.keys.driver, self.keys.epoch])
            if epoch is not None and epoch != self._epoch:
                if self._epoch is not None:  # the driver saw Redis lose its data
                    self._report_again()
                self._epoch = epoch
        except Exception as exc:  # noqa: BLE001 - Redis restarting: keep receiving
            log.warning("receiver channel: cannot reach Redis: %s", exc)
            return False
        if stop_for is not None and stop_for.decode() == session:
            return True
        if owner is not None and owner.decode() != session:
            log.warning("the receiver's driver (session %s) was replaced; stopping", session)
            return True
        return False


class RedisProgressSink:
    """Writes the progress record to ``dstreams:{app}:progress`` for the operator."""

    def __init__(self, client: Any, app_id: str) -> None:
        self.r = client
        self.key = Keys(app_id).progress

    def publish(self, record: dict[str, Any]) -> None:
        self.r.set(self.key, json.dumps(record))
