"""Word counts over a sliding window, maintained incrementally (reduceByKeyAndWindow with an
inverse function), fed by the built-in text generator.

    dstreams run examples/windowed_counts.py --master 'local[2]' -- --batches 12

Every two seconds it prints the counts of the last ten seconds; keys whose count drops to zero
are pruned by the filter function.
"""
from __future__ import annotations

import argparse
import tempfile
from operator import add, sub

from dstreams import Context, StreamingContext
from dstreams.sources import TextGenerator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=0, help="stop after this many batches (0: until Ctrl-C)")
    parser.add_argument("--window", type=float, default=10.0, help="window length in seconds")
    parser.add_argument("--slide", type=float, default=2.0, help="slide in seconds")
    parser.add_argument("--checkpoint", default=None, help="checkpoint directory (default: a temporary one)")
    args = parser.parse_args()

    ctx = Context(appName="windowed-counts")
    ssc = StreamingContext(ctx, 1)
    ssc.checkpoint(args.checkpoint or tempfile.mkdtemp(prefix="dstreams-windowed-"))
    words = ssc.receiverStream(TextGenerator(linesPerSecond=50)).flatMap(str.split)
    windowed = words.map(lambda w: (w, 1)).reduceByKeyAndWindow(
        add, sub, args.window, args.slide, filterFunc=lambda kv: kv[1] > 0)
    windowed.transform(lambda rdd: rdd.sortBy(lambda kv: -kv[1])).pprint(5)
    ssc.start()
    try:
        if args.batches > 0:
            ssc.awaitTerminationOrTimeout(args.batches + 0.5)
        else:
            ssc.awaitTermination()
    except KeyboardInterrupt:
        pass
    finally:
        ssc.stop()


if __name__ == "__main__":
    main()
