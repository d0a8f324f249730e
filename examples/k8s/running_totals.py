"""Running word totals (updateStateByKey) that survive driver restarts through a checkpoint.

    dstreams run examples/k8s/running_totals.py --master 'local[2]' -- \\
        --input /tmp/in --output /tmp/out --checkpoint /tmp/ck

Words come from the new files of ``--input``; after every batch the totals so far are written to
``<output>/totals-<batch time ms>/part-*`` (``('word', total)`` per line). The context comes
from ``StreamingContext.getOrCreate(checkpoint, setup)``: kill the driver and start it again
(the operator does so on Kubernetes) and the totals carry on exactly, none lost, none counted
twice. On Kubernetes the checkpoint is ``DSTREAMS_CHECKPOINT_DIR`` (``spec.checkpoint.url``).
"""
from __future__ import annotations

import argparse
import os

from dstreams import Context, StreamingContext


def update_total(new_values, total):
    return (total or 0) + sum(new_values)


def setup(args: argparse.Namespace) -> StreamingContext:
    ctx = Context(appName="running-totals")
    ssc = StreamingContext(ctx, args.batch)
    ssc.checkpoint(args.checkpoint)
    words = ssc.textFileStream(args.input).flatMap(str.split)
    totals = words.map(lambda w: (w, 1)).updateStateByKey(update_total)
    totals.saveAsTextFiles(args.output.rstrip("/") + "/totals")
    totals.pprint()
    return ssc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="directory whose new files are read (any fsspec URL)")
    parser.add_argument("--output", required=True, help="directory of the per-batch totals (any fsspec URL)")
    parser.add_argument("--batch", type=float, default=float(os.environ.get("DSTREAMS_BATCH_INTERVAL", "1")),
                        help="batch interval in seconds (default: $DSTREAMS_BATCH_INTERVAL or 1)")
    parser.add_argument("--checkpoint", default=os.environ.get("DSTREAMS_CHECKPOINT_DIR"),
                        help="checkpoint directory (default: $DSTREAMS_CHECKPOINT_DIR)")
    args = parser.parse_args()
    if not args.checkpoint:
        parser.error("a checkpoint directory is needed: --checkpoint or DSTREAMS_CHECKPOINT_DIR")
    ssc = StreamingContext.getOrCreate(args.checkpoint, lambda: setup(args))
    ssc.start()
    ssc.awaitTermination()


if __name__ == "__main__":
    main()
