"""Counts words in UTF-8 text received from a TCP server every second (PySpark's example).

    nc -lk 9999                                     # in one terminal, then type lines
    dstreams run examples/network_wordcount.py --master 'local[2]' -- localhost 9999
"""
from __future__ import annotations

import sys
from operator import add

from dstreams import Context, StreamingContext

if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("Usage: network_wordcount.py <hostname> <port>", file=sys.stderr)
        sys.exit(-1)
    ctx = Context(appName="PythonStreamingNetworkWordCount")
    ssc = StreamingContext(ctx, 1)

    lines = ssc.socketTextStream(sys.argv[1], int(sys.argv[2]))
    counts = lines.flatMap(lambda line: line.split(" ")).map(lambda word: (word, 1)).reduceByKey(add)
    counts.pprint()

    ssc.start()
    try:
        ssc.awaitTermination()
    except KeyboardInterrupt:
        ssc.stop()
