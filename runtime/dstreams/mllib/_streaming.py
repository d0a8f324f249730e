"""What the streaming algorithms share (private): learning batch by batch with the model in
the checkpoint.

``trainOn`` is ``foreachRDD`` of the algorithm's update, as in MLlib. The stream behind it (a
subclass of the foreachRDD stream) adds the algorithm's latest model to the metadata
checkpoint: the DStream graph itself is pickled once, at start, so a model captured in a
closure would be checkpointed with its initial parameters. With the model go the times of the
last batch each training stream learned from, updated under the same lock as the model, so
after ``StreamingContext.getOrCreate`` the algorithm continues from the checkpointed model and
skips the batches it had already learned from (re-run because they were still pending).
"""
from __future__ import annotations

import threading
from typing import Any

from ..streaming.dstream import DStream, ForEachDStream
from ..streaming.util import datetime_to_ms

__all__: list[str] = []


class StreamingModel:
    """Base of the streaming algorithms: subclasses set ``_model`` and implement ``_learn``,
    ``_model_state`` and ``_set_model_state``."""

    _model: Any

    def _init_streaming(self) -> None:
        self._lock = threading.Lock()
        self._last_ms: dict[int, int] = {}   # training stream id -> time of the last batch learned
        self._seq = 0                        # number of batches learned (newest snapshot wins)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _learn(self, rdd: Any) -> Any:  # pragma: no cover - overridden
        """Compute the update for a batch (a job may run here); return a function installing
        it (called under the lock), or None to leave the model as it is."""
        raise NotImplementedError

    def _model_state(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _set_model_state(self, state: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _train(self, stream_id: int, time: Any, rdd: Any) -> None:
        t = datetime_to_ms(time)
        if t <= self._last_ms.get(stream_id, -1):
            return  # already learned from (a batch re-run after a recovery)
        install = self._learn(rdd)
        with self._lock:
            if install is not None:
                install()
            self._last_ms[stream_id] = t
            self._seq += 1

    def _snapshot(self) -> dict:
        with self._lock:
            return {"model": self._model_state(), "last_ms": dict(self._last_ms), "seq": self._seq}

    def _restore_snapshot(self, snap: dict) -> None:
        with self._lock:
            if snap["seq"] >= self._seq:
                self._set_model_state(snap["model"])
                self._last_ms = dict(snap["last_ms"])
                self._seq = snap["seq"]

    def _train_on(self, dstream: DStream) -> None:
        ModelTrainingDStream(dstream, self)


class ModelTrainingDStream(ForEachDStream):
    """``foreachRDD`` of the algorithm's update, whose checkpoint carries the model."""

    def __init__(self, parent: DStream, algorithm: StreamingModel) -> None:
        self._algorithm = algorithm
        super().__init__(parent, self._train_batch, "trainOn")

    def _train_batch(self, time: Any, rdd: Any) -> None:
        self._algorithm._train(self._id, time, rdd)

    def _checkpoint_state(self) -> dict | None:
        state = dict(super()._checkpoint_state() or {})
        state["mllib_model"] = self._algorithm._snapshot()
        return state

    def _restore_checkpoint_state(self, state: dict) -> None:
        super()._restore_checkpoint_state(state)
        if "mllib_model" in state:
            self._algorithm._restore_snapshot(state["mllib_model"])


def streaming_algorithms(ssc: Any) -> list[Any]:
    """Return the algorithms trained by ``ssc``'s streams, in registration order (each once)."""
    out: list[Any] = []
    for s in ssc._graph.all_streams():
        if isinstance(s, ModelTrainingDStream) and not any(a is s._algorithm for a in out):
            out.append(s._algorithm)
    return out
