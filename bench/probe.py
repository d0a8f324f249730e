"""One benchmark run in its own process: a system, a workload, a source and an input rate.

    python -m bench.probe --system dstreams --master 'local[2]' --workload wordcount \
        --source queue --rate 50000 --interval 1 --batches 8
    python -m bench.probe --system pyspark --workload batch --source file --input lines.txt

prints one line ``BENCH-RESULT {json}``: per-batch processing and scheduling delays and record
counts, whether the rate was sustained, and the peak memory of the whole process tree (driver,
executors, Redis, JVM, Python workers; not the input generator).

A rate is sustained when, after two warm-up batches, the median processing time is within the
batch interval, the last batch's scheduling delay is too or is shrinking (no backlog building
up), and the input really arrived at that rate (a socket server that could not send as fast because the
receiver did not read, or a file writer that fell behind, fail the run).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from typing import Any

from .data import batches, line_pool
from .memory import PeakMemory
from .workloads import STATEFUL, UNIQUE_LINES, build

WARMUP = 2


def _file_writer(directory: str, lines_per_file: int, interval: float, count: int, unique: bool,
                 lag: Any) -> None:
    data = batches(lines_per_file, count, unique)
    start = time.time()
    for i, batch in enumerate(data):
        tmp = os.path.join(directory, f".tmp-{i}")
        with open(tmp, "w") as f:
            f.write("\n".join(batch) + "\n")
        os.rename(tmp, os.path.join(directory, f"part-{i:05d}.txt"))
        delay = start + (i + 1) * interval - time.time()
        lag.value = max(lag.value, -delay)
        if delay > 0:
            time.sleep(delay)


def _socket_server(port_q: Any, rate: float, duration: float, sent: Any, started: Any) -> None:
    """Send ``rate`` lines/s (in 10 ms ticks) to the first client; count what went out."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port_q.put(srv.getsockname()[1])
    conn, _ = srv.accept()
    pool = line_pool()
    tick = 0.01
    per_tick = max(1, int(rate * tick)) if rate > 0 else 0
    encoded = ("\n".join(pool) + "\n").encode()
    offsets = [0]
    for line in pool:
        offsets.append(offsets[-1] + len(line) + 1)
    pos = 0
    start = time.time()
    started.value = start
    n = 0
    try:
        while time.time() - start < duration:
            if per_tick:
                end = pos + per_tick
                if end <= len(pool):
                    conn.sendall(encoded[offsets[pos]:offsets[end]])
                else:
                    conn.sendall(encoded[offsets[pos]:] + encoded[:offsets[end - len(pool)]])
                pos = end % len(pool)
                sent.value += per_tick
            n += 1
            delay = start + n * tick - time.time()
            if delay > 0:
                time.sleep(delay)
    except OSError:
        pass
    finally:
        conn.close()
        srv.close()


def _session(system: str, master: str, interval: float) -> tuple[Any, Any, Any]:
    if system == "pyspark":
        from pyspark import SparkContext
        from pyspark.streaming import StreamingContext
        from pyspark.streaming.listener import StreamingListener
        ctx = SparkContext(conf=_spark_conf(master))
        ctx.setLogLevel("ERROR")
    else:
        from dstreams import Context, StreamingContext, StreamingListener
        ctx = Context(master, "bench")
    return ctx, StreamingContext(ctx, interval), StreamingListener


def _spark_conf(master: str) -> Any:
    from pyspark import SparkConf
    return (SparkConf().setMaster(master).setAppName("bench").set("spark.ui.enabled", "false")
            .set("spark.ui.showConsoleProgress", "false"))


def run(args: argparse.Namespace) -> dict:
    interval = args.interval
    per_batch = int(args.rate * interval)
    unique = args.workload in UNIQUE_LINES
    exclude: list[int] = []
    sent = mp.Value("q", 0)
    started = mp.Value("d", 0.0)
    lag = mp.Value("d", 0.0)
    with PeakMemory(exclude=exclude) as mem:
        ctx, ssc, Listener = _session(args.system, args.master, interval)
        records: list[dict] = []
        done = threading.Event()
        t0 = time.time()

        class Collect(Listener):  # type: ignore[misc, valid-type]
            def onBatchCompleted(self, batchCompleted: Any) -> None:
                info = batchCompleted.batchInfo()
                bt = info.batchTime()
                records.append({
                    "time": int(bt.milliseconds()) if hasattr(bt, "milliseconds") else int(bt),
                    "processing": int(info.processingDelay()),
                    "scheduling": int(info.schedulingDelay()),
                    "total": int(info.totalDelay()),
                    "records": int(info.numRecords()),
                    "completed_at": time.time(),
                })
                if len(records) >= args.batches:
                    done.set()

        ckpt = tempfile.mkdtemp(prefix="bench-ckpt-")
        if args.workload in STATEFUL:
            ssc.checkpoint(ckpt)
        helper = None
        if args.source == "queue":
            data = batches(per_batch, args.batches + 2, unique)
            lines = ssc.queueStream(data, oneAtATime=True)
        elif args.source == "dir":
            directory = tempfile.mkdtemp(prefix="bench-in-")
            lines = ssc.textFileStream(directory)
            helper = mp.Process(target=_file_writer, daemon=True,
                                args=(directory, per_batch, interval, args.batches + 4, unique, lag))
        elif args.source == "socket":
            q: Any = mp.Queue()
            helper = mp.Process(target=_socket_server, daemon=True,
                                args=(q, args.rate, interval * (args.batches + 10), sent, started))
            helper.start()
            exclude.append(helper.pid)
            lines = ssc.socketTextStream("127.0.0.1", q.get(timeout=30))
        else:
            raise SystemExit(f"unknown source {args.source}")
        sink: list = []
        build(args.workload)(ssc, lines, ctx, sink, interval)
        ssc.addStreamingListener(Collect())
        ssc.start()
        if args.source == "dir":
            helper.start()
            exclude.append(helper.pid)
        ok = done.wait(timeout=args.batches * interval * 20 + 120)
        ended = time.time()
        lines_sent = sent.value
        ssc.stop(True, False)
        if helper is not None and helper.is_alive():
            helper.terminate()
        startup = (records[0]["completed_at"] - t0) if records else None
    steady = records[WARMUP:] or records
    proc = [r["processing"] for r in steady]
    limit = interval * 1000
    # keeping up: the median batch fits in the interval, and there is no backlog, or the one
    # left by the warm-up (a JVM's first batches) is shrinking
    sustained = bool(ok and steady and statistics.median(proc) <= limit
                     and (steady[-1]["scheduling"] <= limit or steady[-1]["scheduling"] < steady[0]["scheduling"]))
    notes = []
    if args.source == "socket" and args.rate > 0 and started.value:
        achieved = lines_sent / max(1e-9, ended - started.value)
        received = statistics.mean(r["records"] for r in steady) / interval if steady else 0
        if achieved < 0.95 * args.rate or received < 0.85 * args.rate:
            sustained = False
            notes.append(f"input fell behind: sent {achieved:,.0f}/s, received {received:,.0f}/s")
    if args.source == "dir" and lag.value > interval:
        sustained = False
        notes.append(f"the file writer fell {lag.value:.1f} s behind")
    totals = sorted(r["total"] for r in steady) or [0]
    return {
        "system": args.system, "master": args.master, "workload": args.workload, "source": args.source,
        "rate": args.rate, "interval": interval, "batches": len(records), "completed": ok,
        "sustained": sustained, "notes": notes,
        "processing_ms_median": statistics.median(proc) if proc else None,
        "latency_ms_p50": statistics.median(totals),
        "latency_ms_p99": totals[min(len(totals) - 1, int(len(totals) * 0.99))],
        "peak_memory_mb": round(mem.peak / 2**20, 1),
        "startup_s": round(startup, 1) if startup is not None else None,
        "records": records,
    }


def batch_wordcount(args: argparse.Namespace) -> dict:
    """Word count of a text file with the batch (RDD) API; best of ``--batches`` runs."""
    path = args.input
    with PeakMemory() as mem:
        if args.system == "pyspark":
            from pyspark import SparkContext
            ctx = SparkContext(conf=_spark_conf(args.master))
            ctx.setLogLevel("ERROR")
        else:
            from dstreams import Context
            ctx = Context(args.master, "bench")
        times = []
        keys = 0
        for _ in range(args.batches):
            t0 = time.perf_counter()
            keys = (ctx.textFile(path, 4).flatMap(str.split).map(lambda w: (w, 1))
                    .reduceByKey(lambda a, b: a + b).count())
            times.append(time.perf_counter() - t0)
        ctx.stop()
    with open(path) as f:
        n = sum(1 for _ in f)
    best = min(times)
    return {"system": args.system, "master": args.master, "workload": "batch", "source": "file",
            "lines": n, "keys": keys, "seconds": times, "lines_per_s": n / best,
            "peak_memory_mb": round(mem.peak / 2**20, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--system", choices=["dstreams", "pyspark"], required=True)
    p.add_argument("--master", default="local[2]")
    p.add_argument("--workload", default="wordcount")
    p.add_argument("--source", choices=["queue", "dir", "socket", "file"], default="queue")
    p.add_argument("--rate", type=float, default=10000, help="input lines per second")
    p.add_argument("--interval", type=float, default=1.0, help="batch interval in seconds")
    p.add_argument("--batches", type=int, default=8)
    p.add_argument("--input", help="text file for --workload batch")
    args = p.parse_args(argv)
    if args.workload == "batch" and not args.input:
        p.error("--workload batch needs --input FILE")
    result = batch_wordcount(args) if args.workload == "batch" else run(args)
    print("BENCH-RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
