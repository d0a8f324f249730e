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


def parse_master(url: str) -> Master:
    """Return the parsed form of ``url`` or raise MasterURLError listing the accepted forms.

    >>> parse_master("local[4]").cores
    4
    """
    text = (url or "").strip()
    m = _LOCAL.match(text)
    if m:
        kind = "local-processes" if m.group(1) else "local"
        n = m.group(2)
        cores = (os.cpu_count() or 1) if n == "*" else int(n or 1)
        if cores < 1:
            raise MasterURLError(f"master {url!r}: the number of {'workers' if m.group(1) else 'threads'} "
                                 "must be at least 1")
        return Master(kind, cores, text, int(m.group(3)) if m.group(3) else None)
    m = _LOCAL_CLUSTER.match(text)
    if m:
        n = int(m.group(1))
        if n < 1:
            raise MasterURLError(f"master {url!r}: local-cluster needs at least 1 executor")
        return Master("local-cluster", n, text)
    if text.startswith(("redis://", "rediss://", "unix://")):
        return Master("redis", 0, text)
    raise MasterURLError(
        f"invalid master URL {url!r}; accepted forms: " + ", ".join(ACCEPTED_FORMS)
    )
