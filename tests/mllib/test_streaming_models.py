"""Streaming algorithms on a queueStream on local[2], batch by batch on a ManualClock; the
expected models are computed by hand from MLlib's rules."""
from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from dstreams.mllib.classification import LogisticRegressionWithSGD, StreamingLogisticRegressionWithSGD
from dstreams.mllib.clustering import StreamingKMeans
from dstreams.mllib.linalg import Vectors
from dstreams.mllib.regression import LabeledPoint, StreamingLinearRegressionWithSGD
from dstreams.mllib.util import ModelBroadcast


def test_streaming_kmeans_on_a_queue_stream(runner):
    skm = StreamingKMeans(k=2, decayFactor=0.5).setInitialCenters([[0.0], [10.0]], [1.0, 1.0])
    batches = [[[1.0], [2.0], [9.0]], [], [[3.0]]]
    stream = runner.ssc.queueStream(batches)
    skm.trainOn(stream)
    predictions = runner.collect(skm.predictOn(stream))
    probes = runner.collect(skm.predictOnValues(runner.ssc.queueStream([[("probe", [5.2])]])))
    runner.run(1)
    # weights discounted to (0.5, 0.5); cluster 0 gets 1 and 2 (weight 2.5, lambda 0.8),
    # cluster 1 gets 9 (weight 1.5, lambda 2/3)
    c0, c1 = 0.2 * 0.0 + 3.0 / 2.5, (1 / 3) * 10.0 + 9.0 / 1.5
    assert skm.latestModel().centers[:, 0].tolist() == pytest.approx([c0, c1])
    assert skm.latestModel().clusterWeights == pytest.approx([2.5, 1.5])
    runner.run(1)  # an empty batch: the weights halve, the centers stay
    assert skm.latestModel().clusterWeights == pytest.approx([1.25, 0.75])
    runner.run(1)
    w0 = 1.25 * 0.5 + 1
    assert skm.latestModel().centers[:, 0].tolist() == pytest.approx([(1 - 1 / w0) * c0 + 3.0 / w0, c1])
    assert skm.latestModel().clusterWeights == pytest.approx([w0, 0.375])
    # trainOn runs before predictOn in each batch, so predictions use the updated model: 5.2
    # is nearer to 10 than to 0, but nearer to 1.2 than to 9.33
    assert predictions == [[0, 0, 1], [], [0]]
    assert probes[0] == [("probe", 0)]


def test_streaming_kmeans_half_life_in_points(runner):
    skm = StreamingKMeans(k=2).setHalfLife(4, "points").setInitialCenters([[0.0, 0.0], [5.0, 5.0]], [8.0, 8.0])
    skm.trainOn(runner.ssc.queueStream([[Vectors.dense([1.0, 1.0]), Vectors.sparse(2, {0: 6.0})]]))
    runner.run(1)
    d = 0.5 ** (2 / 4)  # two points, half-life four points
    w = 8.0 * d + 1
    m = skm.latestModel()
    assert m.clusterWeights == pytest.approx([w, w])
    np.testing.assert_allclose(m.centers, [[1 / w, 1 / w], [(1 - 1 / w) * 5 + 6 / w, (1 - 1 / w) * 5]])


def test_streaming_linear_regression_on_a_queue_stream(runner):
    alg = StreamingLinearRegressionWithSGD(stepSize=0.1, numIterations=2).setInitialWeights([0.0])
    batches = [[LabeledPoint(2.0, [1.0]), LabeledPoint(4.0, [2.0])], [], [LabeledPoint(3.0, [1.0])]]
    stream = runner.ssc.queueStream(batches)
    alg.trainOn(stream)
    scored = runner.collect(alg.predictOnValues(stream.map(lambda lp: (lp.label, lp.features))))
    runner.run(1)
    # batch 1: mean gradients -5 then -3.75 (steps 0.1 and 0.1 / sqrt 2)
    w = 0.5 + 0.1 / math.sqrt(2) * 3.75
    assert alg.latestModel().weights[0] == pytest.approx(w)
    runner.run(1)  # empty: skipped
    assert alg.latestModel().weights[0] == pytest.approx(w)
    runner.run(1)
    w1 = w - 0.1 * (w - 3.0)
    w2 = w1 - 0.1 / math.sqrt(2) * (w1 - 3.0)
    assert alg.latestModel().weights[0] == pytest.approx(w2)
    assert alg.latestModel().intercept == 0.0
    assert scored[2] == [(3.0, pytest.approx(w2))]


def test_streaming_logistic_regression_on_a_queue_stream(runner):
    alg = StreamingLogisticRegressionWithSGD(stepSize=1.0, numIterations=1).setInitialWeights([0.0])
    stream = runner.ssc.queueStream([[LabeledPoint(1.0, [1.0]), LabeledPoint(0.0, [-1.0])], [LabeledPoint(1.0, [2.0])]])
    alg.trainOn(stream)
    labels = runner.collect(alg.predictOn(stream.map(lambda lp: lp.features)))
    runner.run(1)
    assert alg.latestModel().weights[0] == pytest.approx(0.5)  # mean gradient -0.5 at w = 0
    runner.run(1)
    p = 1 / (1 + math.exp(-0.5 * 2.0))
    assert alg.latestModel().weights[0] == pytest.approx(0.5 - 1.0 * (p - 1.0) * 2.0)
    assert labels == [[1, 0], [1]]


def test_train_offline_score_live(ctx, runner, tmp_path):
    """A model trained on a batch RDD, pickled, loaded and broadcast, scores a live stream; a
    new model file is picked up at the next batch (a new broadcast), the old one is not reused."""
    history = ctx.parallelize([LabeledPoint(1.0, [1.0, 1.0]), LabeledPoint(0.0, [-1.0, -1.0]),
                               LabeledPoint(1.0, [2.0, 0.5]), LabeledPoint(0.0, [-0.5, -2.0])])
    model = LogisticRegressionWithSGD.train(history, iterations=20, regParam=0.0)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    models = ModelBroadcast(ctx, str(path))
    live = runner.ssc.queueStream([[[3.0, 3.0], [-3.0, -3.0]], [[3.0, 3.0]], [[3.0, 3.0]]])
    scored = runner.collect(models.score(live, lambda m, x: m.predict(x)))
    runner.run(1)
    assert scored == [[1, 0]] and models.version == 1
    runner.run(1)
    assert models.version == 1  # unchanged file: the same broadcast
    flipped = type(model)(-model.weights.toArray(), -model.intercept, 2, 2)
    new_path = tmp_path / "model.new"
    new_path.write_bytes(pickle.dumps(flipped) + b"\n")  # a different size, so a changed file even
    new_path.replace(path)                               # when the mtime is within the same tick
    runner.run(1)
    assert models.version == 2
    assert scored == [[1, 0], [1], [0]]


def test_one_model_trained_on_two_streams_learns_from_both(runner):
    skm = StreamingKMeans(k=1).setInitialCenters([[0.0]], [0.0])
    skm.trainOn(runner.ssc.queueStream([[[2.0]]]))
    skm.trainOn(runner.ssc.queueStream([[[4.0], [6.0]]]))
    runner.run(1)
    # decay 1, weight 0: the first stream's point sets the center to 2 (weight 1); the second's
    # two points then move it to (1 * 2 + 4 + 6) / 3
    assert skm.latestModel().clusterWeights == [3.0]
    assert skm.latestModel().centers[0, 0] == pytest.approx(4.0)
    from dstreams.mllib.util import streamingAlgorithms
    assert streamingAlgorithms(runner.ssc) == [skm]


def test_linear_model_restored_from_the_checkpoint(ctx, tmp_path):
    """The checkpoint written after a batch holds the learned weights: a context recreated
    from it (getOrCreate, in this process) has the trained model, not the initial one."""
    from mllib_helpers import Runner

    from dstreams.mllib.util import streamingAlgorithms
    from dstreams.streaming import StreamingContext
    r = Runner(ctx)
    r.ssc.checkpoint(str(tmp_path / "ck"))
    alg = StreamingLogisticRegressionWithSGD(stepSize=1.0, numIterations=1).setInitialWeights([0.0])
    alg.trainOn(r.ssc.queueStream([[LabeledPoint(1.0, [1.0]), LabeledPoint(0.0, [-1.0])]]))
    try:
        r.run(2)
    finally:
        r.stop()
    assert alg.latestModel().weights[0] == pytest.approx(0.5)

    def never() -> StreamingContext:
        raise AssertionError("the checkpoint was not used")
    restored = StreamingContext.getOrCreate(str(tmp_path / "ck"), never)
    (again,) = streamingAlgorithms(restored)
    assert again is not alg and again.latestModel().weights[0] == pytest.approx(0.5)
