"""Counts words of the records of a Kafka topic with a direct stream, every second; the offsets
of each batch are committed to the consumer group once its counts are printed.

    dstreams run examples/kafka_wordcount.py --master 'local[2]' -- 127.0.0.1:9092 words [group]

Needs the kafka extra: pip install 'dstreams[kafka]'.
"""
from __future__ import annotations

import sys
from operator import add

from dstreams import Context, StreamingContext
from dstreams.kafka import KafkaUtils

if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        print("Usage: kafka_wordcount.py <bootstrap servers> <topic> [group id]", file=sys.stderr)
        sys.exit(-1)
    servers, topic = sys.argv[1], sys.argv[2]
    group = sys.argv[3] if len(sys.argv) == 4 else "kafka-wordcount"
    ctx = Context(appName="PythonStreamingDirectKafkaWordCount")
    ssc = StreamingContext(ctx, 1)

    stream = KafkaUtils.createDirectStream(
        ssc, [topic], {"bootstrap.servers": servers, "group.id": group, "auto.offset.reset": "earliest"})

    def count_and_commit(time, rdd):
        ranges = rdd.offsetRanges()  # only the stream's own RDDs have them: ask before transforming
        counts = (rdd.flatMap(lambda kv: (kv[1] or "").split())
                     .map(lambda word: (word, 1)).reduceByKey(add).collect())
        print("-------------------------------------------")
        print(f"Time: {time}")
        print("-------------------------------------------")
        for word, n in sorted(counts):
            print(f"{word} {n}")
        print(flush=True)
        stream.commitAsync(ranges)  # after the output: a crash before it re-reads the batch

    stream.foreachRDD(count_and_commit)
    ssc.start()
    try:
        ssc.awaitTermination()
    except KeyboardInterrupt:
        ssc.stop()
