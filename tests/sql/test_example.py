"""examples/sql_wordcount.py run as a user runs it: ``dstreams run`` on local[2], fed by a socket."""
from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading

from tests.servers import wait_until

ROOT = pathlib.Path(__file__).resolve().parents[2]

TABLE = ("+----+-----+\n"
         "|word|total|\n"
         "+----+-----+\n"
         "|  be|    2|\n"
         "|  to|    2|\n"
         "| not|    1|\n"
         "|  or|    1|\n"
         "+----+-----+\n")


def test_sql_wordcount_example_prints_spark_tables(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    conns: list = []

    def serve():
        c, _ = server.accept()
        conns.append(c)
        c.sendall(b"to be or not to be\n")

    threading.Thread(target=serve, daemon=True).start()
    log = tmp_path / "out.log"
    proc = subprocess.Popen([sys.executable, "-m", "dstreams.cli", "run", str(ROOT / "examples" / "sql_wordcount.py"),
                             "--master", "local[2]", "--", "127.0.0.1", str(port)],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=tmp_path,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        def printed():
            if proc.poll() is not None:
                raise AssertionError(f"the example exited with {proc.returncode}:\n{log.read_text()}")
            return TABLE in log.read_text()
        wait_until(printed, 90, f"the word count table in {log}", interval=0.1)
        assert "=========" in log.read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        for c in conns:
            c.close()
        server.close()
    assert proc.returncode in (0, 130), log.read_text()
    assert "Traceback" not in log.read_text()


def test_sql_overhead_bench_runs_on_a_small_batch():
    """bench/sqloverhead.py works end to end (a tiny batch: a check that it runs, not a measurement)."""
    proc = subprocess.run([sys.executable, "-m", "bench.sqloverhead", "--systems", "dstreams", "--rows", "2000",
                           "--batches", "2"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    import json
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["system"] == "dstreams" and result["rows"] == 2000 and result["groups"] > 10
    assert result["sql_batch_ms_median"] > 0


def test_builder_creates_the_context_when_none_runs(tmp_path):
    """A PySpark-style batch program: the builder makes the Context; spark.stop() stops it."""
    program = (
        "from dstreams import Context\n"
        "from dstreams.sql import SparkSession\n"
        "spark = SparkSession.builder.master('local[2]').appName('b').config('spark.sql.shuffle.partitions', 4)"
        ".getOrCreate()\n"
        "ctx = spark.sparkContext\n"
        "assert Context._active is ctx and ctx.appName == 'b' and ctx.master == 'local[2]'\n"
        "assert spark.conf.get('spark.sql.shuffle.partitions') == 4\n"
        "print(spark.range(3).toDF('n').selectExpr('sum(n) AS s').collect())\n"
        "spark.stop()\n"
        "assert Context._active is None\n")
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "[Row(s=3)]\n"
