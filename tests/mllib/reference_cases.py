"""Training cases run both on pyspark.mllib (to record expectations) and on dstreams.mllib.

    pip install 'dstreams[bench]'      # pyspark 3.5.9; Java 17+
    PYSPARK_PYTHON=$(which python) python tests/mllib/reference_cases.py > tests/mllib/pyspark_expected.json

(the streaming cases run about 6 s of 1 s batches)

``run_cases(sc, package)`` takes a SparkContext (or dstreams Context) and the name of the
package ("pyspark.mllib" or "dstreams.mllib") and returns plain numbers, so both libraries
run exactly the same calls.
"""
from __future__ import annotations

import importlib
import json
import sys
import warnings
from typing import Any

import numpy as np


def _floats(x: Any) -> list:
    return np.asarray(x, dtype=float).tolist()


def run_cases(sc: Any, package: str) -> dict:
    clustering = importlib.import_module(package + ".clustering")
    regression = importlib.import_module(package + ".regression")
    classification = importlib.import_module(package + ".classification")
    feature = importlib.import_module(package + ".feature")
    linalg = importlib.import_module(package + ".linalg")
    LP = regression.LabeledPoint
    out: dict = {}

    def km(centers, weights, data, decay, unit):
        m = clustering.StreamingKMeansModel(centers, weights)
        m.update(sc.parallelize(data, 1), decay, unit)
        return {"centers": _floats(m.centers), "weights": _floats(m.clusterWeights)}

    pts = [[0.0, 0.0], [1.0, 0.0], [10.0, 10.0], [0.0, 1.0], [9.0, 11.0]]
    out["km_batches"] = km([[0.0, 0.5], [8.0, 8.0]], [2.0, 1.0], pts, 0.5, "batches")
    out["km_points"] = km([[0.0, 0.5], [8.0, 8.0]], [2.0, 1.0], pts, 0.9, "points")
    out["km_dying"] = km([[0.0, 0.0], [100.0, 100.0]], [1.0, 1e-9], [[1.0, 1.0]], 1.0, "batches")
    out["km_empty"] = km([[0.0, 0.0], [5.0, 5.0]], [4.0, 2.0], [], 0.5, "batches")
    out["km_random"] = _floats(clustering.StreamingKMeans(3).setRandomCenters(2, 1.0, 42).latestModel().centers)

    def lm(m):
        return {"weights": _floats(m.weights.toArray()), "intercept": float(m.intercept)}

    lin = [LP(1.0, [1.0, 2.0]), LP(2.0, [2.0, 1.0]), LP(3.0, [3.0, 3.0]), LP(0.5, [0.0, 1.0])]
    rdd = sc.parallelize(lin, 1)
    LR = regression.LinearRegressionWithSGD
    out["lin_plain"] = lm(LR.train(rdd, iterations=5, step=0.1))
    out["lin_intercept"] = lm(LR.train(rdd, iterations=5, step=0.1, intercept=True))
    out["lin_l2"] = lm(LR.train(rdd, iterations=5, step=0.1, regParam=0.5, regType="l2", initialWeights=[0.5, -0.5]))
    out["lin_l1"] = lm(LR.train(rdd, iterations=5, step=0.1, regParam=0.5, regType="l1", initialWeights=[0.5, -0.5]))
    out["lin_conv"] = lm(LR.train(rdd, iterations=100, step=0.1, convergenceTol=0.01))
    out["ridge"] = lm(regression.RidgeRegressionWithSGD.train(rdd, iterations=5, step=0.1))
    out["lasso"] = lm(regression.LassoWithSGD.train(rdd, iterations=5, step=0.1))
    # what StreamingLinearRegressionWithSGD() does with two batches (its defaults: step 0.1,
    # 50 iterations, tolerance 0.001, no intercept)
    w: Any = [0.0, 0.0]
    seq = []
    for batch in (lin[:2], lin[2:]):
        m = LR.train(sc.parallelize(batch, 1), 50, 0.1, 1.0, w, intercept=False, convergenceTol=0.001)
        w = m.weights
        seq.append(lm(m))
    out["lin_stream"] = seq
    logd = [LP(1.0, [1.0, 2.0]), LP(0.0, [-1.0, -0.5]), LP(1.0, [2.0, 0.5]), LP(0.0, [0.5, -2.0])]
    lrdd = sc.parallelize(logd, 1)
    LOG = classification.LogisticRegressionWithSGD
    out["log_plain"] = lm(LOG.train(lrdd, iterations=5, step=1.0))
    out["log_intercept"] = lm(LOG.train(lrdd, iterations=5, step=1.0, intercept=True, regParam=0.0))
    out["log_l1"] = lm(LOG.train(lrdd, iterations=5, step=1.0, regType="l1", regParam=0.1))
    out["log_stream"] = lm(LOG.train(lrdd, 50, 0.1, 1.0, [0.0, 0.0], regParam=0.0, convergenceTol=0.001))
    out["svm"] = lm(classification.SVMWithSGD.train(lrdd, iterations=5, step=1.0))
    kd = [[0.0, 0.0], [0.5, 0.0], [0.0, 0.5], [9.0, 9.0], [9.5, 9.0], [9.0, 9.5]]
    kmm = clustering.KMeans.train(sc.parallelize(kd, 1), 2, maxIterations=20, seed=1)
    out["kmeans"] = sorted(_floats(c) for c in kmm.clusterCenters)
    out["kmeans_cost"] = float(kmm.computeCost(sc.parallelize(kd, 1)))
    sd = [linalg.Vectors.dense([1.0, 2.0]), linalg.Vectors.dense([3.0, 6.0]), linalg.Vectors.dense([5.0, 7.0])]
    sm = feature.StandardScaler(withMean=True, withStd=True).fit(sc.parallelize(sd, 1))
    out["scaler_mean"] = _floats(sm.mean.toArray())
    out["scaler_std"] = _floats(sm.std.toArray())
    out["scaler_t"] = _floats(sm.transform(linalg.Vectors.dense([1.0, 2.0])).toArray())
    tfs = [linalg.Vectors.sparse(4, {0: 1.0, 1: 2.0}), linalg.Vectors.sparse(4, {0: 3.0}),
           linalg.Vectors.sparse(4, {0: 1.0, 3: 1.0})]
    idf = feature.IDF(minDocFreq=1).fit(sc.parallelize(tfs, 1))
    out["idf"] = _floats(idf.idf().toArray())
    out["idf_t"] = _floats(idf.transform(linalg.Vectors.dense([1.0, 1.0, 1.0, 2.0])).toArray())
    out["normalizer"] = _floats(feature.Normalizer(3.0).transform(linalg.Vectors.dense([1.0, -2.0, 2.0])).toArray())
    return out


def run_streaming_cases(sc: Any, package: str, interval: float) -> dict:
    """StreamingKMeans, StreamingLinearRegressionWithSGD and StreamingLogisticRegressionWithSGD
    on a queue stream of 4 batches (the third empty); after each of the first 5 batches, the
    latest models and the k-means predictions of that batch.

    (Not the linear models' predictions: PySpark pickles the model into a batch's RDD when the
    batch is generated, so they come from a model some batches old, depending on timing.)"""
    import threading
    streaming = importlib.import_module("pyspark.streaming" if package.startswith("pyspark") else "dstreams.streaming")
    clustering = importlib.import_module(package + ".clustering")
    regression = importlib.import_module(package + ".regression")
    classification = importlib.import_module(package + ".classification")
    LP = regression.LabeledPoint
    ssc = streaming.StreamingContext(sc, interval)
    points = [[[0.0, 0.0], [1.0, 0.5], [8.0, 9.0]], [[9.0, 9.0], [0.5, 0.0], [4.0, 4.5]], [], [[5.0, 5.0]]]
    km = clustering.StreamingKMeans(k=2, decayFactor=0.6).setInitialCenters([[0.0, 1.0], [6.0, 6.0]], [1.0, 3.0])
    kstream = ssc.queueStream([sc.parallelize(b, 2) for b in points])
    km.trainOn(kstream)
    labeled = [[LP(1.0, [1.0, 0.5]), LP(3.0, [2.0, 1.0])], [LP(2.0, [0.5, 2.0])], [], [LP(4.0, [1.0, 3.0])]]
    lin = regression.StreamingLinearRegressionWithSGD(stepSize=0.2, numIterations=10).setInitialWeights([0.0, 0.0])
    lstream = ssc.queueStream([sc.parallelize(b, 2) for b in labeled])
    lin.trainOn(lstream)
    binary = [[LP(1.0, [1.0, 0.5]), LP(0.0, [-2.0, 1.0])], [LP(1.0, [0.5, 2.0])], [], [LP(0.0, [-1.0, -3.0])]]
    log = classification.StreamingLogisticRegressionWithSGD(stepSize=0.5, numIterations=5, regParam=0.1)
    log.setInitialWeights([0.0, 0.0])
    bstream = ssc.queueStream([sc.parallelize(b, 2) for b in binary])
    log.trainOn(bstream)
    batches: list = []
    done = threading.Event()
    kpred = km.predictOn(kstream)

    def record(t: Any, rdd: Any) -> None:
        m = km.latestModel()
        batches.append({"centers": _floats(m.centers), "weights": _floats(m.clusterWeights),
                        "labels": rdd.collect(),
                        "lin": _floats(lin.latestModel().weights.toArray()),
                        "log": _floats(log.latestModel().weights.toArray())})
        if len(batches) >= 5:
            done.set()
    kpred.foreachRDD(record)
    ssc.start()
    try:
        if not done.wait(120):
            raise RuntimeError("the streaming cases did not finish in 120 s")
    finally:
        ssc.stop(stopSparkContext=False, stopGraceFully=False)
    return {"batches": batches[:5]}


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    from pyspark import SparkContext
    sc = SparkContext("local[1]", "dstreams-mllib-reference")
    sc.setLogLevel("ERROR")
    try:
        out = run_cases(sc, "pyspark.mllib")
        out["streaming"] = run_streaming_cases(sc, "pyspark.mllib", 1.0)
        json.dump(out, sys.stdout, indent=1)
        print()
    finally:
        sc.stop()
