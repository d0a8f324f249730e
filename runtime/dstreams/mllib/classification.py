"""Binary classification with pyspark.mllib's names: logistic regression and linear SVMs
trained by SGD, and ``StreamingLogisticRegressionWithSGD`` that keeps learning on a DStream.

Labels are 0 or 1. Models predict 0/1 with a threshold (0.5 on the probability for logistic
regression, 0.0 on the margin for SVMs); ``clearThreshold()`` makes ``predict`` return the raw
probability or margin.

Examples
--------
>>> from dstreams.mllib.regression import LabeledPoint
>>> data = ctx.parallelize([LabeledPoint(0.0, [-1.0]), LabeledPoint(1.0, [1.0])])
>>> model = LogisticRegressionWithSGD.train(data, iterations=10)
>>> model.predict([2.0]), model.predict([-2.0])
(1, 0)
"""
from __future__ import annotations

import math
from typing import Any

from . import _sgd
from .linalg import _convert_to_vector
from .regression import LinearModel, StreamingLinearAlgorithm

__all__ = ["LinearClassificationModel", "LogisticRegressionModel", "LogisticRegressionWithSGD",
           "SVMModel", "SVMWithSGD", "StreamingLogisticRegressionWithSGD"]


class LinearClassificationModel(LinearModel):
    """A linear model with a decision threshold."""

    def __init__(self, weights: Any, intercept: float) -> None:
        super().__init__(weights, intercept)
        self._threshold: float | None = None

    def setThreshold(self, value: float) -> None:
        """Set the threshold separating positive from negative predictions."""
        self._threshold = float(value)

    @property
    def threshold(self) -> float | None:
        """The threshold, or None once cleared."""
        return self._threshold

    def clearThreshold(self) -> None:
        """Make ``predict`` return raw scores (probability or margin) instead of 0/1."""
        self._threshold = None

    def predict(self, x: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _params(self) -> dict:
        return {**super()._params(), "threshold": self._threshold}

    @classmethod
    def _from_params(cls, doc: dict) -> Any:
        model = cls._build(doc)
        model._threshold = doc["threshold"]
        return model

    @classmethod
    def _build(cls, doc: dict) -> Any:
        return cls(doc["weights"], doc["intercept"])


class LogisticRegressionModel(LinearClassificationModel):
    """A binary logistic regression model: ``P(y=1 | x) = 1 / (1 + exp(-(w.x + b)))``.

    Examples
    --------
    >>> m = LogisticRegressionModel([1.0], 0.0, 1, 2)
    >>> m.predict([0.5]), m.predict([-0.5])
    (1, 0)
    >>> m.clearThreshold()
    >>> round(m.predict([0.0]), 3)
    0.5
    """

    def __init__(self, weights: Any, intercept: float, numFeatures: int, numClasses: int) -> None:
        super().__init__(weights, intercept)
        self._numFeatures = int(numFeatures)
        self._numClasses = int(numClasses)
        self._threshold = 0.5
        if self._numClasses != 2:
            from .errors import InvalidParameterError
            raise InvalidParameterError(f"only binary (numClasses=2) logistic regression models are supported, "
                                        f"got numClasses={numClasses}")

    @classmethod
    def _build(cls, doc: dict) -> Any:
        return cls(doc["weights"], doc["intercept"], doc["numFeatures"], doc["numClasses"])

    def _params(self) -> dict:
        return {**super()._params(), "numFeatures": self._numFeatures, "numClasses": self._numClasses}

    @property
    def numFeatures(self) -> int:
        """The number of features."""
        return self._numFeatures

    @property
    def numClasses(self) -> int:
        """The number of classes (2)."""
        return self._numClasses

    def predict(self, x: Any) -> Any:
        """Return 0 or 1 (or the probability of 1 without a threshold) for one vector, or an RDD
        of them for an RDD of vectors."""
        if hasattr(x, "getNumPartitions"):
            return x.map(self.predict)
        margin = self._coeff.dot(_convert_to_vector(x)) + self._intercept
        if margin > 0:
            prob = 1.0 / (1.0 + math.exp(-margin))
        else:
            e = math.exp(margin)
            prob = e / (1.0 + e)
        if self._threshold is None:
            return prob
        return 1 if prob > self._threshold else 0


class SVMModel(LinearClassificationModel):
    """A linear SVM: predicts 1 when ``w.x + b`` exceeds the threshold (0.0)."""

    def __init__(self, weights: Any, intercept: float) -> None:
        super().__init__(weights, intercept)
        self._threshold = 0.0

    def predict(self, x: Any) -> Any:
        """Return 0 or 1 (or the margin without a threshold) for one vector or an RDD of them.

        >>> SVMModel([1.0, -1.0], 0.0).predict([2.0, 1.0])
        1
        """
        if hasattr(x, "getNumPartitions"):
            return x.map(self.predict)
        margin = self._coeff.dot(_convert_to_vector(x)) + self._intercept
        if self._threshold is None:
            return margin
        return 1 if margin > self._threshold else 0


class LogisticRegressionWithSGD:
    """Train a binary logistic regression model with mini-batch SGD."""

    @classmethod
    def train(cls, data: Any, iterations: int = 100, step: float = 1.0, miniBatchFraction: float = 1.0,
              initialWeights: Any = None, regParam: float = 0.01, regType: str | None = "l2",
              intercept: bool = False, validateData: bool = True,
              convergenceTol: float = 0.001) -> LogisticRegressionModel:
        """Return a LogisticRegressionModel fitted to an RDD of LabeledPoint (labels 0/1) by
        MLlib's SGD. ``validateData`` raises InvalidLabelError for other labels.

        >>> from dstreams.mllib.regression import LabeledPoint
        >>> pts = ctx.parallelize([LabeledPoint(1.0, [1.0]), LabeledPoint(0.0, [-1.0])])
        >>> LogisticRegressionWithSGD.train(pts, iterations=1, regParam=0.0).weights
        DenseVector([0.5])
        """
        validator = _sgd.binary_label_validator("LogisticRegressionWithSGD") if validateData else None
        w, b = _sgd.train_glm(data, _sgd.logistic_gradient, regType, int(iterations), float(step),
                              float(miniBatchFraction), initialWeights, float(regParam), bool(intercept),
                              float(convergenceTol), validator, "LogisticRegressionWithSGD")
        return LogisticRegressionModel(w, b, w.shape[0], 2)


class SVMWithSGD:
    """Train a linear SVM (hinge loss) with mini-batch SGD."""

    @classmethod
    def train(cls, data: Any, iterations: int = 100, step: float = 1.0, regParam: float = 0.01,
              miniBatchFraction: float = 1.0, initialWeights: Any = None, regType: str | None = "l2",
              intercept: bool = False, validateData: bool = True, convergenceTol: float = 0.001) -> SVMModel:
        """Return an SVMModel fitted to an RDD of LabeledPoint (labels 0/1) by MLlib's SGD."""
        validator = _sgd.binary_label_validator("SVMWithSGD") if validateData else None
        w, b = _sgd.train_glm(data, _sgd.hinge_gradient, regType, int(iterations), float(step),
                              float(miniBatchFraction), initialWeights, float(regParam), bool(intercept),
                              float(convergenceTol), validator, "SVMWithSGD")
        return SVMModel(w, b)


class StreamingLogisticRegressionWithSGD(StreamingLinearAlgorithm):
    """Logistic regression learned on a DStream: each non-empty batch runs
    ``LogisticRegressionWithSGD.train(batch, numIterations, stepSize, miniBatchFraction,
    latest weights, regParam=regParam, convergenceTol=...)`` (L2, no intercept), as MLlib does.

    Examples
    --------
    >>> alg = StreamingLogisticRegressionWithSGD(stepSize=0.5).setInitialWeights([0.0, 0.0])
    >>> alg.latestModel().numFeatures
    2
    """

    def __init__(self, stepSize: float = 0.1, numIterations: int = 50, miniBatchFraction: float = 1.0,
                 regParam: float = 0.0, convergenceTol: float = 0.001) -> None:
        self.stepSize = stepSize
        self.numIterations = numIterations
        self.miniBatchFraction = miniBatchFraction
        self.regParam = regParam
        self.convergenceTol = convergenceTol
        _sgd._check_fraction(miniBatchFraction)
        super().__init__(None)

    def setInitialWeights(self, initialWeights: Any) -> StreamingLogisticRegressionWithSGD:
        """Set the initial weights (needed before trainOn/predictOn); returns self."""
        w = _convert_to_vector(initialWeights)
        self._model = LogisticRegressionModel(w, 0.0, w.size, 2)
        return self

    def _update(self, rdd: Any) -> LinearModel:
        return LogisticRegressionWithSGD.train(rdd, self.numIterations, self.stepSize, self.miniBatchFraction,
                                               self._model.weights, regParam=self.regParam,
                                               convergenceTol=self.convergenceTol)
