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
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, health_check_interval=30, **extra)
        client.ping()
    except redis.AuthenticationError as exc:
        raise RedisUnavailableError(f"Redis at {redact(url)} rejected the credentials: {exc}") from exc
    except (redis.ConnectionError, redis.TimeoutError, OSError, ValueError) as exc:
        raise RedisUnavailableError(f"cannot reach Redis at {redact(url)}: {exc}") from exc
    except redis.ResponseError as exc:
        raise RedisUnavailableError(f"Redis at {redact(url)} answered with an error: {exc}") from exc
    return client
