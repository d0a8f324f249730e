"""The Spark Streaming guide's "DataFrame and SQL operations": a singleton SparkSession in
foreachRDD, a temporary view per batch, a query per batch (on local[2]; the other masters are
in test_streaming_masters.py)."""
from __future__ import annotations

from dstreams.sql.streaming import foreachBatch, sqlStream
from tests.sql.kit import BATCHES, EXPECTED, BatchRunner, guide_word_count


def test_guide_word_count_on_local(ctx):
    runner = BatchRunner(ctx)
    try:
        results, sessions = guide_word_count(ctx, runner)
    finally:
        runner.stop()
    assert results == EXPECTED
    assert len({id(s) for s in sessions}) == 1 and sessions[0].sparkContext is ctx


def test_sql_stream_and_foreach_batch_compose_over_transform(ctx):
    runner = BatchRunner(ctx)
    try:
        lines = runner.ssc.queueStream([ctx.parallelize(b, 2) for b in BATCHES])
        words = lines.flatMap(lambda line: line.split(" "))
        counts = sqlStream(words, "SELECT value AS word, count(*) AS total FROM w GROUP BY value", view="w",
                           schema="string")
        seen: list = []
        counts.foreachRDD(lambda rdd: seen.append(sorted(tuple(r) for r in rdd.collect())))
        frames: list = []
        foreachBatch(words.map(lambda w: (w, 1)), lambda df, t: frames.append((t, df.count(), df.columns)))
        runner.run(len(BATCHES))
    finally:
        runner.stop()
    assert seen == EXPECTED
    assert [(n, cols) for _, n, cols in frames] == [(6, ["_1", "_2"]), (6, ["_1", "_2"]), (2, ["_1", "_2"])]


def test_batch_time_windows(ctx):
    from dstreams.sql import functions as F
    runner = BatchRunner(ctx, batch=1.0)
    try:
        lines = runner.ssc.queueStream([ctx.parallelize(b, 2) for b in (["a b"], ["a"], ["b b"], ["a"])])
        out: list = []

        def per_batch(df, time):
            spark = df.sparkSession
            hist = df.select(F.explode(F.split("value", " ")).alias("w"), "t")
            if spark.catalog.tableExists("hist"):
                hist = spark.table("hist").union(hist).cache()
            hist.createOrReplaceTempView("hist")
            rows = (spark.table("hist").groupBy(F.window("t", "2 seconds")).count()
                    .orderBy("window").collect())
            out.append([r["count"] for r in rows])

        foreachBatch(lines, per_batch, schema="value STRING", batchTimeColumn="t")
        runner.run(4)
    finally:
        runner.stop()
    # batches at 1, 2, 3, 4 s: windows [0,2) [2,4) [4,6) hold 2, then 1+2, then 1 words
    assert out == [[2], [2, 1], [2, 3], [2, 3, 1]]
