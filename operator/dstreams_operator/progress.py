"""The operator's look at a job's Redis: is it reachable, and what progress did the driver report?

The driver holds ``dstreams:{appId}:driver`` (a lease with a TTL of a few seconds) while it runs:
a new driver is only started once the previous one's lease is gone. It writes
``dstreams:{appId}:progress`` after every completed batch, a JSON object::

    {"state": "running" | "stopped" | "failed", "lastBatchTime": "<RFC 3339>",
     "processingDelayMs": int, "schedulingDelayMs": int, "totalDelayMs": int,
     "batchesCompleted": int, "message": str, "updatedAt": "<RFC 3339>"}

so the operator puts the last batch and its delays into the StreamJob's status without reading
logs. Calls block (with short timeouts): the handlers run them in a thread.
"""
from __future__ import annotations

import json
import threading
from typing import Any

from dstreams.protocol import lease_key, progress_key

from .reconcile import RedisView
from .spec import redact_url

__all__ = ["RedisProbe"]


class RedisProbe:
    """Pings a job's Redis and reads its progress record; keeps one client per URL."""

    def __init__(self, timeout: float = 2.0) -> None:
        self.timeout = timeout
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    def _client(self, url: str, password: str | None) -> Any:
        import redis
        key = (url, password)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                kwargs: dict[str, Any] = {"socket_connect_timeout": self.timeout, "socket_timeout": self.timeout}
                if password:
                    kwargs["password"] = password
                client = redis.Redis.from_url(url, **kwargs)
                if len(self._clients) > 256:
                    self.close()
                self._clients[key] = client
            return client

    def probe(self, url: str, app_id: str, password: str | None = None) -> RedisView:
        """Return whether Redis at ``url`` answers and the driver's progress record (or None)."""
        import redis
        where = redact_url(url)
        try:
            pipe = self._client(url, password).pipeline(transaction=False)
            pipe.get(progress_key(app_id))
            pipe.pttl(lease_key(app_id))
            raw, ttl = pipe.execute()
        except redis.AuthenticationError as exc:
            return RedisView(False, f"Redis at {where} rejected the credentials: {exc}")
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            self._drop(url, password)
            return RedisView(False, f"cannot reach Redis at {where}: {exc}")
        except (redis.RedisError, ValueError) as exc:
            return RedisView(False, f"Redis at {where} answered with an error: {exc}")
        progress = None
        if raw:
            try:
                value = json.loads(raw)
                progress = value if isinstance(value, dict) else None
            except ValueError:
                progress = None
        lease = None if ttl is None or ttl == -2 else int(ttl)   # -2: no lease, -1: no expiry
        return RedisView(True, None, progress, lease)

    def _drop(self, url: str, password: str | None) -> None:
        with self._lock:
            client = self._clients.pop((url, password), None)
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001
                pass

    def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for c in clients:
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass
