"""A driver's resident memory that follows its use: glibc told to give big buffers back.

glibc serves an allocation above its mmap threshold (128 KiB at start) with its own mapping
and unmaps it when freed. But the first time such a buffer is freed it raises the threshold
to that buffer's size (up to 32 MiB), so later buffers of that size come from its heaps, where
freed memory stays resident between live neighbours, one heap per thread. A cluster-mode
driver holds long-lived data (queued batches, parallelized collections) and, from several
threads, pickles multi-MB blocks of it every batch: it ended up holding 40-70 MB it no longer
used (local-cluster[2] shuffle benchmark). Fixing the threshold keeps those buffers mapped.

Only drivers whose tasks run elsewhere do this (``Context`` with a master other than
``local[N]``): a mapping costs page faults each time it is touched, about a tenth of a task's
time when executors did it, while the heap reuses warm memory. Setting glibc's own
``MALLOC_MMAP_THRESHOLD_`` (or a ``glibc.malloc`` entry of ``GLIBC_TUNABLES``) leaves the choice
to the environment. Elsewhere than glibc this does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

__all__ = ["return_freed_memory", "MMAP_THRESHOLD"]

log = logging.getLogger("dstreams.memory")

MMAP_THRESHOLD = 1 << 20  # buffers of 1 MiB and more are mapped, and unmapped when freed
_M_MMAP_THRESHOLD = -3  # mallopt parameter numbers, from glibc's malloc.h
_applied: int | None = None


def _user_chose() -> bool:
    return "MALLOC_MMAP_THRESHOLD_" in os.environ or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", "")


def return_freed_memory(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes for this process.

    Returns True when the setting was applied (now or by an earlier call), False when the
    environment already chooses, or the C library is not glibc.
    """
    global _applied
    if _applied == threshold:
        return True
    if _user_chose():
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it (musl has mallopt as a stub)
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    if mallopt(_M_MMAP_THRESHOLD, threshold) != 1:
        log.debug("mallopt(M_MMAP_THRESHOLD, %d) refused", threshold)
        return False
    _applied = threshold
    return True
