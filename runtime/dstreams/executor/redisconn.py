"""Connecting to Redis with errors that name the URL (without its password)."""
from __future__ import annotations

import os
import re
from typing import Any

from ..errors import DStreamsError

__all__ = ["RedisUnavailableError", "connect", "redact"]


class RedisUnavailableError(DStreamsError, ConnectionError):
    """Redis could not be reached or refused the credentials."""


def redact(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


#: how long a command is retried while Redis cannot be reached (a restart, a failover, a blip)
RETRY_WINDOW_S = 30.0


def _retry_policy(window: float) -> Any:
    """Return a redis-py Retry that keeps retrying connection errors for about ``window`` s:
    backoff from 50 ms doubling to 1 s."""
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry
    steps, total, delay = 0, 0.0, 0.05
    while total < window:
        total += min(delay, 1.0)
        delay *= 2
        steps += 1
    return Retry(ExponentialBackoff(cap=1.0, base=0.05), steps)


def connect(url: str, timeout: float = 5.0, retry_window: float = RETRY_WINDOW_S) -> Any:
    """Return a redis client for ``url`` after a successful PING, or raise RedisUnavailableError.

    The client retries commands that meet a connection error for ``retry_window`` seconds (the
    first PING is not retried: a wrong URL fails at once). A URL without a password uses
    ``$DSTREAMS_REDIS_PASSWORD`` when it is set (the operator passes a Secret's value that way)."""
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - the redis extra is missing
        raise RedisUnavailableError(
            "the Redis data plane needs the 'redis' package: pip install 'dstreams[redis]'") from exc
    extra = {}
    password = os.environ.get("DSTREAMS_REDIS_PASSWORD")
    if password and redact(url) == url:  # a password from a Secret, for a URL that has none
        extra["password"] = password
    try:
        # the first PING with a read timeout too: a port that accepts and never answers fails here
        from redis.backoff import NoBackoff
        from redis.retry import Retry
        probe = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                     retry=Retry(NoBackoff(), 0), **extra)
        try:
            probe.ping()
        finally:
            probe.close()
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, health_check_interval=30,
                                      retry=_retry_policy(retry_window),
                                      retry_on_error=[redis.ConnectionError, redis.TimeoutError], **extra)
    except redis.AuthenticationError as exc:
        raise RedisUnavailableError(f"Redis at {redact(url)} rejected the credentials: {exc}") from exc
    except redis.TimeoutError as exc:
        raise RedisUnavailableError(
            f"{redact(url)} accepted the connection but did not answer PING within {timeout:g}s: "
            f"is it a Redis server?") from exc
    except (redis.ConnectionError, OSError, ValueError) as exc:
        raise RedisUnavailableError(f"cannot reach Redis at {redact(url)}: {exc}") from exc
    except redis.ResponseError as exc:
        raise RedisUnavailableError(f"Redis at {redact(url)} answered with an error: {exc}") from exc
    except redis.RedisError as exc:  # e.g. InvalidResponse: something else listens there
        raise RedisUnavailableError(
            f"{redact(url)} does not speak the Redis protocol (is it a Redis server? an HTTP or other "
            f"service on that port?): {type(exc).__name__}: {exc}") from exc
    return client
