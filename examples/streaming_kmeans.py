"""Streaming k-means: learn clusters while points stream in, and label every point live.

    dstreams run examples/streaming_kmeans.py --master 'local[2]' -- --batches 10

Points are lines of comma-separated numbers read from the new files of ``--input`` (a
directory, any fsspec URL; move files in atomically). Without ``--input`` a feeder writes a
file every second into a temporary directory, with points drawn around ``--k`` fixed centers.

The model is MLlib's StreamingKMeans (``--half-life`` in batches forgets old data; without it
every point counts the same). With ``--checkpoint DIR`` the context is built with
``StreamingContext.getOrCreate``: kill the driver (even with SIGKILL) and start it again with
the same arguments, and the model continues from its last checkpointed centers.

Each batch prints one line ``model <batch time ms> <JSON {"centers": [...], "weights": [...]}>``
and the number of points of the batch per cluster, as ``(cluster, count)`` pairs.
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
from dstreams.mllib.clustering import StreamingKMeans
from dstreams.mllib.linalg import Vectors
from dstreams.mllib.util import streamingAlgorithms


def parse_point(line: str):
    return Vectors.dense([float(x) for x in line.split(",")])


def setup(args) -> StreamingContext:
    ctx = Context(appName="streaming-kmeans")
    ssc = StreamingContext(ctx, args.batch)
    if args.checkpoint:
        ssc.checkpoint(args.checkpoint)
    points = ssc.textFileStream(args.input).filter(str.strip).map(parse_point)
    model = StreamingKMeans(k=args.k)
    if args.half_life:
        model.setHalfLife(args.half_life, "batches")
    if args.initial_centers:
        centers = json.loads(args.initial_centers)
        model.setK(len(centers)).setInitialCenters(centers, [0.0] * len(centers))
    else:
        model.setRandomCenters(args.dim, 0.0, args.seed)
    model.trainOn(points)

    def print_model(time_, rdd):
        from dstreams.streaming.util import datetime_to_ms
        m = model.latestModel()
        doc = {"centers": m.centers.round(6).tolist(), "weights": [round(w, 6) for w in m.clusterWeights]}
        print(f"model {datetime_to_ms(time_)} {json.dumps(doc)}", flush=True)

    points.foreachRDD(print_model)
    model.predictOn(points).countByValue().transform(lambda rdd: rdd.sortByKey()).pprint()
    return ssc


def feed(directory: str, k: int, dim: int, seed: int, stop: threading.Event) -> None:
    """Every second, atomically write a file of 50 points drawn around k fixed centers."""
    rng = random.Random(seed)
    truth = [[rng.uniform(-10, 10) for _ in range(dim)] for _ in range(k)]
    staging = tempfile.mkdtemp(prefix="dstreams-points-")
    while not stop.wait(1.0):
        name = f"points-{time.time_ns()}.csv"
        with open(os.path.join(staging, name), "w") as f:
            for _ in range(50):
                c = rng.choice(truth)
                f.write(",".join(f"{x + rng.gauss(0, 1):.4f}" for x in c) + "\n")
        os.replace(os.path.join(staging, name), os.path.join(directory, name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", default=None, help="directory of point files (default: generated)")
    parser.add_argument("--k", type=int, default=3, help="number of clusters (default 3)")
    parser.add_argument("--dim", type=int, default=2, help="dimensions of the generated points (default 2)")
    parser.add_argument("--initial-centers", default=None, help="JSON list of initial centers (default: random)")
    parser.add_argument("--half-life", type=float, default=None, help="half-life in batches (default: none)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random centers and the generator")
    parser.add_argument("--batch", type=float, default=1.0, help="batch duration in seconds (default 1)")
    parser.add_argument("--checkpoint", default=None, help="checkpoint directory (recovery with getOrCreate)")
    parser.add_argument("--batches", type=int, default=0, help="stop after about this many batches (0: Ctrl-C)")
    args = parser.parse_args()
    stop_feeding = threading.Event()
    if args.input is None:
        args.input = tempfile.mkdtemp(prefix="dstreams-kmeans-input-")
        threading.Thread(target=feed, args=(args.input, args.k, args.dim, args.seed, stop_feeding),
                         daemon=True).start()
    if args.checkpoint:
        ssc = StreamingContext.getOrCreate(args.checkpoint, lambda: setup(args))
    else:
        ssc = setup(args)
    ssc.start()
    print(f"started ({len(streamingAlgorithms(ssc))} model)", flush=True)
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
