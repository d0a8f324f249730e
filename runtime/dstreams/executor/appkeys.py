"""Deleting an application's Redis keys when its driver stops (all but the ones kept for the
operator to read, which expire instead)."""
from __future__ import annotations

from typing import Any

from ..protocol import KEPT_KEYS

__all__ = ["delete_app_keys"]


def delete_app_keys(r: Any, prefix: str, keep: tuple[str, ...] = KEPT_KEYS, keep_ttl: int = 3600) -> int:
    """Delete every key of an application but ``keep`` (which expire after ``keep_ttl`` s);
    return how many were deleted."""
    n = 0
    batch: list = []
    kept = {(prefix + k).encode() for k in keep}
    for k in kept:
        r.expire(k, keep_ttl)
    for k in r.scan_iter(prefix + "*", count=1000):
        if k in kept:
            continue
        batch.append(k)
        if len(batch) >= 500:
            n += r.unlink(*batch)
            batch = []
    if batch:
        n += r.unlink(*batch)
    return n
