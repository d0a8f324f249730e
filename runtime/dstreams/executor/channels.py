"""The Redis backend's capabilities for streaming: the receiver channel and the progress sink.

Both are small objects over the application's keys (dstreams.protocol). The receiver channel
travels inside receiver tasks (it pickles as its Redis URL and app id and reconnects on the
executor), so the receiver code in ``sources/`` never sees Redis.
"""
from __future__ import annotations

import json
import logging
import pickle
from typing import Any

from ..protocol import Keys
from .redisconn import connect

__all__ = ["RedisReceiverChannel", "RedisProgressSink"]

log = logging.getLogger("dstreams.cluster")


class RedisReceiverChannel:
    """Blocks reported by receivers on executors, through ``received:{stream}`` lists."""

    def __init__(self, redis_url: str, app_id: str, client: Any = None) -> None:
        self.redis_url = redis_url
        self.keys = Keys(app_id)
        self._r = client

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
        return [pickle.loads(b) for b in items]

    def close(self, session: str) -> None:
        self.r.set(self.keys.receivers_stop, session)

    # -- executor side -----------------------------------------------------------------------
    def report(self, stream_id: int, block_id: str, num_records: int) -> None:
        self.r.rpush(self.keys.received(stream_id), pickle.dumps((block_id, num_records), protocol=5))

    def should_stop(self, session: str) -> bool:
        try:
            stop_for, owner = self.r.mget([self.keys.receivers_stop, self.keys.driver])
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
