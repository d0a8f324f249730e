"""Block and shuffle storage: in memory for local[N]; Redis-backed stores plug in the same interfaces."""
from .blocks import BlockStore, MemoryBlockStore
from .shuffle import Aggregator, MemoryShuffleStore, ShuffleStore, read_shuffle, write_shuffle

__all__ = ["BlockStore", "MemoryBlockStore", "ShuffleStore", "MemoryShuffleStore", "Aggregator",
           "write_shuffle", "read_shuffle"]
