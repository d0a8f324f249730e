"""Per-batch overhead of SQL on a stream batch: dstreams.sql (DuckDB) against PySpark's
``spark.sql``, measured in the same run.

    python -m bench.sqloverhead                        # 100,000-row batches, both systems
    python -m bench.sqloverhead --systems dstreams --rows 20000 --batches 5

Each system runs in a fresh process on local[2]. A batch is the Spark Streaming guide's
per-batch code on an RDD of ``rows`` words (cached beforehand, so reading the input is not
counted): ``createDataFrame(rdd.map(Row))``, ``createOrReplaceTempView``, then
``spark.sql("SELECT word, count(*) ... GROUP BY word").collect()``. The overhead of SQL is the
median time of that batch minus the median time of the same count done with the RDD API
(``reduceByKey``) on the same RDD. PySpark runs when ``pyspark`` is importable and Java is
installed (``pip install 'dstreams[bench]'``). Prints one JSON line per system.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from operator import add
from typing import Any

QUERY = "SELECT word, count(*) AS total FROM words GROUP BY word"


def _words(rows: int) -> list[str]:
    import random
    rng = random.Random(7)
    return [f"w{int(rng.paretovariate(1.2)) % 10000}" for _ in range(rows)]


def run(system: str, rows: int, batches: int) -> dict[str, Any]:
    """Time ``batches`` SQL batches and as many RDD batches on one system; return the medians."""
    if system == "dstreams":
        from dstreams import Context
        from dstreams.sql import Row, SparkSession
        ctx = Context("local[2]", "bench-sql")
        spark = SparkSession.builder.getOrCreate()
    else:
        from pyspark.sql import Row, SparkSession  # type: ignore[no-redef]
        spark = SparkSession.builder.master("local[2]").appName("bench-sql").getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        ctx = spark.sparkContext
    try:
        words = ctx.parallelize(_words(rows), 2).cache()
        words.count()
        sql_ms, rdd_ms, groups = [], [], 0
        for i in range(batches + 1):  # the first of each is a warm-up
            t = time.perf_counter()
            df = spark.createDataFrame(words.map(lambda w: Row(word=w)))
            df.createOrReplaceTempView("words")
            groups = len(spark.sql(QUERY).collect())
            if i:
                sql_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            n = len(words.map(lambda w: (w, 1)).reduceByKey(add).collect())
            if i:
                rdd_ms.append((time.perf_counter() - t) * 1000)
            assert n == groups, (n, groups)
        sql, rdd = statistics.median(sql_ms), statistics.median(rdd_ms)
        return {"system": system, "rows": rows, "groups": groups, "batches": batches,
                "sql_batch_ms_median": round(sql, 1), "rdd_batch_ms_median": round(rdd, 1),
                "sql_overhead_ms": round(sql - rdd, 1)}
    finally:
        (spark.stop() if system == "pyspark" else ctx.stop())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--batches", type=int, default=10)
    p.add_argument("--systems", default="dstreams,pyspark", help="comma-separated: dstreams, pyspark")
    p.add_argument("--one", help=argparse.SUPPRESS)  # run one system in this process
    args = p.parse_args(argv)
    if args.one:
        print("BENCH-RESULT " + json.dumps(run(args.one, args.rows, args.batches)), flush=True)
        return 0
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    status = 0
    for system in [s.strip() for s in args.systems.split(",") if s.strip()]:
        if system == "pyspark":
            try:
                import pyspark  # noqa: F401
            except ImportError:
                print(json.dumps({"system": "pyspark", "error": "pyspark is not installed: pip install 'dstreams[bench]'"}))
                continue
            if shutil.which("java") is None:
                print(json.dumps({"system": "pyspark", "error": "Java is not installed"}))
                continue
        env = dict(os.environ, PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.run([sys.executable, "-m", "bench.sqloverhead", "--one", system, "--rows", str(args.rows),
                               "--batches", str(args.batches)], capture_output=True, text=True, env=env, cwd=here)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-RESULT ")]
        if proc.returncode != 0 or not lines:
            print(json.dumps({"system": system, "error": (proc.stderr or proc.stdout)[-1500:]}))
            status = 1
            continue
        print(lines[-1][len("BENCH-RESULT "):], flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
