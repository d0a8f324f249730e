"""Helpers around models on streams.

``streamingAlgorithms(ssc)`` returns the streaming algorithms a StreamingContext trains; after
``StreamingContext.getOrCreate`` recreated a context from its checkpoint (the setup function
did not run, so the program holds no reference to them) it is how to reach their latest
models.

``ModelBroadcast`` is the "train offline, score live" helper: it loads a model from a file
(any fsspec URL; pickle by default, so a scikit-learn model pickled with ``pickle.dump``
works too), broadcasts it, and before each batch broadcasts it again only when the file's
modification time or size changed.

Examples
--------
>>> import pickle, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "model.pkl")
>>> with open(path, "wb") as f:
...     pickle.dump({"threshold": 3}, f)
>>> models = ModelBroadcast(ctx, path)
>>> models.current().value
{'threshold': 3}
>>> models.version
1
"""
from __future__ import annotations

import pickle
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["streamingAlgorithms", "ModelBroadcast"]


def streamingAlgorithms(ssc: Any) -> list[Any]:
    """Return the algorithms (StreamingKMeans, StreamingLinearRegressionWithSGD, ...) whose
    ``trainOn`` streams belong to ``ssc``, in the order they were registered."""
    from ._streaming import streaming_algorithms
    return streaming_algorithms(ssc)


def _pickle_load(f: Any) -> Any:
    return pickle.load(f)


class ModelBroadcast:
    """A model loaded from ``path`` and broadcast, reloaded when the file changes.

    ``current()`` (call it on the driver, e.g. in ``transform``/``foreachRDD``) returns the
    Broadcast of the latest version: the file is checked (modification time and size) at most
    once per call, and a changed file is loaded and broadcast anew, the previous broadcast
    being unpersisted. ``score(dstream, func)`` returns a DStream of ``func(model, element)``
    computed with the version current at each batch.
    """

    def __init__(self, ctx: Any, path: str, loader: Callable[[Any], Any] = _pickle_load) -> None:
        self._setup(ctx, path, loader)

    def _setup(self, ctx: Any, path: str, loader: Callable[[Any], Any]) -> None:
        self._ctx = ctx
        self.path = path
        self._loader = loader
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._bc: Any = None
        self.version = 0
        self.current()

    def _file_stamp(self) -> tuple:
        import fsspec
        fs, p = fsspec.core.url_to_fs(self.path)
        info = fs.info(p)
        return (info.get("mtime") or info.get("LastModified") or info.get("created"), info.get("size"))

    def current(self) -> Any:
        """Return the Broadcast of the model's latest version (reloaded if the file changed)."""
        with self._lock:
            stamp = self._file_stamp()
            if stamp != self._stamp or self._bc is None:
                import fsspec
                with fsspec.open(self.path, "rb") as f:
                    model = self._loader(f)
                old, self._bc = self._bc, self._ctx.broadcast(model)
                self._stamp = stamp
                self.version += 1
                if old is not None:
                    old.unpersist()
            return self._bc

    def score(self, dstream: Any, func: Callable[[Any, Any], Any]) -> Any:
        """Return a DStream of ``func(model, element)`` for every element of ``dstream``,
        with the model version current when each batch runs."""
        def per_batch(rdd: Any) -> Any:
            bc = self.current()
            return rdd.map(lambda x: func(bc.value, x))
        return dstream.transform(per_batch)

    def __getstate__(self) -> dict:
        # pickled with a checkpointed DStream graph: keep where the model is, not the broadcast
        return {"path": self.path, "loader": self._loader, "version": self.version}

    def __setstate__(self, state: dict) -> None:
        from ..context import Context
        self._setup(Context.getOrCreate(), state["path"], state["loader"])
