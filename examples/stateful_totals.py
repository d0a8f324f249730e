"""Running word totals with updateStateByKey that survive a driver crash.

    dstreams run examples/stateful_totals.py --master 'local[2]' -- --checkpoint /tmp/totals-ck

Words come from the new files of ``--input`` (a directory, any fsspec URL; move files in
atomically). Without ``--input`` a small feeder writes a file every second into
``<checkpoint>-input``. The context is built with ``StreamingContext.getOrCreate(checkpoint, setup)``: kill
the driver (even with SIGKILL) and start it again with the same arguments, and it resumes from
the checkpoint: the totals it prints afterwards are those of an uninterrupted run.

Each batch prints one line: ``totals <batch time ms> <JSON of sorted [word, total] pairs>``.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import threading
import time

from dstreams import Context, StreamingContext


def update_total(new_values, total):
    return (total or 0) + sum(new_values)


def print_totals(time_, rdd):
    from dstreams.streaming.util import datetime_to_ms
    totals = sorted(rdd.collect())
    print(f"totals {datetime_to_ms(time_)} {json.dumps(totals)}", flush=True)


def setup(args) -> StreamingContext:
    ctx = Context(appName="stateful-totals")
    ssc = StreamingContext(ctx, args.batch)
    ssc.checkpoint(args.checkpoint)
    words = ssc.textFileStream(args.input).flatMap(str.split)
    totals = words.map(lambda w: (w, 1)).updateStateByKey(update_total)
    if args.checkpoint_interval:
        totals.checkpoint(args.checkpoint_interval)
    totals.foreachRDD(print_totals)
    return ssc


def feed(directory: str, stop: threading.Event) -> None:
    """Write a small file of words every second, atomically (write elsewhere, then rename)."""
    rng = random.Random(7)
    staging = tempfile.mkdtemp(prefix="dstreams-feed-")
    while not stop.wait(1.0):
        name = f"words-{time.time_ns()}.txt"
        tmp = os.path.join(staging, name)
        with open(tmp, "w") as f:
            f.write(" ".join(rng.choices(["apple", "banana", "cherry"], k=5)) + "\n")
        os.replace(tmp, os.path.join(directory, name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=os.path.join(tempfile.gettempdir(), "dstreams-stateful-totals"))
    parser.add_argument("--input", default=None, help="directory to watch (default: <checkpoint>-input, fed)")
    parser.add_argument("--batch", type=float, default=1.0, help="batch duration in seconds")
    parser.add_argument("--checkpoint-interval", type=float, default=None,
                        help="seconds between state checkpoints (default: Spark's, >= 10 s)")
    parser.add_argument("--batches", type=int, default=0, help="stop after about this many batches")
    args = parser.parse_args()
    stop_feeding = threading.Event()
    if args.input is None:
        args.input = args.checkpoint.rstrip("/") + "-input"
        os.makedirs(args.input, exist_ok=True)
        threading.Thread(target=feed, args=(args.input, stop_feeding), daemon=True).start()

    ssc = StreamingContext.getOrCreate(args.checkpoint, lambda: setup(args))
    ssc.start()
    print("started", flush=True)
    try:
        if args.batches > 0:
            ssc.awaitTerminationOrTimeout(args.batches * args.batch + 0.5)
        else:
            ssc.awaitTermination()
    except KeyboardInterrupt:
        pass
    finally:
        stop_feeding.set()
        ssc.stop()


if __name__ == "__main__":
    main()
