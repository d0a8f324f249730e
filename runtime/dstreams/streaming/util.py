"""Small helpers of the streaming layer: durations and batch times, function arity, conf."""
from __future__ import annotations

import inspect
import time as _time
from datetime import datetime
from typing import Any, Callable

__all__ = ["to_ms", "ms_to_datetime", "datetime_to_ms", "arity", "rddToFileName"]


def to_ms(seconds: float | int | None, what: str = "duration") -> int | None:
    """Return a duration given in seconds as whole milliseconds (None stays None)."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, got {seconds!r}")
    ms = int(round(seconds * 1000))
    if ms <= 0:
        raise ValueError(f"{what} must be positive, got {seconds!r} s")
    return ms


def ms_to_datetime(ms: int) -> datetime:
    """Return the batch time ``ms`` (milliseconds since the epoch) as a local datetime, as PySpark does."""
    return datetime.fromtimestamp(ms / 1000.0)


def datetime_to_ms(t: Any) -> int:
    """Return a datetime or a unix timestamp in seconds as milliseconds since the epoch."""
    if isinstance(t, datetime):
        seconds = _time.mktime(t.timetuple())
        return int(seconds * 1000) + t.microsecond // 1000
    if isinstance(t, (int, float)):
        return int(round(t * 1000))
    raise TypeError(f"a time must be a datetime or a unix timestamp in seconds, got {t!r}")


def arity(func: Callable) -> int:
    """Return how many positional arguments ``func`` takes (PySpark checks ``co_argcount``)."""
    code = getattr(func, "__code__", None)
    if code is not None and not inspect.ismethod(func):
        return code.co_argcount
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return 1
    n = 0
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            n += 1
        elif p.kind is p.VAR_POSITIONAL:
            return max(n, 1)
    return n


def rddToFileName(prefix: str, suffix: str | None, timestamp: Any) -> str:
    """Return the output path of one batch: ``prefix-<ms>[.suffix]`` (PySpark's naming)."""
    if isinstance(timestamp, datetime):
        timestamp = datetime_to_ms(timestamp)
    if suffix is None:
        return f"{prefix}-{timestamp}"
    return f"{prefix}-{timestamp}.{suffix}"
