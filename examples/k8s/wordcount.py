"""Word count over the files that arrive in a directory, one output directory per batch.

    dstreams run examples/k8s/wordcount.py --master 'local[2]' -- --input /tmp/in --output /tmp/out

``--input`` and ``--output`` are any fsspec URLs (``s3://bucket/prefix`` with the standard
``AWS_*`` variables, ``AWS_ENDPOINT_URL`` for MinIO). Put files into the input directory
atomically (an S3 upload is). Each batch writes ``<output>/counts-<batch time ms>/part-*`` with
PySpark's text format, one ``('word', count)`` per line, written atomically: a batch re-run after
a recovery replaces its directory rather than adding a second one.

On Kubernetes the operator sets ``DSTREAMS_BATCH_INTERVAL`` (seconds) and, when the StreamJob
has ``spec.checkpoint``, ``DSTREAMS_CHECKPOINT_DIR``: the job then recovers from its checkpoint
after a driver restart (``StreamingContext.getOrCreate``). See ``wordcount.yaml``.
"""
from __future__ import annotations

import argparse
import os

from dstreams import Context, StreamingContext


def setup(args: argparse.Namespace) -> StreamingContext:
    ctx = Context(appName="wordcount")
    ssc = StreamingContext(ctx, args.batch)
    if args.checkpoint:
        ssc.checkpoint(args.checkpoint)
    lines = ssc.textFileStream(args.input)
    counts = lines.flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
    counts.saveAsTextFiles(args.output.rstrip("/") + "/counts")
    counts.pprint()
    return ssc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="directory whose new files are read (any fsspec URL)")
    parser.add_argument("--output", required=True, help="directory of the per-batch outputs (any fsspec URL)")
    parser.add_argument("--batch", type=float, default=float(os.environ.get("DSTREAMS_BATCH_INTERVAL", "1")),
                        help="batch interval in seconds (default: $DSTREAMS_BATCH_INTERVAL or 1)")
    parser.add_argument("--checkpoint", default=os.environ.get("DSTREAMS_CHECKPOINT_DIR"),
                        help="checkpoint directory (default: $DSTREAMS_CHECKPOINT_DIR; none: no recovery)")
    args = parser.parse_args()
    if args.checkpoint:
        ssc = StreamingContext.getOrCreate(args.checkpoint, lambda: setup(args))
    else:
        ssc = setup(args)
    ssc.start()
    ssc.awaitTermination()


if __name__ == "__main__":
    main()
