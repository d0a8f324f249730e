"""The Spark Streaming guide's "DataFrame and SQL operations": a singleton SparkSession in
foreachRDD, a temporary view per batch, a query per batch; on local[2] and local-cluster[2]."""
from __future__ import annotations

import pytest

from dstreams import Context
from dstreams.sql import Row, SparkSession
from dstreams.sql.streaming import foreachBatch, sqlStream
from tests.servers import RedisServer
from tests.sql.conftest import BatchRunner

BATCHES = [["to be or not to be"], ["that is the question", "to be"], [], ["be quick"]]
EXPECTED = [
    [("be", 2), ("not", 1), ("or", 1), ("to", 2)],
    [("be", 1), ("is", 1), ("question", 1), ("that", 1), ("the", 1), ("to", 1)],
    [],
    [("be", 1), ("quick", 1)],
]


def guide_word_count(ctx, runner: BatchRunner) -> tuple[list, list]:
    """The guide's program: returns the per-batch query results and the sessions seen."""
    lines = runner.ssc.queueStream([ctx.parallelize(b, 2) for b in BATCHES])
    words = lines.flatMap(lambda line: line.split(" "))
    results: list = []
    sessions: list = []

    def process(time, rdd):
        spark = SparkSession.builder.config(conf=rdd.context.getConf()).getOrCreate()
        sessions.append(spark)
        if rdd.isEmpty():  # the guide skips a batch it cannot infer a schema from
            results.append([])
            return
        rowRdd = rdd.map(lambda w: Row(word=w))
        wordsDataFrame = spark.createDataFrame(rowRdd)
        wordsDataFrame.createOrReplaceTempView("words")
        wordCountsDataFrame = spark.sql("select word, count(*) as total from words group by word order by word")
        results.append([tuple(r) for r in wordCountsDataFrame.collect()])

    words.foreachRDD(process)
    runner.run(len(BATCHES))
    return results, sessions


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


@pytest.fixture
def cluster_ctx(monkeypatch):
    active = Context._active
    if active is not None:
        active.stop()
    redis = RedisServer()
    monkeypatch.setenv("DSTREAMS_REDIS_URL", redis.url)
    c = Context("local-cluster[2]", "sql-cluster")
    try:
        yield c
    finally:
        c.stop()
        redis.stop()


@pytest.fixture
def processes_ctx():
    active = Context._active
    if active is not None:
        active.stop()
    c = Context("local-processes[2]", "sql-processes")
    try:
        yield c
    finally:
        c.stop()


def test_guide_word_count_on_local_processes(processes_ctx):
    runner = BatchRunner(processes_ctx)
    try:
        results, _ = guide_word_count(processes_ctx, runner)
    finally:
        runner.stop()
    assert results == EXPECTED


def test_guide_word_count_on_local_cluster(cluster_ctx):
    runner = BatchRunner(cluster_ctx)
    try:
        results, sessions = guide_word_count(cluster_ctx, runner)
    finally:
        runner.stop()
    assert results == EXPECTED
    assert sessions[0].sparkContext is cluster_ctx
