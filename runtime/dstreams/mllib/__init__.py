"""dstreams.mllib: pyspark.mllib's algorithms on numpy, for batch RDDs and DStreams.

The modules and names are PySpark's (``pip install 'dstreams[ml]'`` installs numpy):

- ``linalg``: ``Vectors``, ``DenseVector``, ``SparseVector``
- ``regression``: ``LabeledPoint``, ``LinearRegressionWithSGD`` (and Ridge/Lasso),
  ``StreamingLinearRegressionWithSGD``
- ``classification``: ``LogisticRegressionWithSGD``, ``SVMWithSGD``,
  ``StreamingLogisticRegressionWithSGD``
- ``clustering``: ``KMeans``, ``KMeansModel``, ``StreamingKMeans``, ``StreamingKMeansModel``
- ``feature``: ``StandardScaler``, ``HashingTF``, ``IDF``, ``Normalizer``
- ``util``: ``ModelBroadcast`` (train offline, score live: a model file broadcast again when
  it changes) and ``streamingAlgorithms(ssc)`` (the algorithms of a context recreated from a
  checkpoint)
- ``errors``: the exception classes

The update rules of the streaming algorithms are MLlib's (see each module's docstring), so
the same data gives the same models as pyspark.mllib within float tolerance. The models have
PySpark's ``save(sc, path)`` / ``load(sc, path)`` (in dstreams' own JSON format).
"""
from __future__ import annotations

from .errors import NumpyMissingError as _NumpyMissingError

try:
    import numpy as _numpy  # noqa: F401 - every module of the package needs it
except ImportError as _exc:
    raise _NumpyMissingError("dstreams.mllib needs numpy, which is not installed: pip install 'dstreams[ml]'") from _exc

from .errors import (DimensionMismatchError, EmptyDatasetError, InvalidLabelError, InvalidParameterError,
                     MLlibError, ModelFormatError, ModelNotInitializedError, NumpyMissingError)

__all__ = ["linalg", "regression", "classification", "clustering", "feature", "util", "errors",
           "MLlibError", "NumpyMissingError", "ModelNotInitializedError", "DimensionMismatchError",
           "InvalidLabelError", "EmptyDatasetError", "InvalidParameterError", "ModelFormatError"]
