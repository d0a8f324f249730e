"""allocator.return_freed_memory: big buffers a process frees go back to the OS (glibc)."""
from __future__ import annotations

import os
import subprocess
import sys

PROGRAM = r"""
import sys, threading
import psutil
from dstreams.allocator import return_freed_memory
applied = return_freed_memory() if sys.argv[1] == "apply" else None
p = psutil.Process()
def work():
    big = bytearray(8 << 20); del big  # mapped then freed: glibc raises its threshold to 8 MB
    keep, bufs = [], []
    for i in range(40):
        bufs.append(b"x" * (2 << 20))  # 2 MB, written
        keep.append(b"y" * (200 << 10))  # a neighbour that stays
    before = p.memory_info().rss
    del bufs
    print(applied, (before - p.memory_info().rss) >> 20)
t = threading.Thread(target=work); t.start(); t.join()
"""


def _run(mode: str, **env: str) -> tuple[str, int]:
    clean = {k: v for k, v in os.environ.items() if k not in ("MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES")}
    out = subprocess.run([sys.executable, "-c", PROGRAM, mode], env={**clean, **env}, check=True,
                         capture_output=True, text=True, timeout=60).stdout.split()
    return out[0], int(out[1])


def test_freed_big_buffers_leave_the_process():
    applied, returned = _run("apply")
    assert applied == "True" and returned >= 60, returned  # 80 MB freed, nearly all returned
    _, kept_default = _run("leave")
    assert kept_default < 20, kept_default  # what glibc does by default: the heap keeps them


def test_the_environment_keeps_its_choice():
    applied, returned = _run("apply", MALLOC_MMAP_THRESHOLD_="33554432")
    assert applied == "False" and returned < 20
