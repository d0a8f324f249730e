"""Run the benchmarks and print a table of dstreams against PySpark measured in the same run.

    python -m bench                     # everything (about 30-40 minutes on 2 cores)
    python -m bench --quick             # fewer batches and steps (about 10 minutes)
    python -m bench --workloads wordcount --sources queue,socket --systems dstreams-local,pyspark
    python -m bench --scaling           # wordcount on local-cluster[1], [2], [4]

The max sustained rate is found by doubling the input rate until the median processing time of
a batch exceeds the batch interval (or the scheduling delay grows past it), then bisecting.
Latency is the total delay (scheduling + processing) of batches at half that rate. Results go
to bench/results/latest.json as well. PySpark runs only when ``pyspark`` is importable and Java
is installed (``pip install 'dstreams[bench]'``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any

SYSTEMS = {
    "dstreams-local": ("dstreams", "local[2]"),
    "dstreams-cluster": ("dstreams", "local-cluster[2]"),
    "pyspark": ("pyspark", "local[2]"),
}
START_RATE = {"dstreams": 40_000, "pyspark": 10_000}
MAX_RATE = 3_200_000
HERE = os.path.dirname(os.path.abspath(__file__))


def probe(system: str, master: str, workload: str, source: str, rate: float, interval: float,
          batches: int, extra: list[str] | None = None) -> dict[str, Any]:
    """Run one configuration in a fresh process; return its result (``error`` set on failure)."""
    cmd = [sys.executable, "-m", "bench.probe", "--system", system, "--master", master, "--workload", workload,
           "--source", source, "--rate", str(rate), "--interval", str(interval), "--batches", str(batches),
           *(extra or [])]
    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    timeout = 120 + batches * interval * 25
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=os.path.dirname(HERE))
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s", "sustained": False}
    for line in p.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            return json.loads(line[len("BENCH-RESULT "):])
    return {"error": (p.stderr or p.stdout)[-1500:], "sustained": False}


def max_sustained(system: str, master: str, workload: str, source: str, interval: float, batches: int,
                  refine: int, log: Any) -> tuple[float, dict | None]:
    """Return (highest sustained lines/s, that probe's result)."""
    rate = START_RATE[system]
    ok_rate, ok_result, bad_rate = 0.0, None, None
    while rate <= MAX_RATE:
        r = probe(system, master, workload, source, rate, interval, batches)
        log(f"    {rate:>10,.0f} lines/s: " + ("sustained" if r.get("sustained") else "NOT sustained")
            + (f" (median {r.get('processing_ms_median')} ms)" if "error" not in r else f" error: {r['error'][-300:]}"))
        if "error" in r and not ok_result and rate == START_RATE[system]:
            return 0.0, r
        if r.get("sustained"):
            ok_rate, ok_result = rate, r
            rate *= 2
        else:
            bad_rate = rate
            break
    if ok_rate == 0 and bad_rate is not None:
        # below the starting rate: step down until something is sustained
        rate = bad_rate / 4
        while rate >= 250:
            r = probe(system, master, workload, source, rate, interval, batches)
            log(f"    {rate:>10,.0f} lines/s: " + ("sustained" if r.get("sustained") else "NOT sustained"))
            if r.get("sustained"):
                ok_rate, ok_result = rate, r
                break
            bad_rate = rate
            rate /= 4
    for _ in range(refine if bad_rate and ok_rate else 0):
        mid = (ok_rate + bad_rate) / 2
        r = probe(system, master, workload, source, mid, interval, batches)
        log(f"    {mid:>10,.0f} lines/s: " + ("sustained" if r.get("sustained") else "NOT sustained"))
        if r.get("sustained"):
            ok_rate, ok_result = mid, r
        else:
            bad_rate = mid
    return ok_rate, ok_result


def empty_overhead(system: str, master: str, interval: float, batches: int) -> float | None:
    r = probe(system, master, "wordcount", "queue", 0, interval, batches)
    return r.get("processing_ms_median")


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    java = ""
    if shutil.which("java"):
        out = subprocess.run(["java", "-version"], capture_output=True, text=True)
        java = (out.stderr or out.stdout).splitlines()[0] if (out.stderr or out.stdout) else ""
    try:
        import pyspark
        pyspark_version = pyspark.__version__
    except ImportError:
        pyspark_version = None
    mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem_gb, "python": platform.python_version(),
            "java": java, "pyspark": pyspark_version, "date": time.strftime("%Y-%m-%d %H:%M")}


def pyspark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


def batch_file(lines: int) -> str:
    from .data import batches
    path = os.path.join(os.path.expanduser("~/.cache/dstreams/bench"), f"lines-{lines}.txt")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w") as f:
            for batch in batches(100_000, lines // 100_000):
                f.write("\n".join(batch) + "\n")
        os.rename(path + ".tmp", path)
    return path


def fmt_rate(x: float | None) -> str:
    return "-" if not x else f"{x:,.0f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer batches and bisection steps")
    p.add_argument("--workloads", default="wordcount,window,state,join,shuffle")
    p.add_argument("--sources", default="queue,dir,socket", help="sources for the wordcount workload")
    p.add_argument("--systems", default="dstreams-local,dstreams-cluster,pyspark")
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--no-batch", action="store_true", help="skip the batch (RDD) word count")
    p.add_argument("--scaling", action="store_true", help="only: wordcount on local-cluster[1], [2], [4]")
    p.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    args = p.parse_args(argv)
    batches = 5 if args.quick else 8
    refine = 1 if args.quick else 2

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    systems = [s for s in args.systems.split(",") if s]
    if "pyspark" in systems and not pyspark_available():
        log("pyspark or java not found: PySpark columns are skipped (pip install 'dstreams[bench]')")
        systems.remove("pyspark")
    info = machine()
    log(f"machine: {info}")
    rows: list[dict[str, Any]] = []

    if args.scaling:
        for n in (1, 2, 4):
            log(f"scaling: local-cluster[{n}]")
            rate, res = max_sustained("dstreams", f"local-cluster[{n}]", "wordcount", "queue", args.interval,
                                      batches, refine, log)
            rows.append({"workload": "wordcount", "source": "queue", "system": f"local-cluster[{n}]",
                         "max_rate": rate, "peak_memory_mb": (res or {}).get("peak_memory_mb")})
    else:
        cases = []
        for w in args.workloads.split(","):
            for src in (args.sources.split(",") if w == "wordcount" else ["queue"]):
                cases.append((w, src))
        for w, src in cases:
            for sys_name in systems:
                system, master = SYSTEMS[sys_name]
                log(f"{w}/{src} on {sys_name}")
                rate, res = max_sustained(system, master, w, src, args.interval, batches, refine, log)
                row = {"workload": w, "source": src, "system": sys_name, "max_rate": rate,
                       "peak_memory_mb": (res or {}).get("peak_memory_mb"), "error": (res or {}).get("error")}
                if rate:
                    half = probe(system, master, w, src, rate / 2, args.interval, batches)
                    row["latency_ms_p50"] = half.get("latency_ms_p50")
                    row["latency_ms_p99"] = half.get("latency_ms_p99")
                rows.append(row)
        for sys_name in systems:
            system, master = SYSTEMS[sys_name]
            interval = 0.1 if system == "dstreams" else 1.0
            log(f"empty batches on {sys_name} ({interval}s interval)")
            rows.append({"workload": "empty", "source": "queue", "system": sys_name, "interval": interval,
                         "overhead_ms": empty_overhead(system, master, interval, 20 if system == "dstreams" else 6)})
        if not args.no_batch:
            path = batch_file(1_000_000)
            for sys_name in systems:
                system, master = SYSTEMS[sys_name]
                log(f"batch word count on {sys_name}")
                r = probe(system, master, "batch", "file", 0, 1, 3, ["--input", path])
                rows.append({"workload": "batch", "source": "file", "system": sys_name,
                             "max_rate": r.get("lines_per_s"), "peak_memory_mb": r.get("peak_memory_mb"),
                             "error": r.get("error")})

    # ratios against PySpark in the same run
    ref = {(r["workload"], r["source"]): r for r in rows if r["system"] == "pyspark"}
    for r in rows:
        base = ref.get((r["workload"], r["source"]))
        if base and r["system"] != "pyspark":
            if r.get("max_rate") and base.get("max_rate"):
                r["rate_ratio"] = round(r["max_rate"] / base["max_rate"], 2)
            if r.get("peak_memory_mb") and base.get("peak_memory_mb"):
                r["memory_ratio"] = round(r["peak_memory_mb"] / base["peak_memory_mb"], 2)
    print_table(rows, info)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"machine": info, "interval": args.interval, "rows": rows}, f, indent=1)
    log(f"results written to {args.out}")
    return 0


def print_table(rows: list[dict], info: dict) -> None:
    print(f"\nmachine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GiB, Python {info['python']}, "
          f"PySpark {info['pyspark'] or '-'} ({info['java'] or 'no java'}), {info['date']}")
    head = ("workload", "source", "system", "max lines/s", "x PySpark", "p50 ms", "p99 ms", "empty ms",
            "peak MB", "mem x")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = [r["workload"], r["source"], r["system"], fmt_rate(r.get("max_rate")),
                 str(r.get("rate_ratio", "-")), str(r.get("latency_ms_p50", "-")), str(r.get("latency_ms_p99", "-")),
                 str(r.get("overhead_ms", "-")), str(r.get("peak_memory_mb", "-")), str(r.get("memory_ratio", "-"))]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
