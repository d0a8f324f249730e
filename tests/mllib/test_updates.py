"""The update rules against values computed by hand on tiny data (MLlib's rules as stated in
the module docstrings of dstreams.mllib.clustering and dstreams.mllib._sgd)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from dstreams.mllib.classification import LogisticRegressionWithSGD, SVMWithSGD
from dstreams.mllib.clustering import KMeans, StreamingKMeans, StreamingKMeansModel
from dstreams.mllib.errors import (EmptyDatasetError, InvalidLabelError, InvalidParameterError,
                                   ModelNotInitializedError)
from dstreams.mllib.regression import LabeledPoint, LinearRegressionWithSGD, StreamingLinearRegressionWithSGD


# ---- streaming k-means -------------------------------------------------------------------------
def test_kmeans_update_batches(ctx):
    m = StreamingKMeansModel([[0.0, 0.5], [8.0, 8.0]], [2.0, 1.0])
    pts = [[0.0, 0.0], [1.0, 0.0], [10.0, 10.0], [0.0, 1.0], [9.0, 11.0]]
    m.update(ctx.parallelize(pts, 2), 0.5, "batches")
    # weights discounted to [1, 0.5]; cluster 0 gets 3 points summing to (1, 1): weight 4,
    # lambda 3/4; cluster 1 gets 2 points summing to (19, 21): weight 2.5, lambda 0.8
    assert m.clusterWeights == [4.0, 2.5]
    np.testing.assert_allclose(m.centers[0], [0.25 * 0.0 + 1 / 4, 0.25 * 0.5 + 1 / 4])
    np.testing.assert_allclose(m.centers[1], [0.2 * 8 + 19 / 2.5, 0.2 * 8 + 21 / 2.5])


def test_kmeans_update_points_discounts_by_the_number_of_points(ctx):
    m = StreamingKMeansModel([[0.0], [10.0]], [2.0, 2.0])
    m.update(ctx.parallelize([[1.0], [2.0], [11.0]], 2), 0.5, "points")
    d = 0.5 ** 3
    w0, w1 = 2 * d + 2, 2 * d + 1
    assert m.clusterWeights == pytest.approx([w0, w1])
    np.testing.assert_allclose(m.centers[:, 0], [(1 - 2 / w0) * 0.0 + 3.0 / w0, (1 - 1 / w1) * 10.0 + 11.0 / w1])


def test_kmeans_empty_batch_still_decays(ctx):
    m = StreamingKMeansModel([[0.0], [5.0]], [4.0, 2.0])
    m.update(ctx.emptyRDD(), 0.5, "batches")
    assert m.clusterWeights == [2.0, 1.0]
    assert m.centers[:, 0].tolist() == [0.0, 5.0]
    m.update(ctx.emptyRDD(), 0.5, "points")  # 0.5 ** 0: no decay
    assert m.clusterWeights == [2.0, 1.0]


def test_kmeans_dying_cluster_is_split_from_the_largest(ctx):
    m = StreamingKMeansModel([[0.0, 0.0], [100.0, 100.0]], [1.0, 1e-9])
    m.update(ctx.parallelize([[1.0, 1.0]]), 1.0, "batches")
    # cluster 0: weight 2, center 0.5; cluster 1 (1e-9 < 1e-8 * 2) dies: both get (2 + 1e-9) / 2
    assert m.clusterWeights == [pytest.approx(1.0000000005, abs=0)] * 2
    assert m.centers[0].tolist() == [0.5 + 1e-14, 0.5 + 1e-14]
    assert m.centers[1].tolist() == [0.5 - 1e-14, 0.5 - 1e-14]


def test_kmeans_zero_weights_take_the_batch_mean(ctx):
    m = StreamingKMeansModel([[0.0], [10.0]], [0.0, 0.0])
    m.update(ctx.parallelize([[2.0], [4.0], [12.0]]), 1.0, "batches")
    assert m.centers[:, 0].tolist() == [3.0, 12.0] and m.clusterWeights == [2.0, 1.0]


def test_half_life_and_parameters():
    skm = StreamingKMeans().setHalfLife(3, "batches")
    assert skm._decayFactor ** 3 == pytest.approx(0.5)
    with pytest.raises(InvalidParameterError, match="'batches' or 'points', got 'seconds'"):
        StreamingKMeans().setHalfLife(3, "seconds")
    with pytest.raises(InvalidParameterError, match="timeUnit"):
        StreamingKMeans(timeUnit="minutes")
    with pytest.raises(ModelNotInitializedError, match="setInitialCenters"):
        StreamingKMeans().trainOn(object())


def test_random_centers_are_numpy_randomstate_normals():
    m = StreamingKMeans(k=3).setRandomCenters(2, 5.0, 7).latestModel()
    np.testing.assert_array_equal(m.centers, np.random.RandomState(7).randn(3, 2))
    assert m.clusterWeights == [5.0, 5.0, 5.0]


def test_batch_kmeans_finds_separated_clusters(ctx):
    pts = [[0.0, 0.0], [0.5, 0.0], [0.0, 0.5], [9.0, 9.0], [9.5, 9.0], [9.0, 9.5]]
    for mode in ("k-means||", "random"):
        m = KMeans.train(ctx.parallelize(pts, 2), 2, initializationMode=mode, seed=3)
        assert sorted(c.tolist() for c in m.clusterCenters) == [[1 / 6, 1 / 6], [9 + 1 / 6, 9 + 1 / 6]]
        assert m.predict([0.1, 0.1]) != m.predict([9.0, 9.1])
        # per cluster: (1/6)^2 * 2 for the corner, (1/3)^2 + (1/6)^2 for the other two points
        assert m.computeCost(ctx.parallelize(pts)) == pytest.approx(2 * (2 / 36 + 5 / 36 + 5 / 36))
    with pytest.raises(EmptyDatasetError):
        KMeans.train(ctx.emptyRDD(), 2)


# ---- SGD ----------------------------------------------------------------------------------------
def test_linear_sgd_two_iterations_by_hand(ctx):
    pts = ctx.parallelize([LabeledPoint(2.0, [1.0]), LabeledPoint(4.0, [2.0])], 2)
    # iteration 1: residuals (-2, -4), mean gradient (-2*1 - 4*2) / 2 = -5, step 0.1: w = 0.5
    # iteration 2: residuals (-1.5, -3), mean gradient -3.75, step 0.1 / sqrt(2)
    w2 = 0.5 + 0.1 / math.sqrt(2) * 3.75
    assert LinearRegressionWithSGD.train(pts, iterations=1, step=0.1).weights[0] == pytest.approx(0.5)
    assert LinearRegressionWithSGD.train(pts, iterations=2, step=0.1).weights[0] == pytest.approx(w2)


def test_intercept_starts_at_one_and_is_learned(ctx):
    pts = ctx.parallelize([LabeledPoint(2.0, [1.0]), LabeledPoint(4.0, [2.0])])
    assert LinearRegressionWithSGD.train(pts, iterations=0, intercept=True).intercept == 1.0
    # iteration 1 with weights (0, 1): residuals (-1, -3), gradient (-1 - 6, -1 - 3) / 2
    m = LinearRegressionWithSGD.train(pts, iterations=1, step=0.1, intercept=True)
    assert m.weights[0] == pytest.approx(0.35) and m.intercept == pytest.approx(1.2)


def test_l2_and_l1_updaters(ctx):
    pt = ctx.parallelize([LabeledPoint(1.0, [1.0])])  # zero residual at w = 1: only the penalty acts
    l2 = LinearRegressionWithSGD.train(pt, iterations=1, step=1.0, initialWeights=[1.0], regParam=0.5, regType="l2")
    assert l2.weights[0] == pytest.approx((1 - 0.5) * 1.0)
    l1 = LinearRegressionWithSGD.train(pt, iterations=1, step=1.0, initialWeights=[1.0], regParam=0.5, regType="l1")
    assert l1.weights[0] == pytest.approx(1.0 - 0.5)
    # soft-thresholding to exactly zero: residual 0.7 at w = 0.3 -> 0.3 + 0.7 = 1.0, shrunk by 2.0
    l1z = LinearRegressionWithSGD.train(pt, iterations=1, step=1.0, initialWeights=[0.3], regParam=2.0, regType="l1")
    assert l1z.weights[0] == 0.0
    with pytest.raises(InvalidParameterError, match="regType"):
        LinearRegressionWithSGD.train(pt, regType="l3")


def test_convergence_stops_early(ctx):
    pt = ctx.parallelize([LabeledPoint(0.0, [1.0])])
    # w converges to 0: with tolerance 0.5 the second update (0.5 -> 0.5 - 0.5/sqrt 2 * 0.5)
    # already moves less than 0.5 * max(|w|, 1), so the result is the weight after 2 steps
    w1 = 1.0 - 1.0 * 1.0 * 0.5
    w2 = w1 - (0.5 / math.sqrt(2)) * w1
    m = LinearRegressionWithSGD.train(pt, iterations=50, step=0.5, initialWeights=[1.0], convergenceTol=0.5)
    assert m.weights[0] == pytest.approx(w2)


def test_logistic_sgd_by_hand_and_label_check(ctx):
    pts = ctx.parallelize([LabeledPoint(1.0, [1.0]), LabeledPoint(0.0, [-1.0])])
    # at w = 0 both probabilities are 0.5: multipliers (-0.5, 0.5), mean gradient -0.5
    m = LogisticRegressionWithSGD.train(pts, iterations=1, step=1.0, regParam=0.0)
    assert m.weights[0] == pytest.approx(0.5)
    m2 = LogisticRegressionWithSGD.train(pts, iterations=1, step=1.0, regParam=0.1)  # L2 by default
    assert m2.weights[0] == pytest.approx(0.5)  # (1 - 0.1) * 0 + 0.5
    assert m.predict([1.0]) == 1 and m.predict([-1.0]) == 0
    m.clearThreshold()
    assert m.predict([1.0]) == pytest.approx(1 / (1 + math.exp(-0.5)))
    with pytest.raises(InvalidLabelError, match=r"labels 0 or 1, found \[2.0\]"):
        LogisticRegressionWithSGD.train(ctx.parallelize([LabeledPoint(2.0, [1.0])]))
    with pytest.raises(InvalidLabelError):
        SVMWithSGD.train(ctx.parallelize([LabeledPoint(-1.0, [1.0])]))


def test_mini_batch_fraction_is_deterministic_and_validated(ctx):
    data = ctx.parallelize([LabeledPoint(float(i % 3), [float(i), 1.0]) for i in range(40)], 2)
    a = LinearRegressionWithSGD.train(data, iterations=5, step=0.01, miniBatchFraction=0.5)
    b = LinearRegressionWithSGD.train(data, iterations=5, step=0.01, miniBatchFraction=0.5)
    full = LinearRegressionWithSGD.train(data, iterations=5, step=0.01)
    assert a.weights == b.weights and a.weights != full.weights
    with pytest.raises(InvalidParameterError, match="miniBatchFraction"):
        LinearRegressionWithSGD.train(data, miniBatchFraction=0.0)
    with pytest.raises(InvalidParameterError, match="miniBatchFraction"):
        StreamingLinearRegressionWithSGD(miniBatchFraction=1.5)


def test_empty_and_wrong_input(ctx):
    with pytest.raises(EmptyDatasetError, match="empty"):
        LinearRegressionWithSGD.train(ctx.emptyRDD())
    with pytest.raises(TypeError, match="LabeledPoint"):
        LinearRegressionWithSGD.train(ctx.parallelize([[1.0, 2.0]]))
    with pytest.raises(ModelNotInitializedError, match="setInitialWeights"):
        StreamingLinearRegressionWithSGD().predictOn(None)


# ---- save / load -------------------------------------------------------------------------------
def test_models_save_and_load(ctx, tmp_path):
    from dstreams.errors import OutputPathExistsError
    from dstreams.mllib.classification import LogisticRegressionModel, SVMModel
    from dstreams.mllib.clustering import KMeansModel
    from dstreams.mllib.errors import ModelFormatError
    from dstreams.mllib.regression import LassoModel
    lr = LogisticRegressionModel([1.0, -2.0], 0.5, 2, 2)
    lr.setThreshold(0.8)
    lr.save(ctx, str(tmp_path / "lr"))
    back = LogisticRegressionModel.load(ctx, str(tmp_path / "lr"))
    assert back.weights == lr.weights and back.intercept == 0.5 and back.threshold == 0.8 and back.numFeatures == 2
    svm = SVMModel([1.0], 0.0)
    svm.clearThreshold()
    svm.save(ctx, str(tmp_path / "svm"))
    assert SVMModel.load(ctx, str(tmp_path / "svm")).predict([2.0]) == 2.0   # still without threshold
    skm = StreamingKMeansModel([[0.0], [3.0]], [1.5, 2.5])
    skm.save(ctx, str(tmp_path / "skm"))
    loaded = StreamingKMeansModel.load(ctx, str(tmp_path / "skm"))
    assert loaded.centers.tolist() == [[0.0], [3.0]] and loaded.clusterWeights == [1.5, 2.5]
    with pytest.raises(OutputPathExistsError, match="already exists"):
        lr.save(ctx, str(tmp_path / "lr"))
    with pytest.raises(ModelFormatError, match="not a dstreams.mllib.regression.LassoModel"):
        LassoModel.load(ctx, str(tmp_path / "lr"))
    with pytest.raises(ModelFormatError, match="no metadata.json"):
        KMeansModel.load(ctx, str(tmp_path))


def test_hashing_tf_and_scaler_edge_cases(ctx):
    from dstreams.mllib.feature import HashingTF, StandardScaler
    from dstreams.mllib.linalg import SparseVector, Vectors
    tf = HashingTF(8)
    v = tf.transform(["a", "b", "a", "c"])
    assert v.size == 8 and sum(v.values) == 4.0 and v[tf.indexOf("a")] >= 2.0
    assert tf.setBinary(True).transform(["a", "a"]).values.tolist() == [1.0]
    docs = tf.transform(ctx.parallelize([["x"], ["y", "y"]])).collect()
    assert [d.values.sum() for d in docs] == [1.0, 1.0]   # binary: presence only
    model = StandardScaler().fit(ctx.parallelize([Vectors.dense([1.0, 5.0]), Vectors.dense([3.0, 5.0])], 2))
    # std of column 0 is sqrt(2) (n - 1 = 1); column 1 is constant: scaled to 0.0, as MLlib does
    assert model.transform(Vectors.dense([2.0, 5.0])).toArray().tolist() == pytest.approx([2.0 / math.sqrt(2), 0.0])
    sparse = model.transform(SparseVector(2, {0: 2.0}))
    assert isinstance(sparse, SparseVector) and sparse[0] == pytest.approx(math.sqrt(2))


@pytest.mark.parametrize("mode", ["k-means||", "random"])
def test_batch_kmeans_on_partitioned_blobs(ctx, mode):
    rng = np.random.default_rng(5)
    truth = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0]])
    labels = rng.integers(0, 3, 600)
    pts = truth[labels] + rng.normal(0, 0.5, size=(600, 2))
    model = KMeans.train(ctx.parallelize(pts.tolist(), 4), 3, initializationMode=mode, seed=11)
    got = sorted(c.tolist() for c in model.clusterCenters)
    want = sorted(pts[labels == j].mean(axis=0).tolist() for j in range(3))   # Lloyd's fixed point
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_batch_kmeans_with_fewer_distinct_points_than_k(ctx):
    m = KMeans.train(ctx.parallelize([[1.0], [1.0], [2.0]], 2), 5, seed=2)
    assert sorted(c.tolist() for c in m.clusterCenters) == [[1.0], [2.0]]


def test_assignment_is_exact_far_from_the_origin(ctx):
    # |x|^2 - 2 x.c + |c|^2 would lose the 0.1 differences at 1e8; differences keep them
    m = StreamingKMeansModel([[1e8], [1e8 + 1.0]], [1.0, 1.0])
    assert m.predict([1e8 + 0.4]) == 0 and m.predict([1e8 + 0.6]) == 1
    m.update(ctx.parallelize([[1e8 + 0.4], [1e8 + 0.6]]), 1.0, "batches")
    assert m.centers[:, 0].tolist() == pytest.approx([1e8 + 0.2, 1e8 + 0.8], abs=1e-6)


def test_sgd_on_wide_sparse_features_equals_dense(ctx):
    """HashingTF-sized sparse features are not densified (2**20 columns), and give the same
    weights as the same data written dense in a narrow space."""
    from dstreams.mllib.linalg import SparseVector
    wide = 1 << 20
    cols = [3, 70000, wide - 1]
    rows = [({0: 1.0, 1: 2.0}, 1.0), ({1: 1.0, 2: 0.5}, 0.0), ({0: 2.0, 2: 1.0}, 1.0), ({}, 0.0)]
    sparse = [LabeledPoint(y, SparseVector(wide, {cols[j]: v for j, v in x.items()})) for x, y in rows]
    dense = [LabeledPoint(y, [x.get(j, 0.0) for j in range(3)]) for x, y in rows]
    for intercept in (False, True):
        a = LogisticRegressionWithSGD.train(ctx.parallelize(sparse, 2), iterations=5, intercept=intercept,
                                            miniBatchFraction=1.0)
        b = LogisticRegressionWithSGD.train(ctx.parallelize(dense, 2), iterations=5, intercept=intercept)
        np.testing.assert_allclose(a.weights.toArray()[cols], b.weights.toArray(), rtol=1e-12)
        assert a.intercept == pytest.approx(b.intercept, rel=1e-12)
        # the other weights only feel the L2 shrinkage from 0: they stay 0
        assert np.count_nonzero(a.weights.toArray()) <= 3
    lin_s = LinearRegressionWithSGD.train(ctx.parallelize(sparse, 2), iterations=3, step=0.1, miniBatchFraction=0.5)
    assert lin_s.weights.size == wide


def test_idf_and_normalizer_by_hand(ctx):
    from dstreams.mllib.feature import IDF, HashingTF, Normalizer
    from dstreams.mllib.linalg import Vectors
    tf = HashingTF(1 << 20)
    docs = ctx.parallelize([["a", "b"], ["a"], ["a", "c", "c"]], 2)
    freqs = tf.transform(docs).cache()
    model = IDF(minDocFreq=2).fit(freqs)
    a, c = tf.indexOf("a"), tf.indexOf("c")
    assert model.numDocs() == 3 and model.docFreq()[a] == 3 and model.docFreq()[c] == 1
    # a: log(4/4) = 0; c: df 1 < minDocFreq 2 -> 0; with minDocFreq 0, c: log(4/2)
    assert model.idf()[a] == 0.0 and model.idf()[c] == 0.0
    assert IDF().fit(freqs).transform(tf.transform(["c", "c"]))[c] == pytest.approx(2 * math.log(2))
    assert Normalizer(float("inf")).transform(Vectors.dense([1.0, -4.0, 2.0])).toArray().tolist() == [0.25, -1.0, 0.5]
    assert Normalizer().transform(Vectors.dense([0.0, 0.0])).toArray().tolist() == [0.0, 0.0]
