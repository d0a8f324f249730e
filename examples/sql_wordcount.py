"""Counts words received from a TCP server every second with DataFrames and SQL: each batch
becomes a DataFrame of the Context's one SparkSession, registered as the view ``words`` and
queried with ``spark.sql`` (the Spark Streaming guide's "DataFrame and SQL operations").

    nc -lk 9999                                     # in one terminal, then type lines
    dstreams run examples/sql_wordcount.py --master 'local[2]' -- localhost 9999

Needs the sql extra: pip install 'dstreams[sql]'.
"""
from __future__ import annotations

import sys

from dstreams import Context, StreamingContext
from dstreams.sql import Row, SparkSession


def session_for(conf: dict) -> SparkSession:
    """The one SparkSession of the running Context (made on the first batch)."""
    return SparkSession.builder.config(conf=conf).getOrCreate()


def process(time, rdd) -> None:
    print(f"========= {time} =========")
    if rdd.isEmpty():  # nothing to infer the columns from
        return
    spark = session_for(rdd.context.getConf())
    words = spark.createDataFrame(rdd.map(lambda w: Row(word=w)))
    words.createOrReplaceTempView("words")
    counts = spark.sql("SELECT word, count(*) AS total FROM words GROUP BY word ORDER BY total DESC, word")
    counts.show()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("Usage: sql_wordcount.py <hostname> <port>", file=sys.stderr)
        sys.exit(-1)
    ctx = Context(appName="PythonSqlNetworkWordCount")
    ssc = StreamingContext(ctx, 1)

    lines = ssc.socketTextStream(sys.argv[1], int(sys.argv[2]))
    lines.flatMap(lambda line: line.split(" ")).foreachRDD(process)

    ssc.start()
    try:
        ssc.awaitTermination()
    except KeyboardInterrupt:
        ssc.stop()
