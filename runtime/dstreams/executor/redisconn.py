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


def connect(url: str, timeout: float = 5.0) -> Any:
    """Return a redis client for ``url`` after a successful PING, or raise RedisUnavailableError.

    A URL without a password uses ``$DSTREAMS_REDIS_PASSWORD`` when it is set (the operator
    passes a Secret's value that way)."""
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
        probe = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout, **extra)
        try:
            probe.ping()
        finally:
            probe.close()
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, health_check_interval=30, **extra)
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
