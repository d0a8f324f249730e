"""PySpark programs run unchanged: `dstreams run --pyspark` makes `import pyspark...` resolve to
dstreams in that process only, and a pyspark module dstreams lacks fails naming it."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from dstreams import compat

QUEUE_STREAM = textwrap.dedent("""
    # the Spark Streaming guide's queue stream word count, as PySpark users write it
    import time
    from pyspark import SparkConf, SparkContext
    from pyspark.streaming import StreamingContext

    sc = SparkContext(conf=SparkConf().setMaster("local[2]").setAppName("QueueStream"))
    ssc = StreamingContext(sc, 1)
    rdds = [sc.parallelize(["to be or not to be", "that is"], 2) for _ in range(2)]
    counts = ssc.queueStream(rdds).flatMap(lambda line: line.split(" ")) \\
        .map(lambda word: (word, 1)).reduceByKey(lambda x, y: x + y)
    out = []
    counts.foreachRDD(lambda rdd: out.append(sorted(rdd.collect())))
    ssc.start()
    deadline = time.time() + 30
    while len(out) < 2 and time.time() < deadline:
        time.sleep(0.05)
    ssc.stop(stopSparkContext=True, stopGraceFully=False)
    import pyspark
    print(pyspark.__name__, out[0])
""")


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_an_unmodified_pyspark_program_runs_with_dstreams_run_pyspark(tmp_path) -> None:
    app = tmp_path / "queue_stream.py"
    app.write_text(QUEUE_STREAM)
    p = run("-m", "dstreams.cli", "run", "--pyspark", str(app), cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "dstreams [('be', 2), ('is', 1), ('not', 1), ('or', 1), ('that', 1), ('to', 2)]" in p.stdout
    q = run("-m", "dstreams.pyspark", str(app), cwd=tmp_path)
    assert q.returncode == 0 and "dstreams [('be', 2)" in q.stdout, q.stderr[-3000:]
    plain = run(str(app), cwd=tmp_path)  # without the flag, `import pyspark` is pyspark's own business
    assert "dstreams [" not in plain.stdout


def test_a_pyspark_module_dstreams_lacks_is_named() -> None:
    compat.install()
    try:
        with pytest.raises(compat.PySparkModuleNotProvided, match="pyspark.ml is not provided by dstreams"):
            import pyspark.ml  # noqa: F401
        from pyspark.streaming.kafka import KafkaUtils
        from pyspark.storagelevel import StorageLevel
        assert KafkaUtils.__module__.startswith("dstreams.kafka") and StorageLevel.__module__ == "dstreams.storagelevel"
    finally:
        compat.uninstall()
    assert "pyspark" not in sys.modules or not sys.modules["pyspark"].__name__.startswith("dstreams")


def test_a_closure_over_the_context_says_sparkcontext_as_spark_does() -> None:
    from dstreams import Context
    from dstreams.errors import ContextUsedInTaskError, NotSerializableError
    with Context("local[1]", "closure") as sc:
        rdd = sc.parallelize([1, 2])
        with pytest.raises((ContextUsedInTaskError, NotSerializableError), match="reference SparkContext"):
            rdd.map(lambda x: sc.parallelize([x]).count()).collect()
