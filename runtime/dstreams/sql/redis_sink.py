"""``RedisSink``: a batch's rows into Redis hashes or sorted sets, exactly once per batch time.

Each row sets (or, with ``accumulate=True``, adds to) one hash field or sorted-set member. The
writes of a batch and the batch time's entry in the sink's progress set
(``dstreams:sink:<sinkId>:batches``) go in one ``MULTI``/``EXEC`` transaction, watched on the
progress set: a batch that runs again finds its time there and writes nothing, so running totals
kept with ``accumulate=True`` count every batch once; two drivers writing one batch at once
cannot both apply it (the loser's ``EXEC`` fails, it re-checks and skips). What Redis itself
keeps after a crash depends on its persistence settings (``appendonly``); the rows and the
progress entry of a batch are always kept or lost together.

>>> sink = RedisSink("redis://127.0.0.1:6379/0", key="wordcounts", field="word", value="n",
...                  accumulate=True)                                          # doctest: +SKIP
>>> sink.write(counts_df, time)                                                 # doctest: +SKIP
True
>>> key_for("user:{id}", {"id": 7})
'user:7'
"""
from __future__ import annotations

import datetime
import string
from typing import TYPE_CHECKING, Any

from .errors import DatabaseUnreachableError, SinkError, SinkWriteError

if TYPE_CHECKING:  # pragma: no cover
    from .dataframe import DataFrame

__all__ = ["RedisSink", "key_for"]


def key_for(template: str, row: dict[str, Any]) -> str:
    """Return the Redis key of ``row``: ``template`` with ``{column}`` filled from the row."""
    return template.format(**row)


def _template_columns(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _batch_ms(time: Any) -> int:
    if isinstance(time, datetime.datetime):
        return int(round(time.timestamp() * 1000))
    if isinstance(time, (int, float)):
        return int(time)
    raise TypeError(f"the batch time must be a datetime (as foreachRDD passes it) or milliseconds, got {time!r}")


class RedisSink:
    """Writes each batch's DataFrame to Redis exactly once per batch time (see the module).

    ``kind="hash"``: ``HSET key field value`` per row — ``key`` a template such as
    ``"counts"`` or ``"user:{id}"``; ``field``/``value`` name columns (without ``field``, every
    column not in the key becomes a field of the row's hash). ``kind="zset"``: ``ZADD key score
    member`` per row, ``member``/``score`` naming columns. ``accumulate=True`` adds the values
    (``HINCRBYFLOAT``/``ZINCRBY``) instead of setting them.
    """

    def __init__(self, url: str, key: str, kind: str = "hash", field: str | None = None, value: str | None = None,
                 member: str | None = None, score: str | None = None, accumulate: bool = False,
                 sinkId: str | None = None, password: str | None = None) -> None:
        if kind not in ("hash", "zset"):
            raise ValueError(f"kind must be 'hash' or 'zset', got {kind!r}")
        if kind == "zset" and (member is None or score is None):
            raise ValueError("kind='zset' needs member= and score= columns")
        if kind == "hash" and (field is None) != (value is None):
            raise ValueError("kind='hash' takes field= and value= together (or neither: a hash per row)")
        if accumulate and kind == "hash" and field is None:
            raise ValueError("accumulate=True with kind='hash' needs field= and value=")
        self.url = url
        self.key = key
        self.kind = kind
        self.field, self.value, self.member, self.score = field, value, member, score
        self.accumulate = accumulate
        self.sinkId = sinkId or key
        self.progressKey = f"dstreams:sink:{self.sinkId}:batches"
        self.password = password

    def __repr__(self) -> str:
        from .postgres import redact
        return f"RedisSink({redact(self.url)!r}, key={self.key!r}, kind={self.kind!r}, sinkId={self.sinkId!r})"

    def _client(self) -> Any:
        try:
            import redis
        except ImportError:  # pragma: no cover
            raise ImportError("the Redis sink needs redis-py: pip install 'dstreams[redis]'") from None
        return redis.Redis.from_url(self.url, password=self.password, socket_connect_timeout=5, socket_timeout=30)

    def committed(self, time: Any) -> bool:
        """Return whether the batch at ``time`` was already written by this sink."""
        return bool(self._call(lambda r: r.sismember(self.progressKey, _batch_ms(time))))

    def _call(self, f: Any) -> Any:
        import redis
        from .postgres import redact
        try:
            return f(self._client())
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise DatabaseUnreachableError(f"cannot reach Redis at {redact(self.url)}: {exc}. Nothing was written; "
                                           f"the batch is written whole when it runs again") from None

    def write(self, df: "DataFrame", time: Any) -> bool:
        """Write ``df``'s rows as the batch at ``time``; return True when written, False when the
        batch had been written before."""
        cols = df.columns
        needed = [c for c in (self.field, self.value, self.member, self.score) if c] + _template_columns(self.key)
        missing = [c for c in needed if c not in cols]
        if missing:
            raise SinkError(f"{self!r} needs the column(s) {', '.join(missing)}; the DataFrame has {cols}")
        rows = [dict(zip(cols, r)) for r in df.sparkSession._run(lambda con: con.sql(df._sql).fetchall(),
                                                                   f"writing to Redis key {self.key}")]
        ms = _batch_ms(time)
        import redis

        def apply(r: Any) -> bool:
            with r.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        pipe.watch(self.progressKey)
                        if pipe.sismember(self.progressKey, ms):
                            pipe.unwatch()
                            return False
                        pipe.multi()
                        self._queue(pipe, rows)
                        pipe.sadd(self.progressKey, ms)
                        pipe.execute()
                        return True
                    except redis.WatchError:
                        continue  # another writer touched the progress set: check again
                    except redis.ResponseError as exc:
                        raise SinkWriteError(f"Redis refused batch {ms} for {self!r}: {exc}; the transaction was "
                                             f"discarded, nothing of the batch was written") from None

        return self._call(apply)

    def _queue(self, pipe: Any, rows: list[dict[str, Any]]) -> None:
        key_cols = set(_template_columns(self.key))
        for row in rows:
            key = key_for(self.key, row)
            if self.kind == "zset":
                assert self.member is not None and self.score is not None
                member, score = row[self.member], row[self.score]
                if score is None:
                    continue
                if self.accumulate:
                    pipe.zincrby(key, float(score), str(member))
                else:
                    pipe.zadd(key, {str(member): float(score)})
            elif self.field is not None and self.value is not None:
                f, v = row[self.field], row[self.value]
                if v is None:
                    continue
                if self.accumulate:
                    pipe.hincrbyfloat(key, str(f), float(v)) if isinstance(v, float) else pipe.hincrby(key, str(f), int(v))
                else:
                    pipe.hset(key, str(f), str(v))
            else:
                mapping = {c: str(v) for c, v in row.items() if c not in key_cols and v is not None}
                if mapping:
                    pipe.hset(key, mapping=mapping)

    def saveStream(self, dstream: Any, schema: Any = None) -> None:
        """Write every batch of ``dstream`` (an output operation; see ``PostgresSink.saveStream``)."""
        from .streaming import batchDataFrame
        sink = self

        def out(time: Any, rdd: Any) -> None:
            df = batchDataFrame(rdd, schema)
            if df is not None:
                sink.write(df, time)

        dstream.foreachRDD(out)
