"""A live classifier: train offline, score a socket stream, pick up a retrained model on the fly.

    nc -lk 9999                                     # in one terminal, then type lines like 1.5,2
    dstreams run examples/live_classifier.py --master 'local[2]' -- localhost 9999 --model /tmp/clf.pkl

Each line received is a point ``x1,x2``. The model is a logistic regression trained with
``LogisticRegressionWithSGD`` on a small built-in history and pickled to ``--model`` (any
pickled object with ``predict(features)``, e.g. a scikit-learn classifier wrapped to take one
row, works too: replace the file). ``ModelBroadcast`` broadcasts it and, before each batch,
broadcasts it again if the file changed, so a retrained model is used from the next batch on.

Every batch prints a ``pprint`` block of ``(line, label, model version)``.
"""
from __future__ import annotations

import argparse
import os
import pickle
import tempfile

from dstreams import Context, StreamingContext
from dstreams.mllib.classification import LogisticRegressionWithSGD
from dstreams.mllib.regression import LabeledPoint
from dstreams.mllib.util import ModelBroadcast

HISTORY = [((2.0, 1.0), 1), ((1.0, 2.5), 1), ((3.0, 3.0), 1), ((-1.0, -2.0), 0), ((-2.5, -0.5), 0), ((-3.0, -1.0), 0)]


def train_offline(ctx: Context, path: str) -> None:
    """Train on the historical points (a batch RDD) and pickle the model to ``path``, atomically."""
    history = ctx.parallelize([LabeledPoint(label, features) for features, label in HISTORY])
    model = LogisticRegressionWithSGD.train(history, iterations=50, regParam=0.0)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump(model, f)
    os.replace(tmp, path)


def parse(line: str) -> list[float]:
    return [float(x) for x in line.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--model", default=os.path.join(tempfile.gettempdir(), "dstreams-live-classifier.pkl"),
                        help="pickled model file (trained from the built-in history if missing)")
    parser.add_argument("--batch", type=float, default=1.0, help="batch duration in seconds (default 1)")
    args = parser.parse_args()

    ctx = Context(appName="live-classifier")
    if not os.path.exists(args.model):
        train_offline(ctx, args.model)
    models = ModelBroadcast(ctx, args.model)
    ssc = StreamingContext(ctx, args.batch)
    lines = ssc.socketTextStream(args.host, args.port).filter(str.strip)

    def score(rdd):
        bc, version = models.current(), models.version
        return rdd.map(lambda line: (line, bc.value.predict(parse(line)), version))

    lines.transform(score).pprint()
    ssc.start()
    try:
        ssc.awaitTermination()
    except KeyboardInterrupt:
        print("\nstopping (Ctrl-C)")
    finally:
        ssc.stop()


if __name__ == "__main__":
    main()
