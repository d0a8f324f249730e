"""Local vectors with pyspark.mllib's names: ``Vectors``, ``DenseVector``, ``SparseVector``.

A ``DenseVector`` wraps a float64 numpy array; a ``SparseVector`` keeps its size, its sorted
indices (int32) and their values (float64). Functions taking vectors also accept numpy arrays,
lists, tuples and ``range`` (converted to dense vectors), as in PySpark.

Examples
--------
>>> v = Vectors.dense([1.0, 2.0])
>>> v.dot([3.0, 4.0])
11.0
>>> s = Vectors.sparse(4, {1: 1.0, 3: 5.5})
>>> s
SparseVector(4, {1: 1.0, 3: 5.5})
>>> print(s)
(4,[1,3],[1.0,5.5])
>>> s.toArray()
array([0. , 1. , 0. , 5.5])
>>> Vectors.squared_distance([0.0, 0.0], [3.0, 4.0])
25.0
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Union

import numpy as np  # the package's __init__ turns a missing numpy into NumpyMissingError

from .errors import DimensionMismatchError

__all__ = ["Vector", "DenseVector", "SparseVector", "Vectors", "VectorLike"]

VectorLike = Union["Vector", "np.ndarray", list, tuple, range]


class Vector:
    """Base class of the local vectors."""

    def toArray(self) -> np.ndarray:
        """Return the vector as a dense 1-d float64 numpy array."""
        raise NotImplementedError

    @property
    def size(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def dot(self, other: Any) -> float:  # pragma: no cover - overridden
        """Return the dot product with another vector."""
        raise NotImplementedError

    def squared_distance(self, other: Any) -> float:  # pragma: no cover - overridden
        """Return the squared Euclidean distance to another vector."""
        raise NotImplementedError

    def norm(self, p: float) -> float:  # pragma: no cover - overridden
        """Return the p-norm of the vector."""
        raise NotImplementedError

    def __len__(self) -> int:
        return self.size

    def _check_size(self, other: Vector) -> None:
        if other.size != self.size:
            raise DimensionMismatchError(
                f"vectors of different sizes: {self.size} and {other.size} (every vector of a "
                f"data set, and the model's weights or centers, must have the same number of features)")


class DenseVector(Vector):
    """A dense vector of float64 values, backed by a numpy array.

    Examples
    --------
    >>> v = DenseVector([1.0, -2.0])
    >>> v + DenseVector([1.0, 1.0])
    DenseVector([2.0, -1.0])
    >>> v.norm(1), round(v.norm(2) ** 2, 12)
    (3.0, 5.0)
    >>> print(v)
    [1.0,-2.0]
    """

    __slots__ = ("array",)

    def __init__(self, ar: Any) -> None:
        if isinstance(ar, (bytes, str)):
            raise TypeError(f"DenseVector needs numbers, got {type(ar).__name__}")
        arr = np.asarray(ar, dtype=np.float64)
        if arr.ndim != 1:
            arr = arr.reshape(-1)
        self.array: np.ndarray = arr

    @property
    def size(self) -> int:
        """The number of entries."""
        return int(self.array.shape[0])

    @property
    def values(self) -> np.ndarray:
        """The values as a numpy array (not a copy)."""
        return self.array

    def toArray(self) -> np.ndarray:
        """Return the numpy array of the values (not a copy).

        >>> DenseVector([1, 2]).toArray()
        array([1., 2.])
        """
        return self.array

    def dot(self, other: Any) -> float:
        """Return the dot product with another vector (dense, sparse, array or list).

        >>> DenseVector([1.0, 2.0]).dot(SparseVector(2, [1], [3.0]))
        6.0
        """
        if isinstance(other, SparseVector):
            return other.dot(self)
        o = _convert_to_vector(other)
        self._check_size(o)
        return float(np.dot(self.array, o.toArray()))

    def squared_distance(self, other: Any) -> float:
        """Return the squared Euclidean distance to another vector.

        >>> DenseVector([0.0, 0.0]).squared_distance([1.0, 2.0])
        5.0
        """
        o = _convert_to_vector(other)
        self._check_size(o)
        d = self.array - o.toArray()
        return float(np.dot(d, d))

    def norm(self, p: float) -> float:
        """Return the p-norm of the vector (``p`` may be ``float('inf')``)."""
        return float(np.linalg.norm(self.array, p))

    def numNonzeros(self) -> int:
        """Return the number of non-zero entries."""
        return int(np.count_nonzero(self.array))

    def __getitem__(self, i: Any) -> Any:
        return self.array[i]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """numpy functions take a DenseVector as its array (``np.asarray(v)``, ``np.mean(v)``)."""
        return self.array if dtype is None else self.array.astype(dtype)

    def __iter__(self):
        return iter(self.array)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DenseVector):
            return bool(np.array_equal(self.array, other.array))
        if isinstance(other, SparseVector):
            return other == self
        return False

    def __hash__(self) -> int:
        return hash(tuple(self.array.tolist()))

    def __repr__(self) -> str:
        return "DenseVector([" + ", ".join(repr(float(x)) for x in self.array) + "])"

    def __str__(self) -> str:
        return "[" + ",".join(repr(float(x)) for x in self.array) + "]"

    def __reduce__(self):
        return (DenseVector, (self.array.tolist(),))

    def _op(self, other: Any, op: Any) -> DenseVector:
        o = other.array if isinstance(other, DenseVector) else other
        return DenseVector(op(self.array, o))

    def __add__(self, other: Any) -> DenseVector:
        return self._op(other, np.add)

    def __sub__(self, other: Any) -> DenseVector:
        return self._op(other, np.subtract)

    def __mul__(self, other: Any) -> DenseVector:
        return self._op(other, np.multiply)

    def __truediv__(self, other: Any) -> DenseVector:
        return self._op(other, np.divide)

    __radd__ = __add__
    __rmul__ = __mul__

    def __neg__(self) -> DenseVector:
        return DenseVector(-self.array)


class SparseVector(Vector):
    """A sparse vector: a size, sorted indices and their values.

    Built as ``SparseVector(size, {index: value})``, ``SparseVector(size, [(index, value)])``
    or ``SparseVector(size, indices, values)``.

    Examples
    --------
    >>> SparseVector(4, [(3, 2.0), (1, 1.0)])
    SparseVector(4, {1: 1.0, 3: 2.0})
    >>> SparseVector(4, [1, 3], [1.0, 2.0]).dot([1.0, 1.0, 1.0, 10.0])
    21.0
    >>> SparseVector(4, {1: 1.0})[1], SparseVector(4, {1: 1.0})[2]
    (1.0, 0.0)
    """

    __slots__ = ("_size", "indices", "values")

    def __init__(self, size: int, *args: Any) -> None:
        self._size = int(size)
        if len(args) == 1:
            pairs = args[0]
            if isinstance(pairs, Mapping):
                pairs = pairs.items()
            items = sorted((int(i), float(v)) for i, v in pairs)
            idx = [i for i, _ in items]
            vals = [v for _, v in items]
        elif len(args) == 2:
            idx, vals = list(args[0]), list(args[1])
            if len(idx) != len(vals):
                raise DimensionMismatchError(
                    f"SparseVector needs as many indices as values, got {len(idx)} and {len(vals)}")
            order = sorted(range(len(idx)), key=lambda j: idx[j])
            idx = [int(idx[j]) for j in order]
            vals = [float(vals[j]) for j in order]
        else:
            raise TypeError("SparseVector(size, {index: value}) or SparseVector(size, indices, values)")
        self.indices: np.ndarray = np.asarray(idx, dtype=np.int32)
        self.values: np.ndarray = np.asarray(vals, dtype=np.float64)
        if len(self.indices):
            if len(set(idx)) != len(idx):
                raise ValueError(f"SparseVector indices must be distinct, got {idx}")
            if self.indices[0] < 0 or self.indices[-1] >= self._size:
                raise IndexError(f"SparseVector of size {self._size}: indices must be in [0, {self._size}), "
                                 f"got {idx}")

    @property
    def size(self) -> int:
        """The number of entries (zeros included)."""
        return self._size

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = self.toArray()
        return arr if dtype is None else arr.astype(dtype)

    def toArray(self) -> np.ndarray:
        """Return a dense numpy array of the vector.

        >>> SparseVector(3, {2: 1.5}).toArray()
        array([0. , 0. , 1.5])
        """
        arr = np.zeros(self._size, dtype=np.float64)
        arr[self.indices] = self.values
        return arr

    def dot(self, other: Any) -> float:
        """Return the dot product with another vector."""
        if isinstance(other, SparseVector):
            self._check_size(other)
            common, i, j = np.intersect1d(self.indices, other.indices, assume_unique=True, return_indices=True)
            return float(np.dot(self.values[i], other.values[j]))
        o = _convert_to_vector(other)
        self._check_size(o)
        return float(np.dot(self.values, o.toArray()[self.indices]))

    def squared_distance(self, other: Any) -> float:
        """Return the squared Euclidean distance to another vector.

        >>> SparseVector(2, {0: 1.0}).squared_distance(SparseVector(2, {1: 1.0}))
        2.0
        """
        o = _convert_to_vector(other)
        self._check_size(o)
        d = self.toArray() - o.toArray()
        return float(np.dot(d, d))

    def norm(self, p: float) -> float:
        """Return the p-norm of the vector."""
        return float(np.linalg.norm(self.values, p))

    def numNonzeros(self) -> int:
        """Return the number of stored values that are not zero."""
        return int(np.count_nonzero(self.values))

    def __getitem__(self, i: int) -> float:
        if not isinstance(i, (int, np.integer)):
            raise TypeError("SparseVector indices must be integers")
        if i < 0:
            i += self._size
        if not 0 <= i < self._size:
            raise IndexError(f"index {i} out of range for a SparseVector of size {self._size}")
        pos = int(np.searchsorted(self.indices, i))
        if pos < len(self.indices) and self.indices[pos] == i:
            return float(self.values[pos])
        return 0.0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SparseVector):
            return (self._size == other._size and np.array_equal(self.indices, other.indices)
                    and np.array_equal(self.values, other.values))
        if isinstance(other, DenseVector):
            return self._size == other.size and bool(np.array_equal(self.toArray(), other.array))
        return False

    def __hash__(self) -> int:
        return hash((self._size, tuple(self.indices.tolist()), tuple(self.values.tolist())))

    def __repr__(self) -> str:
        body = ", ".join(f"{int(i)}: {float(v)!r}" for i, v in zip(self.indices, self.values, strict=True))
        return f"SparseVector({self._size}, {{{body}}})"

    def __str__(self) -> str:
        idx = ",".join(str(int(i)) for i in self.indices)
        vals = ",".join(repr(float(v)) for v in self.values)
        return f"({self._size},[{idx}],[{vals}])"

    def __reduce__(self):
        return (SparseVector, (self._size, self.indices.tolist(), self.values.tolist()))


class Vectors:
    """Factory methods for vectors (PySpark's ``Vectors``).

    Examples
    --------
    >>> Vectors.dense(1, 2)
    DenseVector([1.0, 2.0])
    >>> Vectors.zeros(2)
    DenseVector([0.0, 0.0])
    >>> Vectors.norm([3.0, 4.0], 2)
    5.0
    """

    @staticmethod
    def dense(*elements: Any) -> DenseVector:
        """Return a DenseVector of ``elements`` (numbers, or one list/array)."""
        if len(elements) == 1 and not isinstance(elements[0], (float, int, np.number)):
            elements = elements[0]
        return DenseVector(elements)

    @staticmethod
    def sparse(size: int, *args: Any) -> SparseVector:
        """Return a SparseVector (see :class:`SparseVector` for the accepted arguments)."""
        return SparseVector(size, *args)

    @staticmethod
    def zeros(size: int) -> DenseVector:
        """Return a DenseVector of ``size`` zeros."""
        return DenseVector(np.zeros(size))

    @staticmethod
    def squared_distance(v1: Any, v2: Any) -> float:
        """Return the squared Euclidean distance between two vectors."""
        return _convert_to_vector(v1).squared_distance(v2)

    @staticmethod
    def norm(vector: Any, p: float) -> float:
        """Return the p-norm of a vector."""
        return _convert_to_vector(vector).norm(p)

    @staticmethod
    def stringify(vector: Vector) -> str:
        """Return the vector as PySpark prints it (``[1.0,2.0]`` or ``(size,[i],[v])``)."""
        return str(vector)


def _convert_to_vector(v: Any) -> Vector:
    """Return ``v`` as a Vector (lists, tuples, ranges and 1-d numpy arrays become dense)."""
    if isinstance(v, Vector):
        return v
    if isinstance(v, (list, tuple, range, np.ndarray)):
        return DenseVector(v)
    if isinstance(v, Iterable) and not isinstance(v, (str, bytes, Mapping)):
        return DenseVector(list(v))
    raise TypeError(f"cannot convert {type(v).__name__} to a vector: give a Vector, a numpy array or a "
                    f"list of numbers")


def _to_dense_matrix(vectors: list[Any], dim: int) -> np.ndarray:
    """Stack vectors (Vectors, numpy arrays or lists of numbers) into an ``(n, dim)`` float64
    array; raise DimensionMismatchError for a vector of another size."""
    if not vectors:
        return np.zeros((0, dim), dtype=np.float64)
    if not any(isinstance(v, SparseVector) for v in vectors):  # the common case: one numpy call
        rows = [v.array if isinstance(v, DenseVector) else v for v in vectors]
        try:
            out = np.array(rows, dtype=np.float64)
        except ValueError:  # ragged rows
            out = None
        if out is not None and out.ndim == 2 and out.shape[1] == dim:
            return out
    out = np.zeros((len(vectors), dim), dtype=np.float64)
    for row, v in enumerate(vectors):
        v = _convert_to_vector(v)
        if v.size != dim:
            raise DimensionMismatchError(f"a vector of size {v.size} in data of {dim} features")
        if isinstance(v, SparseVector):
            out[row, v.indices] = v.values
        else:
            out[row] = v.toArray()
    return out
