"""Feature transformers with pyspark.mllib's names: ``StandardScaler`` and ``HashingTF``.

Examples
--------
>>> from dstreams.mllib.linalg import Vectors
>>> model = StandardScaler(withMean=True).fit(ctx.parallelize([Vectors.dense([1.0]), Vectors.dense([3.0])]))
>>> model.transform(Vectors.dense([3.0]))
DenseVector([0.7071067811865475])
>>> tf = HashingTF(16)
>>> v = tf.transform(["a", "b", "a"])
>>> v[tf.indexOf("a")]
2.0
"""
from __future__ import annotations

import warnings
from collections.abc import Hashable
from typing import Any

import numpy as np

from ..partitioner import portable_hash
from .errors import InvalidParameterError
from .linalg import DenseVector, SparseVector, Vectors, _convert_to_vector, _to_dense_matrix

__all__ = ["StandardScaler", "StandardScalerModel", "HashingTF", "Normalizer", "IDF", "IDFModel"]


class StandardScalerModel:
    """Scales vectors with the column means and (sample) standard deviations of a data set."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, withMean: bool, withStd: bool) -> None:
        self._mean = np.asarray(mean, dtype=np.float64)
        self._std = np.asarray(std, dtype=np.float64)
        self.withMean = withMean
        self.withStd = withStd

    @property
    def mean(self) -> DenseVector:
        """The column means."""
        return DenseVector(self._mean)

    @property
    def std(self) -> DenseVector:
        """The column standard deviations (with the n - 1 denominator, as MLlib)."""
        return DenseVector(self._std)

    def setWithMean(self, withMean: bool) -> StandardScalerModel:
        """Center (or not) on the mean; returns self."""
        self.withMean = withMean
        return self

    def setWithStd(self, withStd: bool) -> StandardScalerModel:
        """Scale (or not) to unit standard deviation; returns self."""
        self.withStd = withStd
        return self

    def transform(self, vector: Any) -> Any:
        """Return the scaled vector (or an RDD of them for an RDD). A column whose standard
        deviation is 0 becomes 0.0; sparse vectors stay sparse unless centered (a centered
        sparse vector becomes dense)."""
        if hasattr(vector, "getNumPartitions"):
            return vector.map(self.transform)
        v = _convert_to_vector(vector)
        factor = np.where(self._std != 0.0, 1.0 / np.where(self._std != 0.0, self._std, 1.0), 0.0)
        if isinstance(v, SparseVector) and not self.withMean:
            vals = v.values * factor[v.indices] if self.withStd else v.values.copy()
            return SparseVector(v.size, v.indices.tolist(), vals.tolist())
        arr = v.toArray().copy()
        if self.withMean:
            arr -= self._mean
        if self.withStd:
            arr *= factor
        return DenseVector(arr)


class StandardScaler:
    """Standardizes features by removing the mean (``withMean``) and scaling to unit standard
    deviation (``withStd``), with the column statistics of the data ``fit`` is given."""

    def __init__(self, withMean: bool = False, withStd: bool = True) -> None:
        if not (withMean or withStd):
            warnings.warn("Both withMean and withStd are false. The model does nothing.", stacklevel=2)
        self.withMean = withMean
        self.withStd = withStd

    def fit(self, dataset: Any) -> StandardScalerModel:
        """Return a StandardScalerModel of the column means and sample standard deviations of an
        RDD of vectors (one pass: per-partition counts, sums and sums of squared deviations)."""
        def stats(it):
            vecs = [_convert_to_vector(v) for v in it]
            if not vecs:
                return []
            X = _to_dense_matrix(vecs, vecs[0].size)
            mean = X.mean(axis=0)
            return [(X.shape[0], mean, ((X - mean) ** 2).sum(axis=0))]
        parts = dataset.mapPartitions(stats).collect()
        if not parts:
            from .errors import EmptyDatasetError
            raise EmptyDatasetError("StandardScaler.fit needs at least one vector; the RDD is empty")
        n, mean, m2 = parts[0]
        for nb, mb, m2b in parts[1:]:  # Chan et al.'s pairwise merge of means and squared deviations
            delta = mb - mean
            total = n + nb
            mean = mean + delta * (nb / total)
            m2 = m2 + m2b + delta ** 2 * (n * nb / total)
            n = total
        std = np.sqrt(m2 / (n - 1)) if n > 1 else np.zeros_like(mean)
        return StandardScalerModel(mean, std, self.withMean, self.withStd)


class HashingTF:
    """Maps a sequence of terms to term frequencies by hashing each term to an index.

    The index is ``portable_hash(term) % numFeatures``: the same in every process and run (PySpark
    uses Python's ``hash``, which for strings depends on ``PYTHONHASHSEED``, so the indices of
    strings differ from PySpark's).
    """

    def __init__(self, numFeatures: int = 1 << 20) -> None:
        if numFeatures < 1:
            raise InvalidParameterError(f"numFeatures should be at least 1, got {numFeatures}")
        self.numFeatures = numFeatures
        self.binary = False

    def setBinary(self, value: bool) -> HashingTF:
        """With True, every present term counts 1.0 (for models of presence); returns self."""
        self.binary = value
        return self

    def indexOf(self, term: Hashable) -> int:
        """Return the index of a term."""
        return portable_hash(term) % self.numFeatures

    def transform(self, document: Any) -> Any:
        """Return the term-frequency SparseVector of an iterable of terms (or an RDD of them
        for an RDD of documents)."""
        if hasattr(document, "getNumPartitions"):
            return document.map(self.transform)
        freq: dict[int, float] = {}
        for term in document:
            i = self.indexOf(term)
            freq[i] = 1.0 if self.binary else freq.get(i, 0.0) + 1.0
        return Vectors.sparse(self.numFeatures, freq.items())


class Normalizer:
    """Scales each vector to unit p-norm (a zero vector stays zero).

    >>> Normalizer().transform(Vectors.dense([3.0, 4.0]))
    DenseVector([0.6, 0.8])
    >>> Normalizer(1.0).transform(Vectors.sparse(3, {0: 1.0, 2: 3.0}))
    SparseVector(3, {0: 0.25, 2: 0.75})
    """

    def __init__(self, p: float = 2.0) -> None:
        if not p >= 1.0:
            raise InvalidParameterError(f"p should be at least 1 (or inf), got {p}")
        self.p = float(p)

    def transform(self, vector: Any) -> Any:
        """Return the normalized vector (or an RDD of them for an RDD)."""
        if hasattr(vector, "getNumPartitions"):
            return vector.map(self.transform)
        v = _convert_to_vector(vector)
        norm = v.norm(self.p)
        if isinstance(v, SparseVector):
            vals = v.values / norm if norm > 0 else v.values.copy()
            return SparseVector(v.size, v.indices.tolist(), vals.tolist())
        return DenseVector(v.toArray() / norm if norm > 0 else v.toArray().copy())


class IDFModel:
    """Inverse document frequencies: ``transform`` multiplies term frequencies by them."""

    def __init__(self, idf: np.ndarray, docFreq: np.ndarray, numDocs: int) -> None:
        self._idf = idf
        self._docFreq = docFreq
        self._numDocs = numDocs

    def idf(self) -> DenseVector:
        """Return the inverse document frequency of each term."""
        return DenseVector(self._idf)

    def docFreq(self) -> list[int]:
        """Return the number of documents each term appears in."""
        return [int(x) for x in self._docFreq]

    def numDocs(self) -> int:
        """Return the number of documents the model was fitted on."""
        return self._numDocs

    def transform(self, x: Any) -> Any:
        """Return the TF-IDF vector of a term-frequency vector (or an RDD of them)."""
        if hasattr(x, "getNumPartitions"):
            return x.map(self.transform)
        v = _convert_to_vector(x)
        if isinstance(v, SparseVector):
            return SparseVector(v.size, v.indices.tolist(), (v.values * self._idf[v.indices]).tolist())
        return DenseVector(v.toArray() * self._idf)


class IDF:
    """Computes inverse document frequencies as MLlib does: ``log((m + 1) / (df + 1))`` for a
    term in ``df`` of ``m`` documents, 0 for a term in fewer than ``minDocFreq`` documents.

    >>> tf = ctx.parallelize([Vectors.sparse(3, {0: 1.0}), Vectors.sparse(3, {0: 2.0, 1: 1.0})])
    >>> model = IDF().fit(tf)
    >>> model.docFreq(), model.idf().toArray().round(4).tolist()
    ([2, 1, 0], [0.0, 0.4055, 1.0986])
    """

    def __init__(self, minDocFreq: int = 0) -> None:
        self.minDocFreq = minDocFreq

    def fit(self, dataset: Any) -> IDFModel:
        """Return the IDFModel of an RDD of term-frequency vectors."""
        def counts(it):
            df: np.ndarray | None = None
            n = 0
            for x in it:
                v = _convert_to_vector(x)
                if df is None:
                    df = np.zeros(v.size, dtype=np.int64)
                if isinstance(v, SparseVector):
                    df[v.indices[v.values != 0]] += 1
                else:
                    df[v.toArray() != 0] += 1
                n += 1
            return [] if df is None else [(df, n)]
        parts = dataset.mapPartitions(counts).collect()
        if not parts:
            from .errors import EmptyDatasetError
            raise EmptyDatasetError("IDF.fit needs at least one vector; the RDD is empty")
        df = np.sum([p[0] for p in parts], axis=0)
        m = sum(p[1] for p in parts)
        idf = np.log((m + 1.0) / (df + 1.0))
        idf[df < self.minDocFreq] = 0.0
        return IDFModel(idf, df, m)

