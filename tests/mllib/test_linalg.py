"""Vectors: construction, arithmetic, distances, pickling, errors."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from dstreams.mllib.errors import DimensionMismatchError
from dstreams.mllib.linalg import DenseVector, SparseVector, Vectors


def test_dense_and_sparse_agree_on_dot_distance_and_norms():
    d = Vectors.dense([1.0, 0.0, 3.0])
    s = Vectors.sparse(3, {0: 1.0, 2: 3.0})
    assert d == s and s == d
    assert d.dot(s) == s.dot(d) == 10.0
    assert s.dot(Vectors.sparse(3, [2], [2.0])) == 6.0
    assert d.squared_distance([0.0, 1.0, 0.0]) == 1.0 + 1.0 + 9.0
    assert s.squared_distance(Vectors.sparse(3, {1: 1.0})) == 11.0
    assert s.norm(1) == d.norm(1) == 4.0
    assert s.numNonzeros() == d.numNonzeros() == 2
    assert s[2] == 3.0 and s[1] == 0.0 and s[-1] == 3.0


def test_sparse_constructors_sort_indices():
    a = SparseVector(5, {4: 2.0, 1: 1.0})
    b = SparseVector(5, [(1, 1.0), (4, 2.0)])
    c = SparseVector(5, [4, 1], [2.0, 1.0])
    assert a == b == c
    assert a.indices.tolist() == [1, 4]
    assert repr(a) == "SparseVector(5, {1: 1.0, 4: 2.0})"
    assert str(a) == "(5,[1,4],[1.0,2.0])"


def test_dense_arithmetic_and_repr():
    v = DenseVector([1.0, 2.0])
    assert (v + [1.0, 1.0]) == DenseVector([2.0, 3.0])
    assert (v * 2) == DenseVector([2.0, 4.0])
    assert (v - v).toArray().tolist() == [0.0, 0.0]
    assert repr(v) == "DenseVector([1.0, 2.0])" and str(v) == "[1.0,2.0]"


@pytest.mark.parametrize("v", [Vectors.dense([1.0, 2.5]), Vectors.sparse(4, {3: 1.5})])
def test_vectors_pickle(v):
    assert pickle.loads(pickle.dumps(v)) == v


def test_size_mismatch_is_a_named_error():
    with pytest.raises(DimensionMismatchError, match="sizes: 2 and 3"):
        Vectors.dense([1.0, 2.0]).dot([1.0, 2.0, 3.0])
    with pytest.raises(IndexError, match=r"\[0, 3\)"):
        SparseVector(3, {3: 1.0})
    with pytest.raises(TypeError, match="cannot convert"):
        Vectors.squared_distance("ab", [1.0])


def test_numpy_input_is_float64():
    v = Vectors.dense(np.array([1, 2], dtype=np.int32))
    assert v.toArray().dtype == np.float64


def test_numpy_functions_take_vectors():
    assert np.asarray(Vectors.dense([1.0, 3.0])).tolist() == [1.0, 3.0]
    assert float(np.mean(Vectors.dense([1.0, 3.0]))) == 2.0
    assert np.asarray(Vectors.sparse(3, {1: 2.0})).tolist() == [0.0, 2.0, 0.0]
    assert Vectors.dense(Vectors.dense([1.0, 2.0])) == Vectors.dense([1.0, 2.0])
