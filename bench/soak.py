"""Soak test: a stateful stream on local-cluster[2] for a long time, with faults, checked for
exactness, memory and Redis keys at the end.

    python -m bench.soak                        # 60 minutes, an executor killed every 3 minutes
    python -m bench.soak --minutes 5 --fault-every 60
    make soak SOAK_MINUTES=60

Every batch brings ``--records`` records over ``--keys`` keys (drawn by a seeded generator in
the driver, so the expected totals are known); ``updateStateByKey`` keeps running totals with
checkpoints. Every ``--fault-every`` seconds one executor process is killed with SIGKILL (the
launcher replaces it; its tasks are rescheduled, lost map outputs recomputed from lineage). At
the end the state is compared with the expected totals key by key, and the resident memory of
the process tree (driver, executors, redis-server) and the number of the app's Redis keys are
reported every minute and at the end. Prints a JSON line; exits 1 when the totals differ.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from typing import Any

from .memory import PeakMemory


def main(argv: list[str] | None = None) -> int:
    """Run the soak; return 0 when the state is exact, else 1."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--fault-every", type=float, default=180.0, help="seconds between executor kills (0: none)")
    ap.add_argument("--keys", type=int, default=100_000)
    ap.add_argument("--records", type=int, default=20_000, help="records per batch")
    ap.add_argument("--interval", type=float, default=1.0, help="batch interval (s)")
    ap.add_argument("--master", default="local-cluster[2]")
    args = ap.parse_args(argv)

    from dstreams import Context, StreamingContext
    ctx = Context(args.master, "soak")
    ck = tempfile.mkdtemp(prefix="dstreams-soak-")
    ssc = StreamingContext(ctx, args.interval)
    ssc.checkpoint(ck)
    n_keys, per_part = args.keys, args.records // 4
    times: list[int] = []                # the batch times processed, in order

    def generate(t: int, part: int) -> list[str]:
        """The keys of partition ``part`` of the batch of time ``t`` (the same on every re-run)."""
        rng = random.Random(t * 8 + part)
        return [f"k{rng.randrange(n_keys):06d}" for _ in range(per_part)]

    seeds = ctx.parallelize(range(4), 4)
    def batch_keys(t: Any, rdd: Any) -> Any:
        ms = int(t.timestamp() * 1000)
        return rdd.flatMap(lambda part: generate(ms, part))

    records = ssc.queueStream([], default=seeds).transform(batch_keys)
    state = records.map(lambda k: (k, 1)).updateStateByKey(lambda vs, s: (s or 0) + sum(vs))
    final: dict[str, Any] = {"want": False, "state": None, "upto": None}

    def output(t: Any, rdd: Any) -> None:
        times.append(int(t.timestamp() * 1000))
        if final["want"] and final["state"] is None:
            final["state"], final["upto"] = dict(rdd.collect()), len(times)

    state.foreachRDD(output)
    done = times
    log: list[dict] = []
    faults = 0
    started = time.monotonic()
    next_fault = started + args.fault_every if args.fault_every > 0 else float("inf")
    next_report = started + 60
    with PeakMemory(interval=1.0) as mem:
        ssc.start()
        while time.monotonic() - started < args.minutes * 60:
            if time.monotonic() >= next_fault:
                pids = ctx._backend.launcher.pids() if getattr(ctx._backend, "launcher", None) else []
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    faults += 1
                next_fault += args.fault_every
            if time.monotonic() >= next_report:
                log.append(_report(ctx, mem, started, len(done), faults))
                print(json.dumps(log[-1]), file=sys.stderr, flush=True)
                next_report += 60
            if ssc.awaitTerminationOrTimeout(0.05):
                break
        final["want"] = True  # the next batch collects the whole state
        deadline = time.monotonic() + 120
        while final["state"] is None and time.monotonic() < deadline:
            ssc.awaitTerminationOrTimeout(0.1)
        final_report = _report(ctx, mem, started, len(done), faults)
        ssc.stop(stopSparkContext=False, stopGraceFully=False)
    got = final["state"]
    expected: Counter = Counter()
    for t in sorted(set(times[:final["upto"] or 0])):   # each batch time once, whatever re-ran
        for part in range(4):
            expected.update(generate(t, part))
    fed_records = sum(expected.values())
    exact = got is not None and got == dict(expected)
    if got is not None and not exact:
        diff = {k for k in set(got) | set(expected) if got.get(k) != expected.get(k)}
        print(json.dumps({"state_total": sum(got.values()), "expected_total": fed_records, "keys_differing": len(diff),
                          "examples": {k: [got.get(k), expected.get(k)] for k in sorted(diff)[:5]}}), file=sys.stderr)
    result = {"minutes": round((time.monotonic() - started) / 60, 1), "batches": len(set(done)), "records": fed_records,
              "keys": len(expected), "faults": faults, "exact": exact,
              "peak_rss_mb": round(mem.peak / 2**20), **{k: final_report[k] for k in ("rss_mb", "redis_keys")},
              "per_minute": log}
    print(json.dumps(result), flush=True)
    ctx.stop()
    return 0 if exact else 1


def _report(ctx: Any, mem: PeakMemory, started: float, batches: int, faults: int) -> dict:
    backend = ctx._backend
    keys = None
    if hasattr(backend, "r"):
        keys = sum(1 for _ in backend.r.scan_iter(backend.keys.prefix + "*", count=1000))
    return {"minute": round((time.monotonic() - started) / 60, 1), "batches": batches, "faults": faults,
            "rss_mb": round(mem.sample() / 2**20), "redis_keys": keys}


if __name__ == "__main__":
    sys.exit(main())
