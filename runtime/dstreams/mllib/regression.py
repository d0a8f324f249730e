"""Regression with pyspark.mllib's names: ``LabeledPoint``, linear models trained by SGD, and
``StreamingLinearRegressionWithSGD`` that keeps learning on a DStream.

Examples
--------
>>> data = ctx.parallelize([LabeledPoint(1.0, [1.0]), LabeledPoint(2.0, [2.0])])
>>> model = LinearRegressionWithSGD.train(data, iterations=200, step=0.5)
>>> round(model.predict([3.0]), 1)
3.0
"""
from __future__ import annotations

from typing import Any

from . import _sgd
from ._streaming import StreamingModel
from .errors import ModelNotInitializedError
from .linalg import Vector, _convert_to_vector

__all__ = ["LabeledPoint", "LinearModel", "LinearRegressionModelBase", "LinearRegressionModel",
           "LinearRegressionWithSGD", "RidgeRegressionModel", "RidgeRegressionWithSGD", "LassoModel",
           "LassoWithSGD", "StreamingLinearAlgorithm", "StreamingLinearRegressionWithSGD"]


class LabeledPoint:
    """A label and a feature vector.

    Examples
    --------
    >>> LabeledPoint(1, [0.5, 2.0])
    LabeledPoint(1.0, [0.5,2.0])
    >>> LabeledPoint(0.0, Vectors.sparse(3, {2: 1.0})).features
    SparseVector(3, {2: 1.0})
    """

    __slots__ = ("label", "features")

    def __init__(self, label: float, features: Any) -> None:
        self.label = float(label)
        self.features: Vector = _convert_to_vector(features)

    def __reduce__(self):
        return (LabeledPoint, (self.label, self.features))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabeledPoint) and self.label == other.label and self.features == other.features

    def __hash__(self) -> int:
        return hash((self.label, self.features))

    def __str__(self) -> str:
        return f"({self.label},{self.features})"

    def __repr__(self) -> str:
        return f"LabeledPoint({self.label!r}, {self.features})"


class LinearModel:
    """Weights and an intercept (the base of the linear models)."""

    def __init__(self, weights: Any, intercept: float) -> None:
        self._coeff = _convert_to_vector(weights)
        self._intercept = float(intercept)

    @property
    def weights(self) -> Vector:
        """The weights, a DenseVector."""
        return self._coeff

    @property
    def intercept(self) -> float:
        """The intercept (0.0 when trained without one)."""
        return self._intercept

    def save(self, sc: Any, path: str) -> None:
        """Save the model in a new directory ``path`` (any fsspec URL); returns None.

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "lr")
        >>> LinearRegressionModel([2.0], 1.0).save(ctx, path)
        >>> LinearRegressionModel.load(ctx, path).predict([1.0])
        3.0
        """
        from ._persist import save_model
        save_model(path, self, self._params())

    @classmethod
    def load(cls, sc: Any, path: str) -> Any:
        """Return the model that ``save`` wrote under ``path`` (ModelFormatError if it holds
        none, or a model of another class)."""
        from ._persist import load_model
        return cls._from_params(load_model(path, cls))

    def _params(self) -> dict:
        return {"weights": self._coeff.toArray().tolist(), "intercept": self._intercept}

    @classmethod
    def _from_params(cls, doc: dict) -> Any:
        return cls(doc["weights"], doc["intercept"])

    def _margin(self, x: Any) -> float:
        return self._coeff.dot(_convert_to_vector(x)) + self._intercept

    def __repr__(self) -> str:
        return f"(weights={self._coeff}, intercept={self._intercept!r})"


class LinearRegressionModelBase(LinearModel):
    """A linear regression model: ``predict(x)`` returns ``weights . x + intercept``."""

    def predict(self, x: Any) -> Any:
        """Return the prediction for one vector, or an RDD of predictions for an RDD of vectors.

        >>> LinearRegressionModel([2.0, 1.0], 0.5).predict([1.0, 1.0])
        3.5
        """
        if hasattr(x, "getNumPartitions"):
            return x.map(self.predict)
        return self._margin(x)


class LinearRegressionModel(LinearRegressionModelBase):
    """A linear regression model from a least-squares fit."""


class RidgeRegressionModel(LinearRegressionModelBase):
    """A linear regression model from a least-squares fit with an L2 penalty."""


class LassoModel(LinearRegressionModelBase):
    """A linear regression model from a least-squares fit with an L1 penalty."""


def _train(modelClass: type, data: Any, regType: str | None, iterations: int, step: float,
           miniBatchFraction: float, initialWeights: Any, regParam: float, intercept: bool,
           validateData: bool, convergenceTol: float, what: str) -> Any:
    w, b = _sgd.train_glm(data, _sgd.least_squares_gradient, regType, int(iterations), float(step),
                          float(miniBatchFraction), initialWeights, float(regParam), bool(intercept),
                          float(convergenceTol), None, what)
    return modelClass(w, b)


class LinearRegressionWithSGD:
    """Train a linear regression model (least squares) with mini-batch SGD."""

    @classmethod
    def train(cls, data: Any, iterations: int = 100, step: float = 1.0, miniBatchFraction: float = 1.0,
              initialWeights: Any = None, regParam: float = 0.0, regType: str | None = None,
              intercept: bool = False, validateData: bool = True,
              convergenceTol: float = 0.001) -> LinearRegressionModel:
        """Return a LinearRegressionModel fitted to an RDD of LabeledPoint by MLlib's SGD.

        ``regType`` is None, "l1" or "l2" (with ``regParam``); ``intercept`` appends a bias
        feature (starting at 1.0, as in MLlib). Raises EmptyDatasetError on an empty RDD.

        >>> pts = ctx.parallelize([LabeledPoint(2.0, [1.0]), LabeledPoint(4.0, [2.0])])
        >>> LinearRegressionWithSGD.train(pts, iterations=1, step=0.1).weights
        DenseVector([0.5])
        """
        return _train(LinearRegressionModel, data, regType, iterations, step, miniBatchFraction,
                      initialWeights, regParam, intercept, validateData, convergenceTol,
                      "LinearRegressionWithSGD")


class RidgeRegressionWithSGD:
    """Train a least-squares model with an L2 penalty by SGD."""

    @classmethod
    def train(cls, data: Any, iterations: int = 100, step: float = 1.0, regParam: float = 0.01,
              miniBatchFraction: float = 1.0, initialWeights: Any = None, intercept: bool = False,
              validateData: bool = True, convergenceTol: float = 0.001) -> RidgeRegressionModel:
        """Return a RidgeRegressionModel (LinearRegressionWithSGD with regType "l2")."""
        return _train(RidgeRegressionModel, data, "l2", iterations, step, miniBatchFraction, initialWeights,
                      regParam, intercept, validateData, convergenceTol, "RidgeRegressionWithSGD")


class LassoWithSGD:
    """Train a least-squares model with an L1 penalty by SGD."""

    @classmethod
    def train(cls, data: Any, iterations: int = 100, step: float = 1.0, regParam: float = 0.01,
              miniBatchFraction: float = 1.0, initialWeights: Any = None, intercept: bool = False,
              validateData: bool = True, convergenceTol: float = 0.001) -> LassoModel:
        """Return a LassoModel (LinearRegressionWithSGD with regType "l1")."""
        return _train(LassoModel, data, "l1", iterations, step, miniBatchFraction, initialWeights,
                      regParam, intercept, validateData, convergenceTol, "LassoWithSGD")


class StreamingLinearAlgorithm(StreamingModel):
    """Base of the streaming linear algorithms: ``trainOn`` updates the model with each
    batch, ``predictOn``/``predictOnValues`` score with the latest model.

    The model's parameters are part of the streaming checkpoint: after a driver restart with
    ``StreamingContext.getOrCreate`` training continues from the last checkpointed model, and
    a batch the model already learned from is not learned twice.
    """

    def __init__(self, model: LinearModel | None) -> None:
        self._model: Any = model  # a LinearModel once setInitialWeights ran
        self._init_streaming()

    def latestModel(self) -> Any:
        """Return the latest model (None before ``setInitialWeights``)."""
        return self._model

    def _validate(self, dstream: Any) -> None:
        from ..streaming.dstream import DStream
        if not self._model:
            raise ModelNotInitializedError(
                f"{type(self).__name__}: the model must be initialized with setInitialWeights(...) "
                f"before trainOn/predictOn")
        if not isinstance(dstream, DStream):
            raise TypeError(f"dstream should be a DStream object, got {type(dstream).__name__}")

    def _update(self, rdd: Any) -> LinearModel:  # pragma: no cover - overridden
        raise NotImplementedError

    def _learn(self, rdd: Any) -> Any:
        if rdd.isEmpty():
            return None  # MLlib skips empty batches
        model = self._update(rdd)

        def install() -> None:
            self._model = model
        return install

    def _model_state(self) -> Any:
        return self._model  # models are not changed once built: the object is the state

    def _set_model_state(self, state: Any) -> None:
        self._model = state

    def trainOn(self, dstream: Any) -> None:
        """Update the model with every batch of LabeledPoints of ``dstream`` (an output
        operation); empty batches change nothing. Returns None."""
        self._validate(dstream)
        self._train_on(dstream)

    def predictOn(self, dstream: Any) -> Any:
        """Return a DStream of the latest model's predictions for the vectors of ``dstream``."""
        self._validate(dstream)
        return dstream.map(lambda x: self._model.predict(x))

    def predictOnValues(self, dstream: Any) -> Any:
        """Return a DStream of ``(key, prediction)`` for a DStream of ``(key, vector)``."""
        self._validate(dstream)
        return dstream.mapValues(lambda x: self._model.predict(x))


class StreamingLinearRegressionWithSGD(StreamingLinearAlgorithm):
    """Linear regression learned on a DStream: each non-empty batch runs
    ``LinearRegressionWithSGD.train(batch, numIterations, stepSize, miniBatchFraction,
    latest weights, convergenceTol=...)`` without an intercept, as MLlib does.

    Examples
    --------
    >>> alg = StreamingLinearRegressionWithSGD(stepSize=0.1, numIterations=1)
    >>> alg = alg.setInitialWeights([0.0])
    >>> alg.latestModel().weights
    DenseVector([0.0])
    """

    def __init__(self, stepSize: float = 0.1, numIterations: int = 50, miniBatchFraction: float = 1.0,
                 convergenceTol: float = 0.001) -> None:
        self.stepSize = stepSize
        self.numIterations = numIterations
        self.miniBatchFraction = miniBatchFraction
        self.convergenceTol = convergenceTol
        _sgd._check_fraction(miniBatchFraction)
        super().__init__(None)

    def setInitialWeights(self, initialWeights: Any) -> StreamingLinearRegressionWithSGD:
        """Set the initial weights (needed before trainOn/predictOn); returns self."""
        self._model = LinearRegressionModel(_convert_to_vector(initialWeights), 0.0)
        return self

    def _update(self, rdd: Any) -> LinearModel:
        m = self._model
        return LinearRegressionWithSGD.train(rdd, self.numIterations, self.stepSize, self.miniBatchFraction,
                                             m.weights, intercept=bool(m.intercept),
                                             convergenceTol=self.convergenceTol)
