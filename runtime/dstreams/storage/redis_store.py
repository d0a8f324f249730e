"""Redis-backed block and shuffle stores: the data plane shared by the driver and executors.

Every key starts with ``dstreams:{app_id}:`` so applications can share one Redis safely:

- ``block:{block_id}``      a stored block (input block, cached partition, broadcast): one string
- ``shuffle:{shuffle_id}``  one hash per shuffle: field ``{map}:{reduce}`` holds a serialized
                            bucket (empty buckets are not stored), field ``{map}`` marks a map
                            output as complete; the whole shuffle is deleted with one UNLINK

Values are pickled (protocol 5) and optionally compressed (lz4 or zstd, tagged by a one-byte
header so readers need no configuration).
"""
from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

from ..errors import FetchFailedError
from .blocks import BlockStore
from ..protocol import key_prefix
from .shuffle import EMPTY_BUCKET, ShuffleStore

__all__ = ["RedisBlockStore", "RedisShuffleStore", "Codec"]

_PLAIN, _LZ4, _ZSTD = b"\x00", b"\x01", b"\x02"
_PICKLE = b"\x80"  # the first byte of a pickle (protocol 2+): stored as is, without a tag
_EMPTY_LIST = EMPTY_BUCKET
PIPELINE_BYTES = 4 << 20


class Codec:
    """Optional compression of stored bytes: 'none', 'lz4' or 'zstd'; big values only."""

    def __init__(self, name: str = "none", min_size: int = 4096) -> None:
        name = (name or "none").lower()
        if name not in ("none", "lz4", "zstd"):
            raise ValueError(f"unknown compression codec {name!r}; use none, lz4 or zstd")
        self.name = name
        self.min_size = min_size
        if name == "lz4":
            import lz4.frame as lz4f
            self._compress = lz4f.compress
        elif name == "zstd":
            import zstandard
            self._compress = zstandard.ZstdCompressor(level=1).compress
        else:
            self._compress = None

    def encode(self, data: bytes) -> bytes:
        """Return ``data`` (a pickle) as stored: as is (no copy), or compressed behind a tag."""
        if self._compress is None or len(data) < self.min_size:
            return data if data[:1] == _PICKLE else _PLAIN + data
        return (_LZ4 if self.name == "lz4" else _ZSTD) + self._compress(data)

    @staticmethod
    def decode(blob: bytes) -> bytes:
        if blob[:1] == _PICKLE:
            return blob
        tag, body = blob[:1], blob[1:]
        if tag == _PLAIN:
            return body
        if tag == _LZ4:
            import lz4.frame as lz4f
            return lz4f.decompress(body)
        if tag == _ZSTD:
            import zstandard
            return zstandard.ZstdDecompressor().decompress(body)
        raise ValueError(f"unknown block encoding tag {tag!r}")


class RedisBlockStore(BlockStore):
    """Blocks as pickled strings in Redis under the application's prefix."""

    def __init__(self, client: Any, app_id: str, codec: Codec | None = None) -> None:
        self.r = client
        self.prefix = key_prefix(app_id) + "block:"
        self.codec = codec or Codec()

    def _key(self, block_id: str) -> str:
        return self.prefix + block_id

    def put(self, block_id: str, values: list) -> None:
        self.r.set(self._key(block_id), self.codec.encode(pickle.dumps(values, protocol=5)))

    def put_many(self, blocks: dict[str, list]) -> None:
        """Store several blocks in as few round trips as possible, holding at most about
        PIPELINE_BYTES of pickled data at a time (a queued batch can be tens of MB)."""
        pipe = self.r.pipeline(transaction=False)
        held = 0
        for bid, values in blocks.items():
            blob = self.codec.encode(pickle.dumps(values, protocol=5))
            pipe.set(self._key(bid), blob)
            held += len(blob)
            if held >= PIPELINE_BYTES:
                pipe.execute()
                held = 0
        pipe.execute()

    def get(self, block_id: str) -> list | None:
        blob = self.r.get(self._key(block_id))
        if blob is None:
            return None
        if blob[:1] == _PICKLE:
            return pickle.loads(blob)
        if blob[:1] == _PLAIN:  # unpickle in place: a block can be tens of MB
            return pickle.loads(memoryview(blob)[1:])
        return pickle.loads(Codec.decode(blob))

    def contains(self, block_id: str) -> bool:
        return bool(self.r.exists(self._key(block_id)))

    def contains_all(self, block_ids: list[str]) -> bool:
        if not block_ids:
            return True
        return int(self.r.exists(*[self._key(b) for b in block_ids])) == len(block_ids)

    def remove(self, block_id: str) -> None:
        self.r.unlink(self._key(block_id))

    def remove_many(self, block_ids: list[str]) -> None:
        if block_ids:
            self.r.unlink(*[self._key(b) for b in block_ids])

    def block_ids(self) -> list[str]:
        n = len(self.prefix)
        return [k.decode()[n:] if isinstance(k, bytes) else k[n:] for k in self.r.scan_iter(self.prefix + "*", count=1000)]


class RedisShuffleStore(ShuffleStore):
    """Map outputs as one Redis hash per shuffle (see the module docstring)."""

    def __init__(self, client: Any, app_id: str, codec: Codec | None = None) -> None:
        self.r = client
        self.prefix = key_prefix(app_id) + "shuffle:"
        self.codec = codec or Codec()

    def _key(self, shuffle_id: int) -> str:
        return f"{self.prefix}{shuffle_id}"

    def write(self, shuffle_id: int, map_id: int, buckets: list[bytes]) -> None:
        mapping: dict[str, bytes] = {}
        encode = self.codec.encode
        for reduce_id, blob in enumerate(buckets):
            if blob != _EMPTY_LIST:
                mapping[f"{map_id}:{reduce_id}"] = encode(blob)
        mapping[str(map_id)] = b"1"  # written last in the same command: the output is complete
        self.r.hset(self._key(shuffle_id), mapping=mapping)

    def read(self, shuffle_id: int, map_id: int, reduce_id: int) -> bytes:
        blob, done = self.r.hmget(self._key(shuffle_id), [f"{map_id}:{reduce_id}", str(map_id)])
        if done is None:
            raise FetchFailedError(shuffle_id, map_id, reduce_id)
        return _EMPTY_LIST if blob is None else Codec.decode(blob)

    def read_many(self, shuffle_id: int, num_maps: int, reduce_id: int) -> Iterator[bytes]:
        if num_maps == 0:
            return
        fields = [f"{m}:{reduce_id}" for m in range(num_maps)] + [str(m) for m in range(num_maps)]
        values = self.r.hmget(self._key(shuffle_id), fields)
        for m in range(num_maps):
            if values[num_maps + m] is None:
                raise FetchFailedError(shuffle_id, m, reduce_id)
            blob, values[m] = values[m], None  # each bucket is freed once its reader is done
            yield _EMPTY_LIST if blob is None else Codec.decode(blob)
            del blob

    def has_output(self, shuffle_id: int, map_id: int) -> bool:
        return bool(self.r.hexists(self._key(shuffle_id), str(map_id)))

    def missing_outputs(self, shuffle_id: int, map_ids: list[int]) -> list[int]:
        if not map_ids:
            return []
        marks = self.r.hmget(self._key(shuffle_id), [str(m) for m in map_ids])
        return [m for m, v in zip(map_ids, marks) if v is None]

    def remove_shuffle(self, shuffle_id: int) -> None:
        self.r.unlink(self._key(shuffle_id))

    def shuffle_ids(self) -> list[int]:
        n = len(self.prefix)
        out = []
        for k in self.r.scan_iter(self.prefix + "*", count=1000):
            s = k.decode() if isinstance(k, bytes) else k
            out.append(int(s[n:]))
        return sorted(out)
