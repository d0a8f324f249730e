"""The exceptions of ``dstreams.mllib``.

Each subclasses the built-in exception PySpark raises in the same situation (``ValueError``,
``ImportError``), so code written against ``pyspark.mllib`` that catches those keeps working.
"""
from __future__ import annotations

from ..errors import DStreamsError

__all__ = ["MLlibError", "NumpyMissingError", "ModelNotInitializedError", "DimensionMismatchError",
           "InvalidLabelError", "EmptyDatasetError", "InvalidParameterError", "ModelFormatError"]


class MLlibError(DStreamsError):
    """Base class of the machine-learning errors."""


class NumpyMissingError(MLlibError, ImportError):
    """numpy is not installed; ``pip install 'dstreams[ml]'`` installs it."""


class ModelNotInitializedError(MLlibError, ValueError):
    """A streaming algorithm was used before its initial model was set."""


class DimensionMismatchError(MLlibError, ValueError):
    """Two vectors (or a vector and a model) have different numbers of features."""


class InvalidLabelError(MLlibError, ValueError):
    """A classifier was given labels it cannot learn (e.g. not 0 or 1 for a binary one)."""


class EmptyDatasetError(MLlibError, ValueError):
    """A batch training method was given an RDD without elements."""


class InvalidParameterError(MLlibError, ValueError):
    """A parameter is out of its range (the message names it and the accepted values)."""


class ModelFormatError(MLlibError, ValueError):
    """A path given to ``Model.load`` holds no saved model, or one of another class or format."""
