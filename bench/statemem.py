"""How much memory the state of updateStateByKey takes, against its raw pickled size.

    python -m bench.statemem                       # 1,000,000 keys on local[2]
    python -m bench.statemem --keys 200000 --master 'local-cluster[2]'

The first batch brings every key (``key0000000``... with a count of 1), the following ones
update a few percent of them; the update function keeps running totals. Between batches
(on a manual clock, so nothing else runs) it measures the resident memory of the whole
process tree (the driver; in local-cluster also the executors and Redis, which holds the
cached state there) against the same measurement before the first batch, and the raw
pickled size of the state (``pickle.dumps`` of one dict of every (key, state)). The input
is generated inside the tasks, so the driver holds no copy of it. In local[N] it also reports
the bytes of the state's own storage (its cached blocks) and of the shuffle outputs the
recent batches keep for recomputation (as Spark keeps shuffle files) until a checkpoint
cuts the lineage. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import json
import pickle
import sys
import tempfile
import time
from typing import Any

from .memory import PeakMemory


def _trim() -> None:
    """Hand memory freed by the batches back to the OS (glibc keeps it otherwise), so that the
    resident size counts what is held, not what the allocator caches."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _total(new: list, old: Any) -> int:
    return sum(new) + (old or 0)


def _key(i: int) -> tuple:
    return ("key%07d" % i, 1)


def run(keys: int, master: str, partitions: int, batches: int, update_fraction: float) -> dict:
    from dstreams import Context
    from dstreams.streaming import ManualClock, StreamingContext

    ctx = Context(master, "bench-statemem")
    clock = ManualClock(0)
    ssc = StreamingContext(ctx, 1, clock=clock)
    ssc.checkpoint(tempfile.mkdtemp(prefix="bench-statemem-"))
    step = max(1, int(1 / update_fraction))
    queue = [ctx.range(0, keys, 1, partitions).map(_key)]
    queue += [ctx.range(b % step, keys, step, partitions).map(_key) for b in range(1, batches)]
    states = ssc.queueStream(queue, oneAtATime=True).updateStateByKey(_total, partitions)
    seen: list[int] = []
    states.foreachRDD(lambda rdd: seen.append(rdd.count()))
    mem = PeakMemory(interval=0.05)
    gc.collect()
    _trim()
    before = mem.sample()
    with mem:
        ssc.start()
        done_at = []
        for b in range(1, batches + 1):
            clock.advance(1000)
            deadline = time.monotonic() + 600
            while len(seen) < b:
                if time.monotonic() > deadline or ssc._error is not None:
                    raise SystemExit(f"batch {b} did not complete: {ssc._error}")
                time.sleep(0.01)
            done_at.append(time.monotonic())
        time.sleep(0.3)  # the batch's cleanup (unpersisting older states) runs after its output
        gc.collect()
        _trim()
        after = mem.sample()
    last = ssc._graph.output_streams[0]._parents[0]
    final = last._generated[max(last._generated)]
    state_bytes, shuffle_bytes = _stored_bytes(ctx, final)
    snapshot = dict(final.collect())
    raw = len(pickle.dumps(snapshot, protocol=5))
    ok = len(snapshot) == keys and sum(snapshot.values()) == keys + sum(
        len(range(b % step, keys, step)) for b in range(1, batches))
    del snapshot
    ssc.stop(True, False)
    ctx.stop()
    held = after - before
    mb = 2**20
    return {"master": master, "keys": keys, "partitions": partitions, "batches": batches,
            "state_ok": ok, "raw_pickled_mb": round(raw / mb, 1),
            "state_storage_mb": None if state_bytes is None else round(state_bytes / mb, 1),
            "state_storage_over_raw": None if state_bytes is None else round(state_bytes / raw, 2),
            "shuffle_outputs_mb": None if shuffle_bytes is None else round(shuffle_bytes / mb, 1),
            "held_mb": round(held / mb, 1), "held_over_raw": round(held / raw, 2),
            "peak_over_start_mb": round((mem.peak - before) / mb, 1),
            "rss_before_mb": round(before / mb, 1), "rss_after_mb": round(after / mb, 1)}


def _stored_bytes(ctx: Any, view_rdd: Any) -> tuple[int | None, int | None]:
    """(bytes of the state's cached blocks, bytes of all shuffle outputs), in local[N]."""
    from dstreams.storage.blocks import MemoryBlockStore
    store, shuffles = ctx.env.block_store, ctx.env.shuffle_store
    if not isinstance(store, MemoryBlockStore):
        return None, None
    state_rdd = view_rdd.prev if hasattr(view_rdd, "prev") else view_rdd
    prefix = f"rdd-{state_rdd.id}-"
    state = 0
    for bid in store.block_ids():
        if bid.startswith(prefix):
            for _, m in store.get(bid):
                state += len(m.blob) if hasattr(m, "blob") else len(pickle.dumps(m, protocol=5))
    shuffled = 0
    for buckets in list(getattr(shuffles, "_outputs", {}).values()):
        for b in buckets:
            shuffled += len(b) if isinstance(b, bytes) else len(pickle.dumps(b, protocol=5))
    return state, shuffled


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keys", type=int, default=1_000_000)
    p.add_argument("--master", default="local[2]")
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--batches", type=int, default=4)
    p.add_argument("--update-fraction", type=float, default=0.05, help="share of the keys updated per later batch")
    args = p.parse_args(argv)
    res = run(args.keys, args.master, args.partitions, args.batches, args.update_fraction)
    print("STATEMEM " + json.dumps(res), flush=True)
    return 0 if res["state_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
