"""A streaming driver for the recovery tests: word counts of the files moved into --input, one
SQL query per batch, written to PostgreSQL with PostgresSink (and, with --redis-url, added to
running totals in a Redis hash with RedisSink); recovers with getOrCreate.

With --die-after-commit FILE present, the driver kills itself (SIGKILL) right after a batch's
transaction committed, before the batch is marked complete in the checkpoint: the batch then
runs again after the restart and must write nothing the second time."""
from __future__ import annotations

import argparse
import os
import signal

from dstreams import Context, StreamingContext
from dstreams.sql import Row, SparkSession
from dstreams.sql.postgres import PostgresSink
from dstreams.sql.redis_sink import RedisSink


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--table", required=True)
    p.add_argument("--batch", type=float, default=0.2)
    p.add_argument("--die-after-commit", default="")
    p.add_argument("--redis-url", default="")
    args = p.parse_args()

    def setup() -> StreamingContext:
        ssc = StreamingContext(Context.getOrCreate(), args.batch)
        ssc.checkpoint(args.checkpoint)
        sink = PostgresSink(args.url, args.table, batchTimeColumn="batch_time")
        totals = RedisSink(args.redis_url, key=f"totals:{args.table}", field="word", value="n",
                           accumulate=True) if args.redis_url else None
        die = args.die_after_commit

        def process(time, rdd):
            if rdd.isEmpty():
                return
            spark = SparkSession.builder.config(conf=rdd.context.getConf()).getOrCreate()
            spark.createDataFrame(rdd.map(lambda w: Row(word=w))).createOrReplaceTempView("words")
            counts = spark.sql("SELECT word, count(*) AS n FROM words GROUP BY word")
            written = sink.write(counts, time)
            if totals is not None:
                written = totals.write(counts, time) and written
            print(f"batch {int(time.timestamp() * 1000)} written={written}", flush=True)
            if written and die and os.path.exists(die):
                os.remove(die)
                os.kill(os.getpid(), signal.SIGKILL)

        ssc.textFileStream(args.input).flatMap(str.split).foreachRDD(process)
        return ssc

    ssc = StreamingContext.getOrCreate(args.checkpoint, setup)
    ssc.start()
    print("started", flush=True)
    try:
        ssc.awaitTermination()
    except KeyboardInterrupt:
        ssc.stop()


if __name__ == "__main__":
    main()
