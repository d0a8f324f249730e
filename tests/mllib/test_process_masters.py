"""The streaming algorithms on local-processes[2]: trainOn/predictOn closures and models are
pickled to worker processes, and the results are the same as in threads."""
from __future__ import annotations

import math

import pytest

from dstreams import Context
from dstreams.mllib.clustering import StreamingKMeans
from dstreams.mllib.regression import LabeledPoint, LinearRegressionWithSGD, StreamingLinearRegressionWithSGD
from dstreams.streaming import ManualClock, StreamingContext

from mllib_helpers import BATCH_MS, BatchesCompleted, wait_for


@pytest.fixture(scope="module")
def pctx():
    c = Context("local-processes[2]", "mllib-processes")
    yield c
    c.stop()


def test_batch_sgd_in_worker_processes(pctx):
    pts = pctx.parallelize([LabeledPoint(2.0, [1.0]), LabeledPoint(4.0, [2.0])], 2)
    w = LinearRegressionWithSGD.train(pts, iterations=2, step=0.1).weights[0]
    assert w == pytest.approx(0.5 + 0.1 / math.sqrt(2) * 3.75)


def test_streaming_models_in_worker_processes(pctx):
    clock = ManualClock(0)
    ssc = StreamingContext(pctx, BATCH_MS / 1000, clock=clock)
    done = BatchesCompleted()
    ssc.addStreamingListener(done)
    skm = StreamingKMeans(k=2, decayFactor=0.5).setInitialCenters([[0.0], [10.0]], [1.0, 1.0])
    points = ssc.queueStream([[[1.0], [2.0], [9.0]]])
    skm.trainOn(points)
    labels: list = []
    skm.predictOn(points).foreachRDD(lambda rdd: labels.append(rdd.collect()))
    lin = StreamingLinearRegressionWithSGD(stepSize=0.1, numIterations=1).setInitialWeights([0.0])
    lin.trainOn(ssc.queueStream([[LabeledPoint(2.0, [1.0]), LabeledPoint(4.0, [2.0])]]))
    try:
        ssc.start()
        clock.advance(BATCH_MS)

        def finished() -> bool:
            ssc.awaitTerminationOrTimeout(0)
            return done.last_ms >= BATCH_MS
        wait_for(finished, 60, "one batch")
    finally:
        ssc.stop(stopSparkContext=False)
    assert skm.latestModel().centers[:, 0].tolist() == pytest.approx([3.0 / 2.5, (1 / 3) * 10 + 6.0])
    assert labels == [[0, 0, 1]]
    assert lin.latestModel().weights[0] == pytest.approx(0.5)
