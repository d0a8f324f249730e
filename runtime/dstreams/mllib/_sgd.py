"""Mini-batch gradient descent with MLlib's exact rules (private; used by regression and
classification).

What MLlib does, and so what this does:

- A generalized linear model is trained on ``(label, features)`` pairs; with ``intercept`` a
  constant 1.0 feature is appended to every point *and to the initial weights* (so the
  intercept starts at 1.0, as MLlib's ``appendBias`` does), and it is regularized like any
  other weight.
- Iteration ``i`` (1-based) draws a Bernoulli sample of each partition with probability
  ``miniBatchFraction`` (seed ``42 + i``; everything when the fraction is 1), sums the
  gradients of the sampled points at the current weights, divides by the number sampled and
  hands that mean gradient to the updater with step ``stepSize / sqrt(i)``. An iteration that
  samples nothing changes nothing.
- Updaters: none (``w - step * g``), L2 (``(1 - step * regParam) * w - step * g``) and L1
  (the gradient step, then soft-thresholding by ``regParam * step``).
- Convergence: from the second update on, stop when
  ``||w_prev - w|| < convergenceTol * max(||w||, 1)``.

Gradients are computed a partition at a time with numpy (rows stacked into a matrix, or kept
as sparse coordinates when the features are sparse and wide, e.g. HashingTF's), so the sums are
in a different order than MLlib's point-by-point loop: results agree within float tolerance.
The Bernoulli draws use numpy's generator, not Spark's XORShift, so with a
``miniBatchFraction`` below 1 the sampled points differ from Spark's (the rule is the same).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import DimensionMismatchError, EmptyDatasetError, InvalidLabelError, InvalidParameterError
from .linalg import SparseVector, _convert_to_vector, _to_dense_matrix

__all__: list[str] = []


# ---- gradients: (X, y, w) -> (gradient sum, loss sum) ------------------------------------------
def least_squares_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    """Sum over rows of ``(x.w - y) x`` and of ``(x.w - y)^2 / 2``."""
    diff = X @ w - y
    return X.T @ diff, float(np.dot(diff, diff) / 2.0)


def _log1p_exp(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def logistic_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    """Binary logistic loss: multiplier ``1 / (1 + exp(-x.w)) - y``; loss ``log(1 + exp(m))``
    (minus ``m`` for label 0) with ``m = -x.w``."""
    margin = -(X @ w)
    with np.errstate(over="ignore"):
        multiplier = 1.0 / (1.0 + np.exp(margin)) - y
    loss = _log1p_exp(margin) - np.where(y > 0, 0.0, margin)
    return X.T @ multiplier, float(loss.sum())


def hinge_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    """Hinge loss with labels {0, 1} scaled to {-1, 1}: gradient ``-(2y-1) x`` where
    ``1 - (2y-1) x.w > 0``."""
    s = 2.0 * y - 1.0
    margin = 1.0 - s * (X @ w)
    active = margin > 0
    return -(X[active].T @ s[active]), float(margin[active].sum())


# ---- updaters: (w, g, step, i, regParam) -> (new w, regularization value) ------------------------
def simple_updater(w: np.ndarray, g: np.ndarray, step: float, i: int, reg: float) -> tuple[np.ndarray, float]:
    return w - (step / math.sqrt(i)) * g, 0.0


def l2_updater(w: np.ndarray, g: np.ndarray, step: float, i: int, reg: float) -> tuple[np.ndarray, float]:
    s = step / math.sqrt(i)
    new = w * (1.0 - s * reg) - s * g
    norm = float(np.linalg.norm(new))
    return new, 0.5 * reg * norm * norm


def l1_updater(w: np.ndarray, g: np.ndarray, step: float, i: int, reg: float) -> tuple[np.ndarray, float]:
    s = step / math.sqrt(i)
    new = w - s * g
    new = np.sign(new) * np.maximum(0.0, np.abs(new) - reg * s)
    return new, float(np.abs(new).sum()) * reg


UPDATERS: dict[Any, Callable] = {None: simple_updater, "l2": l2_updater, "l1": l1_updater}


def updater_for(regType: str | None) -> Callable:
    """Return the updater of ``regType`` (None, "l1" or "l2")."""
    try:
        return UPDATERS[regType]
    except (KeyError, TypeError):
        raise InvalidParameterError(f"regType should be None, 'l1' or 'l2', got {regType!r}") from None


# ---- blocks of rows -----------------------------------------------------------------------------
SPARSE_MIN_FEATURES = 1024  # sparse features of more dimensions stay sparse (e.g. HashingTF's 2**20)


class SparseRows:
    """Rows of sparse vectors as coordinates (row, column, value), with the operations the
    gradients use on a dense matrix: ``X @ w``, ``X.T @ r``, ``X[mask]`` and ``shape``."""

    def __init__(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, shape: tuple[int, int]) -> None:
        self.rows, self.cols, self.vals, self.shape = rows, cols, vals, shape

    @classmethod
    def of(cls, vectors: list, dim: int, bias: bool) -> SparseRows:
        """Return the rows of ``vectors`` (sparse or dense), with a last column of ones if ``bias``."""
        rows, cols, vals = [], [], []
        for i, v in enumerate(vectors):
            if isinstance(v, SparseVector):
                if v.size != dim:
                    raise DimensionMismatchError(f"a vector of size {v.size} in data of {dim} features")
                c, x = v.indices.astype(np.int64), v.values
            else:
                a = _convert_to_vector(v).toArray()
                if a.shape[0] != dim:
                    raise DimensionMismatchError(f"a vector of size {a.shape[0]} in data of {dim} features")
                c = np.nonzero(a)[0]
                x = a[c]
            if bias:
                c, x = np.append(c, dim), np.append(x, 1.0)
            rows.append(np.full(c.shape[0], i, dtype=np.int64))
            cols.append(c)
            vals.append(x)
        cat = np.concatenate
        return cls(cat(rows), cat(cols), cat(vals), (len(vectors), dim + (1 if bias else 0)))

    def __matmul__(self, w: np.ndarray) -> np.ndarray:
        return np.bincount(self.rows, weights=self.vals * w[self.cols], minlength=self.shape[0])

    @property
    def T(self) -> _Transposed:  # noqa: N802 - numpy's name
        return _Transposed(self)

    def __getitem__(self, mask: np.ndarray) -> SparseRows:
        keep = mask[self.rows]
        renumber = np.cumsum(mask) - 1
        return SparseRows(renumber[self.rows[keep]], self.cols[keep], self.vals[keep],
                          (int(mask.sum()), self.shape[1]))


class _Transposed:
    def __init__(self, m: SparseRows) -> None:
        self.m = m

    def __matmul__(self, r: np.ndarray) -> np.ndarray:
        m = self.m
        return np.bincount(m.cols, weights=m.vals * r[m.rows], minlength=m.shape[1])


# ---- the optimizer ----------------------------------------------------------------------------
def _blocks(points: Any, intercept: bool, dim: int) -> Any:
    """Per partition: one ``(X, y)`` block of the labeled points (with the bias column); X is
    a dense matrix, or SparseRows when the features are sparse and many."""
    def to_block(it):
        pts = list(it)
        if not pts:
            return []
        feats = [p.features for p in pts]
        if dim >= SPARSE_MIN_FEATURES and any(isinstance(f, SparseVector) for f in feats):
            X: Any = SparseRows.of(feats, dim, intercept)
        else:
            X = _to_dense_matrix(feats, dim)
            if intercept:
                X = np.hstack([X, np.ones((X.shape[0], 1))])
        y = np.fromiter((p.label for p in pts), dtype=np.float64, count=len(pts))
        return [(X, y)]
    return points.mapPartitions(to_block)


def run_minibatch_sgd(blocks: Any, gradient: Callable, updater: Callable, stepSize: float, numIterations: int,
                      regParam: float, miniBatchFraction: float, initialWeights: np.ndarray,
                      convergenceTol: float) -> tuple[np.ndarray, list[float]]:
    """Return ``(weights, loss history)`` after MLlib's mini-batch SGD over an RDD of ``(X, y)``
    blocks (see the module docstring for the rules)."""
    weights = np.array(initialWeights, dtype=np.float64)
    n = weights.shape[0]
    history: list[float] = []
    reg_val = updater(weights, np.zeros(n), 0.0, 1, regParam)[1]
    previous: np.ndarray | None = None
    current: np.ndarray | None = None
    fraction = float(miniBatchFraction)
    for i in range(1, numIterations + 1):
        w = weights
        seed = 42 + i

        def partial(index, it, w=w, seed=seed):
            g = np.zeros(n)
            loss, count = 0.0, 0
            for X, y in it:
                if fraction < 1.0:
                    keep = np.random.default_rng([seed, index]).random(X.shape[0]) < fraction
                    X, y = X[keep], y[keep]
                if X.shape[0]:
                    bg, bl = gradient(X, y, w)
                    g += bg
                    loss += bl
                    count += X.shape[0]
            return [(g, loss, count)]

        parts = blocks.mapPartitionsWithIndex(partial).collect()
        grad_sum = np.sum([p[0] for p in parts], axis=0) if parts else np.zeros(n)
        loss_sum = sum(p[1] for p in parts)
        size = sum(p[2] for p in parts)
        if size > 0:
            history.append(loss_sum / size + reg_val)
            weights, reg_val = updater(weights, grad_sum / size, stepSize, i, regParam)
            previous, current = current, weights
            if previous is not None:
                diff = float(np.linalg.norm(previous - current))
                if diff < convergenceTol * max(float(np.linalg.norm(current)), 1.0):
                    break
    return weights, history


def _check_fraction(miniBatchFraction: float) -> None:
    if not 0.0 < miniBatchFraction <= 1.0:
        raise InvalidParameterError(f"miniBatchFraction should be in (0, 1], got {miniBatchFraction}")


def train_glm(data: Any, gradient: Callable, regType: str | None, iterations: int, step: float,
              miniBatchFraction: float, initialWeights: Any, regParam: float, intercept: bool,
              convergenceTol: float, validator: Callable[[Any], None] | None = None,
              what: str = "the algorithm") -> tuple[np.ndarray, float]:
    """Run MLlib's GeneralizedLinearAlgorithm with SGD on an RDD of LabeledPoint; return
    ``(weights, intercept)``."""
    from .regression import LabeledPoint
    updater = updater_for(regType)
    _check_fraction(miniBatchFraction)
    if iterations < 0:
        raise InvalidParameterError(f"iterations should be >= 0, got {iterations}")
    first = data.take(1)
    if not first:
        raise EmptyDatasetError(f"{what} needs at least one LabeledPoint; the RDD is empty")
    if not isinstance(first[0], LabeledPoint):
        raise TypeError(f"data should be an RDD of LabeledPoint, but got {type(first[0]).__name__}")
    dim = first[0].features.size
    w0 = (np.zeros(dim) if initialWeights is None
          else np.array(_convert_to_vector(initialWeights).toArray(), dtype=np.float64))
    if w0.shape[0] != dim:
        raise DimensionMismatchError(f"initial weights have {w0.shape[0]} entries but the data has {dim} features")
    if validator is not None:
        validator(data)
    if intercept:
        w0 = np.append(w0, 1.0)
    blocks = _blocks(data, intercept, dim).cache()
    try:
        w, _ = run_minibatch_sgd(blocks, gradient, updater, step, iterations, regParam,
                                 miniBatchFraction, w0, convergenceTol)
    finally:
        blocks.unpersist()
    if intercept:
        return w[:-1].copy(), float(w[-1])
    return w, 0.0


def binary_label_validator(what: str) -> Callable[[Any], None]:
    """Return a validator raising InvalidLabelError when a label is not 0 or 1."""
    def validate(data: Any) -> None:
        bad = data.filter(lambda p: p.label not in (0.0, 1.0)).map(lambda p: p.label).take(3)
        if bad:
            raise InvalidLabelError(f"{what} needs labels 0 or 1, found {bad} (pass validateData=False to "
                                    f"skip this check)")
    return validate
