"""ReceiverInputDStream: the stream of a receiver; each batch is a BlockRDD of the blocks received
before it."""
from __future__ import annotations

import logging
from typing import Any

from ..streaming.dstream import InputDStream
from .receiver import Receiver

__all__ = ["ReceiverInputDStream"]

log = logging.getLogger("dstreams.streaming")


class ReceiverInputDStream(InputDStream):
    """The stream of a receiver: each batch is a BlockRDD of the blocks received before it."""

    _transient = InputDStream._transient + ("_blocks", "_restored")

    def __init__(self, ssc: Any, receiver: Receiver) -> None:
        if not isinstance(receiver, Receiver):
            raise TypeError(f"receiverStream needs a Receiver, got {receiver!r}")
        super().__init__(ssc)
        self._receiver = receiver
        self._blocks: dict[int, list[tuple[str, int]]] = {}
        self._restored: set[int] = set()

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._blocks = {}
        self._restored = set()

    def getReceiver(self) -> Receiver:
        return self._receiver

    def _on_tick(self, t: int) -> None:
        if t not in self._blocks:
            tracker = self._ssc._scheduler.receiver_tracker
            self._blocks[t] = tracker.take_blocks(self._input_id) if tracker is not None else []

    def _input_info(self, t: int) -> tuple[int, dict] | None:
        blocks = self._blocks.get(t, [])
        return sum(n for _, n in blocks), {"blocks": len(blocks)}

    def _compute(self, t: int) -> Any:
        blocks = self._blocks.get(t) or []
        if not blocks:
            return self._sc.emptyRDD()
        ids = [b for b, _ in blocks]
        if t not in self._restored:
            # a running stream never drops data silently: a lost block fails the batch
            return self._sc.blockRDD(ids)
        store = self._sc.env.block_store
        present = [b for b in ids if store.contains(b)]
        if len(present) < len(ids):  # recovery without the blocks (Spark's behaviour without a WAL)
            log.error("%s: %d of %d blocks of the batch of %s could not be recovered: they are not in the "
                      "block store any more", self._name(), len(ids) - len(present), len(ids), t)
            ids = present
        return self._sc.blockRDD(ids) if ids else self._sc.emptyRDD()

    def _forget(self, t: int, rdd: Any) -> None:
        blocks = self._blocks.pop(t, None)
        if blocks:
            self._sc.env.block_store.remove_many([b for b, _ in blocks])

    def _prune(self, cutoff: int) -> None:
        old = [k for k in self._blocks if k <= cutoff]
        if old:
            store = self._sc.env.block_store
            for k in old:
                store.remove_many([b for b, _ in self._blocks.pop(k)])

    def _checkpoint_state(self) -> dict | None:
        state = super()._checkpoint_state() or {}
        state["blocks"] = {t: list(b) for t, b in self._blocks.items()}
        return state

    def _restore_checkpoint_state(self, state: dict) -> None:
        super()._restore_checkpoint_state(state)
        self._blocks = {t: list(b) for t, b in state.get("blocks", {}).items()}
        self._restored = set(self._blocks)
