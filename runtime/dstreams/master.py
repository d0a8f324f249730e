"""Parsing of master URLs: ``local``, ``local[N]``, ``local[*]``, ``local-processes[N]``,
``local-cluster[N]``, ``redis://...``."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .errors import MasterURLError

ACCEPTED_FORMS = (
    "local",
    "local[N]",
    "local[*]",
    "local[N, maxFailures]",
    "local-processes[N] (or [*], [N, maxFailures])",
    "local-cluster[N]",
    "redis://host:port/db (or rediss://)",
)


@dataclass(frozen=True)
class Master:
    """A parsed master: ``kind`` is 'local', 'local-processes', 'local-cluster' or 'redis'."""

    kind: str
    cores: int
    url: str
    max_failures: int | None = None

    def __str__(self) -> str:
        return self.url


_LOCAL = re.compile(r"^local(-processes)?(?:\[\s*(\*|\d+)\s*(?:,\s*(\d+)\s*)?\])?$")
_LOCAL_CLUSTER = re.compile(r"^local-cluster\[\s*(\d+)\s*(?:,\s*\d+\s*,\s*\d+\s*)?\]$")

#: the most task threads local[N] starts, and the most worker or executor processes
#: local-processes[N] and local-cluster[N] start (each is a Python process of its own)
MAX_LOCAL_THREADS = 4096
MAX_LOCAL_PROCESSES = 512


def _invalid(url: str | None, problem: str) -> MasterURLError:
    return MasterURLError(f"invalid master URL {url!r}: {problem}; accepted forms: " + ", ".join(ACCEPTED_FORMS))


def _count(url: str | None, n: int, what: str, cap: int) -> int:
    if n < 1:
        raise _invalid(url, f"the number of {what} must be at least 1")
    if n > cap:
        raise _invalid(url, f"{n} {what} is more than the {cap} this master supports on one machine "
                            f"(use N <= {cap}, or a redis:// cluster)")
    return n


def parse_master(url: str | None) -> Master:
    """Return the parsed form of ``url`` or raise MasterURLError naming the problem and listing
    the accepted forms (an empty URL, or more than MAX_LOCAL_THREADS threads / MAX_LOCAL_PROCESSES
    processes, is an error).

    >>> parse_master("local[4]").cores
    4
    >>> parse_master("local-cluster[2]").kind
    'local-cluster'
    >>> parse_master("local[99999]")
    Traceback (most recent call last):
    ...
    dstreams.errors.MasterURLError: invalid master URL 'local[99999]': 99999 threads is more than the 4096 ...
    """
    text = (url or "").strip()
    if not text:
        raise _invalid(url, "it is empty (leave the master unset to get the default local[*])")
    m = _LOCAL.match(text)
    if m:
        processes = bool(m.group(1))
        kind = "local-processes" if processes else "local"
        n = m.group(2)
        cap = MAX_LOCAL_PROCESSES if processes else MAX_LOCAL_THREADS
        # [*] is one per CPU, at most the cap; an explicit N over the cap is an error
        cores = min(os.cpu_count() or 1, cap) if n == "*" else int(n or 1)
        _count(url, cores, "workers" if processes else "threads", cap)
        max_failures = int(m.group(3)) if m.group(3) else None
        if max_failures is not None and max_failures < 1:
            raise _invalid(url, "maxFailures must be at least 1")
        return Master(kind, cores, text, max_failures)
    m = _LOCAL_CLUSTER.match(text)
    if m:
        n = _count(url, int(m.group(1)), "executors", MAX_LOCAL_PROCESSES)
        return Master("local-cluster", n, text)
    if text.startswith(("redis://", "rediss://", "unix://")):
        return Master("redis", 0, text)
    raise _invalid(url, "not a master this engine runs on")
