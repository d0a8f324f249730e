"""StreamingKMeans throughput: dstreams.mllib against pyspark.mllib, measured in one run.

    python -m bench.mllib_kmeans                      # k=10, d=20, 1 s batches, every system
    python -m bench.mllib_kmeans --systems dstreams-local,pyspark --quick

For each system (a fresh process each time) a queue stream of batches of N points (drawn
around k centers, pre-built as RDDs before the clock starts) is learned by
``StreamingKMeans(k).setRandomCenters(d, 1.0, seed).trainOn(stream)``, with 1 s batches. A
run is sustained when the median processing time of its batches after the first two is at
most the batch interval. N doubles from ``--start`` until a run is not sustained, then the
rate is bisected ``--steps`` times; the result is the largest sustained points per second.
PySpark runs when ``pyspark`` is importable and Java installed (``pip install 'dstreams[bench]'``).
Results go to ``bench/results/mllib_kmeans.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

SYSTEMS = {
    "dstreams-local": ("dstreams", "local[2]"),
    "dstreams-processes": ("dstreams", "local-processes[2]"),
    "pyspark": ("pyspark", "local[2]"),
}
WARMUP = 2
HERE = os.path.dirname(os.path.abspath(__file__))


def _points(n: int, k: int, dim: int, seed: int) -> list:
    import numpy as np
    rng = np.random.default_rng(seed)
    truth = rng.uniform(-10, 10, size=(k, dim))
    return list(truth[rng.integers(0, k, n)] + rng.normal(0, 1, size=(n, dim)))


def probe(system: str, master: str, points: int, k: int, dim: int, batches: int, interval: float) -> dict:
    """Run one configuration in this process; return its batches' processing times."""
    if system == "pyspark":
        from pyspark import SparkConf, SparkContext
        from pyspark.mllib.clustering import StreamingKMeans
        from pyspark.streaming import StreamingContext
        from pyspark.streaming.listener import StreamingListener
        conf = (SparkConf().setMaster(master).setAppName("bench-kmeans").set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false"))
        ctx = SparkContext(conf=conf)
        ctx.setLogLevel("ERROR")
    else:
        from dstreams import Context, StreamingContext, StreamingListener
        from dstreams.mllib.clustering import StreamingKMeans
        ctx = Context(master, "bench-kmeans")
    records: list[int] = []
    done = threading.Event()

    class Collect(StreamingListener):  # type: ignore[misc, valid-type]
        def onBatchCompleted(self, batchCompleted: Any) -> None:
            records.append(int(batchCompleted.batchInfo().processingDelay()))
            if len(records) >= batches:
                done.set()

    rdds = [ctx.parallelize(_points(points, k, dim, i), 2).cache() for i in range(batches + 2)]
    for r in rdds:
        r.count()  # materialize: the stream measures learning, not building the data
    ssc = StreamingContext(ctx, interval)
    model = StreamingKMeans(k=k, decayFactor=1.0).setRandomCenters(dim, 1.0, 7)
    model.trainOn(ssc.queueStream(rdds, oneAtATime=True))
    ssc.addStreamingListener(Collect())
    ssc.start()
    ok = done.wait(timeout=batches * interval * 20 + 120)
    ssc.stop(True, False)
    steady = records[WARMUP:] or records
    median = statistics.median(steady) if steady else None
    return {"system": system, "master": master, "points_per_batch": points, "k": k, "dim": dim,
            "completed": ok, "processing_ms": records, "processing_ms_median": median,
            "sustained": bool(ok and median is not None and median <= interval * 1000)}


def run_probe(name: str, points: int, args: argparse.Namespace) -> dict:
    system, master = SYSTEMS[name]
    cmd = [sys.executable, "-m", "bench.mllib_kmeans", "--probe", name, "--points", str(points), "--k", str(args.k),
           "--dim", str(args.dim), "--batches", str(args.batches), "--interval", str(args.interval)]
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYTHONPATH=os.path.dirname(HERE))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"system": system, "master": master, "points_per_batch": points, "sustained": False,
                "error": proc.stderr[-2000:]}
    return json.loads(lines[-1])


def search(name: str, args: argparse.Namespace) -> dict:
    """Double the points per batch until a run is not sustained, then bisect; return the best run."""
    best: dict | None = None
    n = args.start
    failed: int | None = None
    while n <= args.max_points:
        r = run_probe(name, n, args)
        print(f"  {name} {n:,} points/batch: {'ok' if r['sustained'] else 'not sustained'} "
              f"(median {r.get('processing_ms_median')} ms)", file=sys.stderr, flush=True)
        if not r["sustained"]:
            failed = n
            break
        best = r
        n *= 2
    lo = best["points_per_batch"] if best else 0
    for _ in range(args.steps if failed else 0):
        mid = (lo + failed) // 2
        if mid <= lo or failed - lo < max(1, lo // 20):
            break
        r = run_probe(name, mid, args)
        if r["sustained"]:
            best, lo = r, mid
        else:
            failed = mid
    rate = (best["points_per_batch"] / args.interval) if best else 0
    return {"system": name, "max_points_per_s": rate, "best": best}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated: " + ", ".join(SYSTEMS))
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--dim", type=int, default=20)
    p.add_argument("--interval", type=float, default=1.0, help="batch interval in seconds (default 1)")
    p.add_argument("--batches", type=int, default=8, help="batches per run (default 8; the first 2 are warm-up)")
    p.add_argument("--start", type=int, default=10_000, help="points per batch of the first run")
    p.add_argument("--max-points", type=int, default=5_120_000)
    p.add_argument("--steps", type=int, default=3, help="bisection steps after the doubling")
    p.add_argument("--quick", action="store_true", help="4 batches, 1 bisection step")
    p.add_argument("--probe", help=argparse.SUPPRESS)
    p.add_argument("--points", type=int, help=argparse.SUPPRESS)
    p.add_argument("--out", default=os.path.join(HERE, "results", "mllib_kmeans.json"))
    args = p.parse_args(argv)
    if args.probe:
        system, master = SYSTEMS[args.probe]
        print(json.dumps(probe(system, master, args.points, args.k, args.dim, args.batches, args.interval)))
        return 0
    if args.quick:
        args.batches, args.steps = 4, 1
    names = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in names if s not in SYSTEMS]
    if unknown:
        p.error(f"unknown systems {unknown}; choose from {', '.join(SYSTEMS)}")
    results = []
    for name in names:
        if name == "pyspark":
            try:
                import pyspark  # noqa: F401
            except ImportError:
                print("  pyspark: not installed (pip install 'dstreams[bench]'), skipped", file=sys.stderr)
                continue
        results.append(search(name, args))
    doc = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")},
           "k": args.k, "dim": args.dim, "interval": args.interval, "results": results}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
    ref = next((r["max_points_per_s"] for r in results if r["system"] == "pyspark"), None)
    print(f"| system | max points/s (k={args.k}, d={args.dim}, {args.interval:g} s batches) | x PySpark |")
    print("|---|---|---|")
    for r in results:
        x = f"{r['max_points_per_s'] / ref:.1f}" if ref and r["system"] != "pyspark" else "-"
        print(f"| {r['system']} | {r['max_points_per_s']:,.0f} | {x} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
