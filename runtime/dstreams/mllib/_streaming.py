"""The output stream behind ``trainOn`` (private).

``trainOn`` is ``foreachRDD`` of the algorithm's update, as in MLlib; this subclass of the
foreachRDD stream only adds the algorithm's latest model to the metadata checkpoint (the
DStream graph itself is pickled once, at start, so a model captured in a closure would be
checkpointed with its initial parameters). After ``StreamingContext.getOrCreate`` the
algorithm continues from the checkpointed model, and batches it had already learned from
(re-run because they were pending) are skipped.
"""
from __future__ import annotations

from typing import Any

from ..streaming.dstream import DStream, ForEachDStream

__all__: list[str] = []


class ModelTrainingDStream(ForEachDStream):
    """``foreachRDD(algorithm._train_batch)`` whose checkpoint carries the model."""

    def __init__(self, parent: DStream, algorithm: Any) -> None:
        super().__init__(parent, algorithm._train_batch, "trainOn")
        self._algorithm = algorithm

    def _checkpoint_state(self) -> dict | None:
        state = dict(super()._checkpoint_state() or {})
        state["mllib_model"] = self._algorithm._snapshot()
        return state

    def _restore_checkpoint_state(self, state: dict) -> None:
        super()._restore_checkpoint_state(state)
        if "mllib_model" in state:
            self._algorithm._restore_snapshot(state["mllib_model"])


def streaming_algorithms(ssc: Any) -> list[Any]:
    """Return the algorithms trained by ``ssc``'s streams, in registration order."""
    return [s._algorithm for s in ssc._graph.all_streams() if isinstance(s, ModelTrainingDStream)]
