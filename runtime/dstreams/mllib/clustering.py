"""Clustering with pyspark.mllib's names: ``KMeans`` / ``KMeansModel`` (batch) and
``StreamingKMeans`` / ``StreamingKMeansModel`` (learning on a DStream).

StreamingKMeans follows MLlib's update rule exactly. For each batch, every point is assigned
to its nearest center; then, with ``a`` the decay factor,

- the weights of *all* clusters are discounted by ``a`` ("batches") or by ``a ** m``
  ("points", ``m`` the number of points in the batch) — also when the batch is empty;
- each cluster ``j`` that received ``n_j`` points with sum ``s_j`` gets the weight
  ``w_j' = w_j + n_j`` and the center ``c_j' = (1 - n_j / w_j') c_j + s_j / w_j'``;
- if the smallest weight is below ``1e-8`` times the largest, that cluster is dying: the
  largest cluster is split in two, both get half of the two weights' sum and centers
  ``c +/- 1e-14 * max(|c|, 1)`` (element-wise) around the largest cluster's center.

``setHalfLife(h, unit)`` sets ``a = exp(log(0.5) / h)``: data ``h`` batches (or points) old
weighs half.

Examples
--------
>>> model = StreamingKMeansModel([[0.0, 0.0], [10.0, 10.0]], [1.0, 1.0])
>>> model = model.update(ctx.parallelize([[2.0, 0.0], [10.0, 12.0]]), 1.0, "batches")
>>> model.centers
array([[ 1.,  0.],
       [10., 11.]])
>>> model.clusterWeights
[2.0, 2.0]
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._streaming import StreamingModel
from .errors import EmptyDatasetError, InvalidParameterError, ModelNotInitializedError
from .linalg import _convert_to_vector, _to_dense_matrix

__all__ = ["KMeansModel", "KMeans", "StreamingKMeansModel", "StreamingKMeans"]

_TIME_UNITS = ("batches", "points")


def _closest(centers: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (index of the nearest center, squared distance to it) for each row of X; ties
    go to the lowest index, as in MLlib. Distances are computed from the differences (not
    from ``|x|^2 - 2 x.c + |c|^2``, which cancels badly for points far from the origin), for
    blocks of rows at a time to bound the memory."""
    n = X.shape[0]
    best = np.empty(n, dtype=np.int64)
    best_d = np.empty(n, dtype=np.float64)
    step = max(1, 2**18 // max(1, centers.size))  # about 2 MB of differences per block
    for start in range(0, n, step):
        rows = X[start:start + step]
        diff = rows[:, None, :] - centers[None, :, :]
        d = np.einsum("ijk,ijk->ij", diff, diff)
        i = np.argmin(d, axis=1)
        best[start:start + step] = i
        best_d[start:start + step] = d[np.arange(rows.shape[0]), i]
    return best, best_d


def _vector_array(x: Any) -> np.ndarray:
    return _convert_to_vector(x).toArray()


class KMeansModel:
    """A k-means model: its centers, and ``predict`` giving the index of the nearest one.

    Examples
    --------
    >>> m = KMeansModel([[0.0, 0.0], [5.0, 5.0]])
    >>> m.predict([4.0, 4.5]), m.k
    (1, 2)
    >>> m.computeCost(ctx.parallelize([[0.0, 1.0], [5.0, 5.0]]))
    1.0
    """

    def __init__(self, centers: Any) -> None:
        self.centers = np.array([_vector_array(c) for c in centers], dtype=np.float64)

    @property
    def clusterCenters(self) -> list[np.ndarray]:
        """The cluster centers, a list of numpy arrays."""
        return list(self.centers)

    @property
    def k(self) -> int:
        """The number of clusters."""
        return int(self.centers.shape[0])

    def predict(self, x: Any) -> Any:
        """Return the index of the nearest center (squared Euclidean distance; the first one on
        a tie), or an RDD of them for an RDD of vectors."""
        if hasattr(x, "getNumPartitions"):
            return x.map(self.predict)
        arr = _vector_array(x)
        centers = self.centers
        if arr.shape[0] != centers.shape[1]:
            from .errors import DimensionMismatchError
            raise DimensionMismatchError(f"a vector of size {arr.shape[0]} for a model of {centers.shape[1]} features")
        d = centers - arr
        return int(np.argmin(np.einsum("ij,ij->i", d, d)))

    def computeCost(self, rdd: Any) -> float:
        """Return the sum of squared distances of the points of ``rdd`` to their nearest center."""
        centers = self.centers

        def cost(it):
            pts = list(it)
            if not pts:
                return [0.0]
            return [float(_closest(centers, _to_dense_matrix(pts, centers.shape[1]))[1].sum())]
        return float(sum(rdd.mapPartitions(cost).collect()))

    def save(self, sc: Any, path: str) -> None:
        """Save the model in a new directory ``path`` (any fsspec URL); returns None."""
        from ._persist import save_model
        save_model(path, self, self._params())

    @classmethod
    def load(cls, sc: Any, path: str) -> Any:
        """Return the model that ``save`` wrote under ``path``.

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "km")
        >>> KMeansModel([[0.0], [4.0]]).save(ctx, path)
        >>> KMeansModel.load(ctx, path).predict([3.0])
        1
        """
        from ._persist import load_model
        return cls._from_params(load_model(path, cls))

    def _params(self) -> dict:
        return {"centers": self.centers.tolist()}

    @classmethod
    def _from_params(cls, doc: dict) -> Any:
        return cls(doc["centers"])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(k={self.k})"


class KMeans:
    """Batch k-means (Lloyd's iterations after a "k-means||" or "random" initialization)."""

    @classmethod
    def train(cls, rdd: Any, k: int, maxIterations: int = 100, initializationMode: str = "k-means||",
              seed: int | None = None, initializationSteps: int = 2, epsilon: float = 1e-4,
              initialModel: KMeansModel | None = None, distanceMeasure: str = "euclidean") -> KMeansModel:
        """Return a KMeansModel of at most ``k`` centers fitted to an RDD of vectors.

        As in MLlib: iterations stop after ``maxIterations`` or once no center moved more
        than ``epsilon``; a cluster that gets no point keeps its center; "random" starts from
        ``k`` distinct sampled points, "k-means||" from ``initializationSteps`` rounds of
        oversampling proportional to the squared distance followed by a weighted k-means++.
        The random draws are numpy's, so the initial centers differ from Spark's for the same
        seed; well-separated data gives the same model.

        >>> pts = ctx.parallelize([[0.0, 0.0], [0.0, 1.0], [9.0, 9.0], [9.0, 10.0]])
        >>> m = KMeans.train(pts, 2, seed=1)
        >>> sorted(c.tolist() for c in m.clusterCenters)
        [[0.0, 0.5], [9.0, 9.5]]
        """
        if k < 1:
            raise InvalidParameterError(f"k should be at least 1, got {k}")
        if initializationMode not in ("k-means||", "random"):
            raise InvalidParameterError(f"initializationMode should be 'k-means||' or 'random', "
                                        f"got {initializationMode!r}")
        if distanceMeasure != "euclidean":
            raise InvalidParameterError(f"distanceMeasure {distanceMeasure!r} is not supported; use 'euclidean'")
        rng = np.random.default_rng(seed)
        first = rdd.take(1)
        if not first:
            raise EmptyDatasetError("KMeans.train needs at least one vector; the RDD is empty")
        dim = _convert_to_vector(first[0]).size
        blocks = rdd.mapPartitions(
            lambda it: [b] if (b := _to_dense_matrix(list(it), dim)).shape[0] else []
        ).cache()
        try:
            if initialModel is not None:
                centers = np.array(initialModel.centers, dtype=np.float64)
                if centers.shape[0] != k:
                    raise InvalidParameterError(f"initialModel has {centers.shape[0]} centers, k is {k}")
            elif initializationMode == "random":
                centers = _init_random(rdd, k, rng)
            else:
                centers = _init_parallel(blocks, k, initializationSteps, rng)
            centers = _lloyd(blocks, centers, maxIterations, epsilon)
        finally:
            blocks.unpersist()
        return KMeansModel(centers)


def _init_random(rdd: Any, k: int, rng: np.random.Generator) -> np.ndarray:
    sample = rdd.takeSample(False, k, int(rng.integers(0, 2**31 - 1)))
    uniq: list[np.ndarray] = []
    for p in sample:
        a = _vector_array(p)
        if not any(np.array_equal(a, u) for u in uniq):
            uniq.append(a)
    return np.array(uniq)


def _init_parallel(blocks: Any, k: int, steps: int, rng: np.random.Generator) -> np.ndarray:
    """k-means||, distributed over the blocks (one ``(n, d)`` array per partition): a random
    first center; then ``steps`` rounds in which every point is drawn with probability
    ``2 k cost / total cost`` (its squared distance to the nearest center so far); then the
    candidates, weighted by the number of points nearest to each, are reduced to ``k`` by a
    weighted k-means++ on the driver."""
    seed = int(rng.integers(0, 2**31 - 1))
    sizes = dict(blocks.mapPartitionsWithIndex(lambda i, it: [(i, sum(X.shape[0] for X in it))]).collect())
    total_points = sum(sizes.values())
    offset = int(rng.integers(0, total_points))   # the first center: a point drawn uniformly
    part = 0
    for part in sorted(sizes):
        if offset < sizes[part]:
            break
        offset -= sizes[part]
    first = blocks.mapPartitionsWithIndex(lambda i, it: [X[offset] for X in it] if i == part else []).collect()[0]
    candidates = [first]
    new = np.array([first])
    costs = blocks.map(lambda X: (X, np.full(X.shape[0], np.inf)))
    previous = None
    for step in range(steps):
        centers = new
        costs = costs.map(lambda Xc, c=centers: (Xc[0], np.minimum(Xc[1], _closest(c, Xc[0])[1]))).cache()
        if previous is not None:
            previous.unpersist()
        previous = costs
        total = float(costs.map(lambda Xc: float(Xc[1].sum())).sum())
        if total <= 0:
            break

        def draw(index, it, step=step, total=total):
            draws = np.random.default_rng([seed, step, index])
            return [X[draws.random(X.shape[0]) < 2.0 * c * k / total] for X, c in it]
        chosen = [c for c in costs.mapPartitionsWithIndex(draw).collect() if c.shape[0]]
        if not chosen:
            break
        new = np.vstack(chosen)
        candidates.extend(new)
    if previous is not None:
        previous.unpersist()
    cand = np.unique(np.array(candidates), axis=0)
    if cand.shape[0] <= k:
        return cand
    counts = np.sum(blocks.map(lambda X: np.bincount(_closest(cand, X)[0], minlength=cand.shape[0])).collect(),
                    axis=0).astype(np.float64)
    return _local_kmeans_pp(cand, counts, k, rng, 30)


def _local_kmeans_pp(points: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator,
                     iterations: int) -> np.ndarray:
    """Weighted k-means++ seeding then weighted Lloyd iterations on the driver."""
    centers = [points[int(rng.choice(points.shape[0], p=weights / weights.sum()))]]
    cost = _closest(np.array(centers), points)[1]
    while len(centers) < k:
        p = weights * cost
        if p.sum() <= 0:
            break
        idx = int(rng.choice(points.shape[0], p=p / p.sum()))
        centers.append(points[idx])
        cost = np.minimum(cost, _closest(np.array([points[idx]]), points)[1])
    c = np.array(centers)
    for _ in range(iterations):
        best = _closest(c, points)[0]
        moved = False
        for j in range(c.shape[0]):
            m = best == j
            if weights[m].sum() > 0:
                new = (points[m] * weights[m, None]).sum(axis=0) / weights[m].sum()
                moved |= not np.array_equal(new, c[j])
                c[j] = new
        if not moved:
            break
    return c


def _lloyd(blocks: Any, centers: np.ndarray, maxIterations: int, epsilon: float) -> np.ndarray:
    centers = np.array(centers, dtype=np.float64)
    k = centers.shape[0]
    for _ in range(maxIterations):
        c = centers

        def stats(it, c=c):
            sums = np.zeros_like(c)
            counts = np.zeros(c.shape[0])
            for X in it:
                best = _closest(c, X)[0]
                np.add.at(sums, best, X)
                counts += np.bincount(best, minlength=c.shape[0])
            return [(sums, counts)]
        parts = blocks.mapPartitions(stats).collect()
        sums = np.sum([p[0] for p in parts], axis=0)
        counts = np.sum([p[1] for p in parts], axis=0)
        converged = True
        new = centers.copy()
        for j in range(k):
            if counts[j] > 0:
                new[j] = sums[j] / counts[j]
                d = new[j] - centers[j]
                if float(np.dot(d, d)) > epsilon * epsilon:
                    converged = False
        centers = new
        if converged:
            break
    return centers


class StreamingKMeansModel(KMeansModel):
    """A k-means model whose centers carry weights and that ``update`` moves with new data.

    ``update`` changes the model in place and returns it (see the module docstring for the
    rule).
    """

    def __init__(self, clusterCenters: Any, clusterWeights: Any) -> None:
        super().__init__(clusterCenters)
        self._clusterWeights = [float(w) for w in clusterWeights]
        if len(self._clusterWeights) != self.centers.shape[0]:
            raise InvalidParameterError(f"{self.centers.shape[0]} centers but {len(self._clusterWeights)} weights")

    def _params(self) -> dict:
        return {"centers": self.centers.tolist(), "weights": list(self._clusterWeights)}

    @classmethod
    def _from_params(cls, doc: dict) -> Any:
        return cls(doc["centers"], doc["weights"])

    @property
    def clusterWeights(self) -> list[float]:
        """The weight of each cluster (its decayed number of points)."""
        return self._clusterWeights

    def update(self, data: Any, decayFactor: float, timeUnit: str) -> StreamingKMeansModel:
        """Update the centers and weights with an RDD of vectors; return self.

        ``decayFactor`` in [0, 1] discounts the past; ``timeUnit`` is "batches" or "points".

        >>> m = StreamingKMeansModel([[0.0], [10.0]], [3.0, 1.0])
        >>> m.update(ctx.parallelize([[4.0]]), 0.5, "batches").centers.tolist()
        [[1.6], [10.0]]
        >>> m.clusterWeights
        [2.5, 0.5]
        """
        if not hasattr(data, "getNumPartitions"):
            raise TypeError(f"data should be an RDD of vectors, got {type(data).__name__}")
        _check_unit(timeUnit)
        decayFactor = float(decayFactor)
        centers = self.centers
        dim = centers.shape[1]

        def stats(it):
            pts = list(it)
            if not pts:
                return []
            X = _to_dense_matrix(pts, dim)
            best = _closest(centers, X)[0]
            sums = np.zeros_like(centers)
            np.add.at(sums, best, X)
            return [(sums, np.bincount(best, minlength=centers.shape[0]))]
        parts = data.mapPartitions(stats).collect()
        sums = np.sum([p[0] for p in parts], axis=0) if parts else np.zeros_like(centers)
        counts = np.sum([p[1] for p in parts], axis=0) if parts else np.zeros(centers.shape[0], dtype=np.int64)
        new_centers, new_weights = _kmeans_update(centers, np.array(self._clusterWeights), sums, counts,
                                                  decayFactor, timeUnit)
        self.centers = new_centers
        self._clusterWeights = new_weights.tolist()
        return self


def _kmeans_update(centers: np.ndarray, weights: np.ndarray, sums: np.ndarray, counts: np.ndarray,
                   decayFactor: float, timeUnit: str) -> tuple[np.ndarray, np.ndarray]:
    """MLlib's streaming k-means step on per-cluster sums and counts (pure; new arrays)."""
    centers = centers.astype(np.float64, copy=True)
    weights = weights.astype(np.float64, copy=True)
    discount = decayFactor if timeUnit == "batches" else math.pow(decayFactor, int(counts.sum()))
    weights *= discount
    for j in np.nonzero(counts)[0]:
        n = float(counts[j])
        updated = weights[j] + n
        lam = n / max(updated, 1e-16)
        weights[j] = updated
        centers[j] = centers[j] * (1.0 - lam) + sums[j] * (lam / n)
    largest, smallest = int(np.argmax(weights)), int(np.argmin(weights))
    max_w, min_w = weights[largest], weights[smallest]
    if min_w < 1e-8 * max_w:
        half = (max_w + min_w) / 2.0
        weights[largest] = weights[smallest] = half
        x = centers[largest].copy()
        p = 1e-14 * np.maximum(np.abs(x), 1.0)
        centers[largest] = x + p
        centers[smallest] = x - p
    return centers, weights


def _check_unit(timeUnit: str) -> None:
    if timeUnit not in _TIME_UNITS:
        raise InvalidParameterError(f"timeUnit should be 'batches' or 'points', got {timeUnit!r}")


class StreamingKMeans(StreamingModel):
    """k-means learned on a DStream (MLlib's StreamingKMeans).

    Set the initial centers with ``setInitialCenters`` or ``setRandomCenters``, then
    ``trainOn`` a DStream of vectors; ``predictOn`` / ``predictOnValues`` assign points with
    the latest model. The latest model is part of the streaming checkpoint (see
    ``StreamingLinearAlgorithm``).

    Examples
    --------
    >>> skm = StreamingKMeans(k=2, decayFactor=0.5).setInitialCenters([[0.0], [1.0]], [1.0, 1.0])
    >>> skm.latestModel().clusterWeights
    [1.0, 1.0]
    >>> round(StreamingKMeans().setHalfLife(2, "points")._decayFactor, 6)
    0.707107
    """

    def __init__(self, k: int = 2, decayFactor: float = 1.0, timeUnit: str = "batches") -> None:
        _check_unit(timeUnit)
        self._k = k
        self._decayFactor = decayFactor
        self._timeUnit = timeUnit
        self._model: Any = None  # a StreamingKMeansModel once the initial centers are set
        self._init_streaming()

    def latestModel(self) -> StreamingKMeansModel | None:
        """Return the latest model (None before the initial centers are set)."""
        return self._model

    def _validate(self, dstream: Any) -> None:
        if self._model is None:
            raise ModelNotInitializedError("StreamingKMeans: set the initial centers with setInitialCenters(...) "
                                           "or setRandomCenters(...) before trainOn/predictOn")
        from ..streaming.dstream import DStream
        if not isinstance(dstream, DStream):
            raise TypeError(f"dstream should be a DStream object, got {type(dstream).__name__}")

    def setK(self, k: int) -> StreamingKMeans:
        """Set the number of clusters; returns self."""
        self._k = k
        return self

    def setDecayFactor(self, decayFactor: float) -> StreamingKMeans:
        """Set the decay factor (1: all data counts the same, 0: only the last batch); returns self."""
        self._decayFactor = decayFactor
        return self

    def setHalfLife(self, halfLife: float, timeUnit: str) -> StreamingKMeans:
        """Set the decay so that data weighs half after ``halfLife`` "batches" or "points";
        returns self."""
        _check_unit(timeUnit)
        if halfLife <= 0:
            raise InvalidParameterError(f"halfLife should be positive, got {halfLife}")
        self._timeUnit = timeUnit
        self._decayFactor = math.exp(math.log(0.5) / halfLife)
        return self

    def setInitialCenters(self, centers: Any, weights: Any) -> StreamingKMeans:
        """Set the initial centers and their weights; returns self."""
        self._model = StreamingKMeansModel(centers, weights)
        return self

    def setRandomCenters(self, dim: int, weight: float, seed: int) -> StreamingKMeans:
        """Set ``k`` random centers of ``dim`` dimensions (standard normal, drawn by
        ``numpy.random.RandomState(seed)`` as PySpark does), each of weight ``weight``; returns self.

        >>> StreamingKMeans(k=1).setRandomCenters(2, 1.0, 42).latestModel().centers.round(4).tolist()
        [[0.4967, -0.1383]]
        """
        rng = np.random.RandomState(seed)
        self._model = StreamingKMeansModel(rng.randn(self._k, dim), np.tile(weight, self._k))
        return self

    def _learn(self, rdd: Any) -> Any:
        model = self._model
        updated = StreamingKMeansModel(model.centers, model.clusterWeights)
        updated.update(rdd, self._decayFactor, self._timeUnit)

        def install() -> None:  # the model object stays the same (as in PySpark), its state swaps at once
            model.centers, model._clusterWeights = updated.centers, updated._clusterWeights
        return install

    def _model_state(self) -> Any:
        return {"centers": self._model.centers.copy(), "weights": list(self._model._clusterWeights)}

    def _set_model_state(self, state: Any) -> None:
        self._model = StreamingKMeansModel(state["centers"], state["weights"])

    def trainOn(self, dstream: Any) -> None:
        """Update the model with every batch of vectors of ``dstream`` (an output operation;
        an empty batch still decays the weights). Returns None."""
        self._validate(dstream)
        self._train_on(dstream)

    def predictOn(self, dstream: Any) -> Any:
        """Return a DStream of the latest model's cluster index for each vector of ``dstream``."""
        self._validate(dstream)
        return dstream.map(lambda x: self._model.predict(x))

    def predictOnValues(self, dstream: Any) -> Any:
        """Return a DStream of ``(key, cluster index)`` for a DStream of ``(key, vector)``."""
        self._validate(dstream)
        return dstream.mapValues(lambda x: self._model.predict(x))
