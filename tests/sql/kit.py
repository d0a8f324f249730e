"""The testing kit of the dstreams.sql tests: a StreamingContext driven by a ManualClock, and the
guide's SQL word count with its expected per-batch results."""
from __future__ import annotations

from dstreams.sql import Row, SparkSession


class BatchRunner:
    """A StreamingContext on a ManualClock: ``run(n)`` moves the clock n batches and waits (with a
    deadline) until a StreamingListener saw them complete; an output's failure fails the test."""

    def __init__(self, ctx, batch: float = 0.5) -> None:
        from dstreams.streaming import ManualClock, StreamingContext, StreamingListener
        self.clock = ManualClock(0)
        self.batch_ms = int(batch * 1000)
        self.ssc = StreamingContext(ctx, batch, clock=self.clock)
        self.completed: list[int] = []
        self.failures: list[str] = []
        runner = self

        class Watch(StreamingListener):
            def onBatchCompleted(self, batchCompleted):
                info = batchCompleted.batchInfo()
                for op in info.outputOperationInfos().values():
                    if op.failureReason():
                        runner.failures.append(op.failureReason())
                runner.completed.append(int(info.batchTime()))

        self.ssc.addStreamingListener(Watch())
        self.started = False

    def run(self, n: int, timeout: float = 60.0) -> None:
        from tests.servers import wait_until
        if not self.started:
            self.ssc.start()
            self.started = True
        self.clock.advance(n * self.batch_ms)
        last = self.clock.now_ms()
        # awaitTerminationOrTimeout raises the error of a failed batch
        wait_until(lambda: self.ssc.awaitTerminationOrTimeout(0) or self.failures
                   or (self.completed and max(self.completed) >= last), timeout, f"{n} batches")
        assert not self.failures, self.failures[0]

    def stop(self) -> None:
        self.ssc.stop(stopSparkContext=False)


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
