"""Streaming word count over a built-in text generator, on local[N] with nothing else to start.

    make run                    # until Ctrl-C
    make run BATCHES=5          # five batches, then stop
    dstreams run examples/wordcount_generator.py --master 'local[2]' -- --batches 5

Every batch prints PySpark's ``pprint`` block: the batch time and the word counts of that batch.
"""
from __future__ import annotations

import argparse
import threading
from operator import add

from dstreams import Context, StreamingContext, StreamingListener
from dstreams.sources import TextGenerator


class StopAfter(StreamingListener):
    """Sets ``done`` once ``n`` batches have completed."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen = 0
        self.done = threading.Event()

    def onBatchCompleted(self, batchCompleted) -> None:
        self.seen += 1
        if self.seen >= self.n:
            self.done.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=0, help="stop after this many batches (0: until Ctrl-C)")
    parser.add_argument("--batch-duration", type=float, default=1.0, help="seconds per batch (default 1)")
    parser.add_argument("--rate", type=float, default=200.0, help="generated lines per second (default 200)")
    args = parser.parse_args()

    ctx = Context(appName="wordcount-generator")
    ssc = StreamingContext(ctx, args.batch_duration)
    lines = ssc.receiverStream(TextGenerator(linesPerSecond=args.rate))
    counts = lines.flatMap(str.split).map(lambda word: (word, 1)).reduceByKey(add)
    counts.transform(lambda rdd: rdd.sortBy(lambda kv: (-kv[1], kv[0]))).pprint()

    stop_after = StopAfter(args.batches)
    ssc.addStreamingListener(stop_after)
    ssc.start()
    try:
        if args.batches > 0:
            while not stop_after.done.wait(0.5):
                ssc.awaitTerminationOrTimeout(0)   # raises if a batch failed
        else:
            ssc.awaitTermination()
    except KeyboardInterrupt:
        print("\nstopping (Ctrl-C)")
    finally:
        ssc.stop(stopSparkContext=True, stopGraceFully=False)


if __name__ == "__main__":
    main()
