"""Block stores hold lists of records by block id: input blocks, cached partitions, broadcasts."""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod

__all__ = ["BlockStore", "MemoryBlockStore"]


class BlockStore(ABC):
    """Where blocks live. Ids are strings such as ``rdd-3-0`` or ``input-0-1700000000000-2``."""

    # tasks run in the process holding the blocks and read their objects in place (local[N]):
    # a parallelized collection needs no blocks, and nothing is ever lost to republish
    tasks_read_in_place = False

    @abstractmethod
    def put(self, block_id: str, values: list) -> None:
        """Store ``values`` under ``block_id`` (replacing any previous block)."""

    @abstractmethod
    def get(self, block_id: str) -> list | None:
        """Return the block's values, or None when it is not stored."""

    @abstractmethod
    def remove(self, block_id: str) -> None:
        """Forget a block (no error when absent)."""

    def contains(self, block_id: str) -> bool:
        return self.get(block_id) is not None

    def contains_all(self, block_ids: list[str]) -> bool:
        return all(self.contains(b) for b in block_ids)

    def remove_many(self, block_ids: list[str]) -> None:
        for b in block_ids:
            self.remove(b)

    def block_ids(self) -> list[str]:
        """Return the ids of all stored blocks (for tests and cleanup)."""
        return []

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""


class MemoryBlockStore(BlockStore):
    """Blocks kept as Python lists in this process (the local[N] store)."""

    tasks_read_in_place = True

    def __init__(self) -> None:
        self._blocks: dict[str, list] = {}
        self._lock = threading.Lock()

    def put(self, block_id: str, values: list) -> None:
        with self._lock:
            self._blocks[block_id] = values

    def get(self, block_id: str) -> list | None:
        return self._blocks.get(block_id)

    def contains(self, block_id: str) -> bool:
        return block_id in self._blocks

    def remove(self, block_id: str) -> None:
        with self._lock:
            self._blocks.pop(block_id, None)

    def block_ids(self) -> list[str]:
        with self._lock:
            return list(self._blocks)
