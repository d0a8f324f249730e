"""Run the benchmarks and print a table of dstreams against PySpark measured in the same run.

    python -m bench                     # everything (about 40 minutes on 2 cores)
    python -m bench --quick             # fewer batches and bisection steps
    python -m bench --workloads wordcount --sources queue,socket --systems dstreams-local,pyspark
    python -m bench --only scaling      # just wordcount on local-cluster[1], [2], [4]

For each workload, source and system, the max sustained rate is found by doubling the input
rate until a run is not sustained (median processing time of a batch over the batch interval,
a growing scheduling delay, or input that could not be delivered at that rate; see
bench/probe.py), then bisecting. Every probe is a fresh process. Latency is the total delay
(scheduling + processing) of the batches at half that rate; the empty-batch overhead is the
median processing time of batches without input (100 ms batches for dstreams, 1 s for
PySpark); peak memory is the resident size of the whole process tree (driver, executors,
Redis, JVM, Python workers), at the max rate and, for the comparison, at PySpark's max rate
(a queue holds all its batches from the start, in both systems, so memory grows with the
rate). Results also go to bench/results/latest.json. PySpark runs only
when ``pyspark`` is importable and Java is installed (``pip install 'dstreams[bench]'``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from typing import Any

SYSTEMS = {
    "dstreams-local": ("dstreams", "local[2]"),
    "dstreams-processes": ("dstreams", "local-processes[2]"),
    "dstreams-cluster": ("dstreams", "local-cluster[2]"),
    "pyspark": ("pyspark", "local[2]"),
}
WORKLOADS = ("wordcount", "window", "state", "join", "shuffle")
# where the search starts (lines/s): near the expected result saves probes
START_RATE = {
    ("dstreams", "socket"): 50_000, ("dstreams", None): 300_000,
    ("pyspark", "socket"): 1_000, ("pyspark", "dir"): 30_000, ("pyspark", "window"): 4_000,
    ("pyspark", "state"): 4_000, ("pyspark", "join"): 4_000, ("pyspark", "shuffle"): 5_000,
    ("pyspark", None): 60_000,
}
MAX_RATE = 6_400_000
SAME_RATE_FALLBACK = 10_000  # where memory is compared when PySpark sustains no rate
MIN_RATE = 500
EMPTY_INTERVAL = {"dstreams": 0.1, "pyspark": 1.0}
HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def probe(system: str, master: str, workload: str, source: str, rate: float, interval: float,
          batches: int, extra: list[str] | None = None) -> dict[str, Any]:
    """Run one configuration in a fresh process; return its result (``error`` set on failure)."""
    cmd = [sys.executable, "-m", "bench.probe", "--system", system, "--master", master, "--workload", workload,
           "--source", source, "--rate", str(rate), "--interval", str(interval), "--batches", str(batches),
           *(extra or [])]
    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    timeout = 180 + batches * interval * 25
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=os.path.dirname(HERE))
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s", "sustained": False}
    for line in p.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            return json.loads(line[len("BENCH-RESULT "):])
    return {"error": (p.stderr or p.stdout)[-1500:], "sustained": False}


def _describe(rate: float, r: dict) -> str:
    if "error" in r:
        return f"    {rate:>10,.0f} lines/s: error: {r['error'][-400:]}"
    verdict = "sustained" if r.get("sustained") else "NOT sustained"
    extra = f" (median {r.get('processing_ms_median')} ms" + "".join(f"; {n}" for n in r.get("notes", ())) + ")"
    return f"    {rate:>10,.0f} lines/s: {verdict}{extra}"


def max_sustained(system: str, master: str, workload: str, source: str, interval: float, batches: int,
                  refine: int) -> tuple[float, dict | None]:
    """Return (highest sustained lines/s, that probe's result); 0 when even MIN_RATE is not."""
    rate = float(START_RATE.get((system, source)) or START_RATE.get((system, workload))
                 or START_RATE[(system, None)])
    ok_rate, ok_result, bad_rate, bad_result = 0.0, None, None, None
    while rate <= MAX_RATE:
        r = probe(system, master, workload, source, rate, interval, batches)
        log(_describe(rate, r))
        if "error" in r and ok_result is None:
            return 0.0, r
        if not r.get("sustained"):
            bad_rate, bad_result = rate, r
            break
        ok_rate, ok_result = rate, r
        rate *= 2
    while ok_result is None and bad_rate is not None and bad_rate / 2 >= MIN_RATE:
        rate = bad_rate / 2
        r = probe(system, master, workload, source, rate, interval, batches)
        log(_describe(rate, r))
        if r.get("sustained"):
            ok_rate, ok_result = rate, r
        else:
            bad_rate, bad_result = rate, r
    for _ in range(refine if bad_rate and ok_rate else 0):
        mid = round((ok_rate + bad_rate) / 2, -2)
        r = probe(system, master, workload, source, mid, interval, batches)
        log(_describe(mid, r))
        if r.get("sustained"):
            ok_rate, ok_result = mid, r
        else:
            bad_rate = mid
    return ok_rate, ok_result or bad_result


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
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem_gb, "python": platform.python_version(),
            "java": java, "pyspark": pyspark_version, "date": time.strftime("%Y-%m-%d %H:%M"),
            "load_at_start": load}


def pyspark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


def batch_file(lines: int) -> str:
    """A text file of ``lines`` benchmark lines (made once, cached)."""
    from .data import batches
    path = os.path.join(os.path.expanduser("~/.cache/dstreams/bench"), f"lines-{lines}.txt")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w") as f:
            for batch in batches(100_000, lines // 100_000):
                f.write("\n".join(batch) + "\n")
        os.rename(path + ".tmp", path)
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer batches and bisection steps")
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--sources", default="queue,dir,socket", help="sources for the wordcount workload")
    p.add_argument("--systems", default=",".join(SYSTEMS))
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--only", choices=["streaming", "empty", "batch", "scaling"],
                   help="run one part (default: all)")
    p.add_argument("--no-scaling", action="store_true", help="skip the local-cluster[1,2,4] scaling run")
    p.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    p.add_argument("--merge", action="store_true",
                   help="update --out with what this run measures (keeping the rest) and print the whole table")
    p.add_argument("--show", action="store_true", help="only print the table of --out")
    args = p.parse_args(argv)
    if args.show:
        with open(args.out) as f:
            saved = json.load(f)
        print_table(saved["rows"], saved["machine"], saved.get("interval", 1.0))
        return 0
    batches = 6 if args.quick else 8
    refine = 1 if args.quick else 2
    parts = {args.only} if args.only else {"streaming", "empty", "batch"} | (set() if args.no_scaling else {"scaling"})

    systems = [s for s in args.systems.split(",") if s]
    for s in systems:
        if s not in SYSTEMS:
            p.error(f"unknown system {s!r}; choose from {', '.join(SYSTEMS)}")
    if "pyspark" in systems and not pyspark_available():
        log("pyspark or java not found: PySpark columns are skipped (pip install 'dstreams[bench]')")
        systems.remove("pyspark")
    info = machine()
    log(f"machine: {info}")
    rows: list[dict[str, Any]] = []
    started = time.time()
    workloads = [w for w in args.workloads.split(",") if w]

    if "streaming" in parts:
        cases = [(w, src) for w in workloads for src in (args.sources.split(",") if w == "wordcount" else ["queue"])]
        # PySpark first: the others' memory is also measured at its rate (same data held)
        ordered = sorted(systems, key=lambda s: s != "pyspark")
        for w, src in cases:
            same_rate = None
            for sys_name in ordered:
                system, master = SYSTEMS[sys_name]
                log(f"{w}/{src} on {sys_name}")
                row = _streaming_row(w, src, sys_name, system, master, args.interval, batches, refine)
                rows.append(row)
                if system == "pyspark":
                    same_rate = row["max_rate"] or SAME_RATE_FALLBACK
                    row["memory_rate"] = same_rate
                    row["memory_same_rate_mb"] = row["peak_memory_mb"] if row["max_rate"] else None
                    if not row["max_rate"]:
                        if args.interval < 2 and w in ("window", "state"):
                            log(f"{w}/{src} on {sys_name} with 2 s batches (nothing is sustained at "
                                f"{args.interval} s)")
                            rows.append(_streaming_row(w, src, sys_name, system, master, 2.0, batches, refine,
                                                       label="pyspark (2 s batches)"))
                        r = probe(system, master, w, src, same_rate, args.interval, batches)
                        row["memory_same_rate_mb"] = r.get("peak_memory_mb")
                        log(f"    at {same_rate:,.0f} lines/s (not sustained): peak {r.get('peak_memory_mb')} MB")
                elif same_rate:
                    r = probe(system, master, w, src, same_rate, args.interval, batches)
                    row["memory_rate"] = same_rate
                    row["memory_same_rate_mb"] = r.get("peak_memory_mb")
                    log(f"    at {same_rate:,.0f} lines/s (PySpark's rate): peak {r.get('peak_memory_mb')} MB")
    if "empty" in parts:
        for w in workloads:
            for sys_name in systems:
                system, master = SYSTEMS[sys_name]
                interval = EMPTY_INTERVAL[system]
                n = 30 if interval < 0.5 else 8
                log(f"empty batches: {w} on {sys_name} ({interval} s batches)")
                r = probe(system, master, w, "queue", 0, interval, n)
                row = _find(rows, w, "queue", sys_name)
                if row is None:
                    row = {"workload": w, "source": "queue", "system": sys_name}
                    rows.append(row)
                row["empty_ms"] = r.get("processing_ms_median")
                row["empty_interval_s"] = interval
                row["empty_sustained"] = r.get("sustained")
                if "error" in r:
                    row["empty_error"] = r["error"][-300:]
                log(f"    median {row['empty_ms']} ms per batch" + (f"; error {r['error'][-300:]}" if "error" in r else ""))
    if "batch" in parts:
        path = batch_file(1_000_000)
        for sys_name in systems:
            system, master = SYSTEMS[sys_name]
            log(f"batch word count on {sys_name}")
            r = probe(system, master, "batch", "file", 0, 1, 3, ["--input", path])
            rows.append({"workload": "batch", "source": "file", "system": sys_name,
                         "max_rate": r.get("lines_per_s"), "peak_memory_mb": r.get("peak_memory_mb"),
                         "seconds": r.get("seconds"), "error": r.get("error")})
            log(f"    {r.get('lines_per_s') or 0:,.0f} lines/s" + (f"; error {r['error'][-300:]}" if "error" in r else ""))
    if "scaling" in parts:
        for n in (1, 2, 4):
            log(f"scaling: wordcount/queue on local-cluster[{n}]")
            rate, res = max_sustained("dstreams", f"local-cluster[{n}]", "wordcount", "queue", args.interval,
                                      batches, refine)
            rows.append({"workload": "scaling", "source": "queue", "system": f"local-cluster[{n}]",
                         "max_rate": rate, "peak_memory_mb": (res or {}).get("peak_memory_mb")})

    info["minutes"] = round((time.time() - started) / 60, 1)
    if args.merge and os.path.exists(args.out):
        with open(args.out) as f:
            old = json.load(f)
        def key(r: dict) -> tuple:
            return (r["workload"], r["source"], r["system"])

        merged = {key(r): r for r in old["rows"]}
        for r in rows:  # the fields measured now replace the earlier ones; the others stay
            merged[key(r)] = {**merged.get(key(r), {}), **r}
        rows = list(merged.values())
        info = {**old["machine"], "merged": info}
    for r in rows:
        r.pop("rate_ratio", None)
        r.pop("memory_ratio", None)
    add_ratios(rows)
    print_table(rows, info, args.interval)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"machine": info, "interval": args.interval, "rows": rows}, f, indent=1)
    log(f"results written to {args.out}")
    return 0


def _streaming_row(w: str, src: str, sys_name: str, system: str, master: str, interval: float, batches: int,
                   refine: int, label: str | None = None) -> dict:
    rate, res = max_sustained(system, master, w, src, interval, batches, refine)
    row: dict[str, Any] = {"workload": w, "source": src, "system": label or sys_name, "interval": interval,
                           "max_rate": rate, "peak_memory_mb": (res or {}).get("peak_memory_mb"),
                           "error": (res or {}).get("error")}
    if rate:
        half = probe(system, master, w, src, rate / 2, interval, batches)
        row["latency_ms_p50"] = half.get("latency_ms_p50")
        row["latency_ms_p99"] = half.get("latency_ms_p99")
    return row


def _find(rows: list[dict], workload: str, source: str, system: str) -> dict | None:
    return next((r for r in rows if (r["workload"], r["source"], r["system"]) == (workload, source, system)), None)


def add_ratios(rows: list[dict]) -> None:
    """dstreams / PySpark for the rate and the memory of the same workload and source."""
    ref = {(r["workload"], r["source"]): r for r in rows if r["system"] == "pyspark"}
    for r in rows:
        base = ref.get((r["workload"], r["source"]))
        if base is None or r["system"] == "pyspark" or not r["system"].startswith("dstreams"):
            continue
        if r.get("max_rate") and base.get("max_rate"):
            r["rate_ratio"] = round(r["max_rate"] / base["max_rate"], 1)
        elif r.get("max_rate") and base.get("max_rate") == 0:
            r["rate_ratio"] = "inf"  # PySpark sustains no rate at all
        if r.get("memory_same_rate_mb") and base.get("memory_same_rate_mb"):
            r["memory_ratio"] = round(r["memory_same_rate_mb"] / base["memory_same_rate_mb"], 2)
        elif r.get("peak_memory_mb") and base.get("peak_memory_mb") and r["workload"] == "batch":
            r["memory_ratio"] = round(r["peak_memory_mb"] / base["peak_memory_mb"], 2)


def fmt_rate(x: float | None) -> str:
    if x is None:
        return "-"
    return "none" if x == 0 else f"{x:,.0f}"


def _cell(x: Any) -> str:
    if x is None:
        return "-"
    if x == "inf":
        return "∞ (PySpark: none)"
    return f"{x:g}" if isinstance(x, float) else str(x)


def print_table(rows: list[dict], info: dict, interval: float) -> None:
    load = info.get("load_at_start")
    print(f"\nMachine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GiB RAM, Python {info['python']}, "
          f"PySpark {info['pyspark'] or '-'} ({info['java'] or 'no java'}); {info['date']}"
          + (f", load average {load:.1f} at start" if load is not None else "")
          + (f", {info['minutes']} min" if info.get("minutes") else "")
          + (f" (rows re-measured {info['merged']['date']})" if info.get("merged") else ""))
    streaming = [r for r in rows if r["workload"] not in ("batch", "scaling")]
    if streaming:
        print(f"\nStreaming ({interval:g} s batches unless noted; lines of 10 words, 10,000-word Zipf vocabulary)\n")
        head = ("workload", "source", "system", "max lines/s", "x PySpark", "p50 ms", "p99 ms", "empty batch ms",
                "peak MB at max", "MB at PySpark's rate", "memory x PySpark")
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in streaming:
            empty = r.get("empty_ms")
            empty_s = "-" if empty is None else f"{empty:g} ({r.get('empty_interval_s'):g} s)"
            cells = [r["workload"], r["source"], r["system"], fmt_rate(r.get("max_rate")), _cell(r.get("rate_ratio")),
                     _cell(r.get("latency_ms_p50")), _cell(r.get("latency_ms_p99")), empty_s,
                     _cell(r.get("peak_memory_mb")), _cell(r.get("memory_same_rate_mb")), _cell(r.get("memory_ratio"))]
            print("| " + " | ".join(cells) + " |")
    batch = [r for r in rows if r["workload"] == "batch"]
    if batch:
        print("\nBatch word count (RDD API, 1,000,000 lines from a text file, best of 3)\n")
        print("| system | lines/s | x PySpark | peak MB | memory x PySpark |\n|---|---|---|---|---|")
        for r in batch:
            print(f"| {r['system']} | {fmt_rate(r.get('max_rate'))} | {_cell(r.get('rate_ratio'))} | "
                  f"{_cell(r.get('peak_memory_mb'))} | {_cell(r.get('memory_ratio'))} |")
    scaling = [r for r in rows if r["workload"] == "scaling"]
    if scaling:
        print("\nScaling (stateless word count, queue source, local-cluster[N])\n")
        print("| executors | max lines/s | peak MB |\n|---|---|---|")
        for r in scaling:
            print(f"| {r['system']} | {fmt_rate(r.get('max_rate'))} | {_cell(r.get('peak_memory_mb'))} |")


if __name__ == "__main__":
    sys.exit(main())
