"""Writing DataFrames to PostgreSQL (psycopg 3): ``PostgresSink``, exactly once per batch time,
and ``df.write.jdbc``'s plain insert.

The guarantee of ``PostgresSink.write(df, time)``: the batch's rows and a row
``(sink_id, batch time)`` in a progress table are written in **one transaction**. A batch that
runs again — re-run after a driver recovery from its checkpoint, or retried — finds its progress
row and writes nothing, so every batch's rows are in the table exactly once. A batch that fails
half-way (the driver killed, the database gone) rolls back entirely and is written whole when it
runs again. Two drivers writing the same batch serialise on the progress row's key: the second
waits for the first and then skips.

Modes: ``append`` inserts the rows (with ``COPY``); ``upsert`` inserts or updates rows by the
``key`` columns (``INSERT ... ON CONFLICT (key) DO UPDATE``), for tables holding the latest
value per key. Both skip a batch already committed. The progress table is
``dstreams_sink_progress`` unless ``progressTable`` says otherwise; ``sinkId`` (default: the
table name) tells apart several sinks writing into one database.

>>> sink = PostgresSink("postgresql://app@db:5432/metrics", "word_counts")       # doctest: +SKIP
>>> stream.foreachRDD(lambda time, rdd: sink.write(spark.createDataFrame(rdd, "word STRING, n BIGINT"), time))
...                                                                                # doctest: +SKIP
>>> redact("postgresql://app:secret@db:5432/metrics")
'postgresql://app:***@db:5432/metrics'
"""
from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .errors import DatabaseUnreachableError, SinkError, SinkWriteError
from .functions import lit
from .types import (ArrayType, BinaryType, BooleanType, ByteType, DataType, DateType, DayTimeIntervalType,
                    DecimalType, DoubleType, FloatType, IntegerType, LongType, MapType, NullType, ShortType,
                    StringType, StructType, TimestampNTZType, TimestampType)

if TYPE_CHECKING:  # pragma: no cover
    from .dataframe import DataFrame

__all__ = ["PostgresSink", "write_table", "redact", "pg_type", "PROGRESS_TABLE"]

PROGRESS_TABLE = "dstreams_sink_progress"


def redact(url: str) -> str:
    """Return ``url`` with its password replaced by ``***`` (for messages and logs)."""
    url = re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)


def _conninfo(url: str, properties: dict[str, Any] | None = None) -> str:
    if url.startswith("jdbc:"):
        url = url[len("jdbc:"):]
    if properties:
        from psycopg.conninfo import make_conninfo
        extra = {k: v for k, v in properties.items() if k in ("user", "password", "dbname", "sslmode", "options")}
        return make_conninfo(url, **extra)
    return url


def _where(conninfo: str) -> str:
    try:
        from psycopg.conninfo import conninfo_to_dict
        d = conninfo_to_dict(conninfo)
        return (f"postgresql://{d.get('user', '')}{'@' if d.get('user') else ''}{d.get('host', 'localhost')}:"
                f"{d.get('port', 5432)}/{d.get('dbname', '')}")
    except Exception:  # noqa: BLE001 - only for the message
        return redact(conninfo)


def quote_table(name: str) -> str:
    """Return a table name (``table`` or ``schema.table``) quoted for PostgreSQL."""
    parts = name.split(".")
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise SinkError(f"invalid table name {name!r}: use 'table' or 'schema.table'")
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def pg_type(dt: DataType) -> str:
    """Return the PostgreSQL column type for a Spark type (maps and structs become jsonb).

    >>> pg_type(LongType()), pg_type(ArrayType(StringType())), pg_type(DecimalType(10, 2))
    ('bigint', 'text[]', 'numeric(10,2)')
    """
    simple = {StringType: "text", LongType: "bigint", IntegerType: "integer", ShortType: "smallint",
              ByteType: "smallint", DoubleType: "double precision", FloatType: "real", BooleanType: "boolean",
              TimestampType: "timestamp", TimestampNTZType: "timestamp", DateType: "date", BinaryType: "bytea",
              DayTimeIntervalType: "interval", NullType: "text"}
    if type(dt) in simple:
        return simple[type(dt)]
    if isinstance(dt, DecimalType):
        return f"numeric({dt.precision},{dt.scale})"
    if isinstance(dt, ArrayType) and not isinstance(dt.elementType, (ArrayType, MapType, StructType)):
        return pg_type(dt.elementType) + "[]"
    return "jsonb"


def _json_default(v: Any) -> Any:
    if isinstance(v, (datetime.datetime, datetime.date)):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


def _row_writer(schema: StructType) -> Any:
    jsonb = [i for i, f in enumerate(schema.fields) if pg_type(f.dataType) == "jsonb"]
    if not jsonb:
        return None

    def conv(row: tuple) -> tuple:
        out = list(row)
        for i in jsonb:
            if out[i] is not None:
                out[i] = json.dumps(out[i], default=_json_default)
        return tuple(out)
    return conv


def _batch_ms(time: Any) -> int:
    if isinstance(time, datetime.datetime):
        return int(round(time.timestamp() * 1000))
    if isinstance(time, (int, float)):
        return int(time)
    raise TypeError(f"the batch time must be a datetime (as foreachRDD passes it) or milliseconds, got {time!r}")


@contextmanager
def _connect(conninfo: str, timeout: float) -> Iterator[Any]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the sql extra is missing
        raise ImportError("the PostgreSQL sink needs psycopg 3: pip install 'dstreams[sql]'") from None
    try:
        conn = psycopg.connect(conninfo, connect_timeout=max(1, int(timeout)))
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())
        raise DatabaseUnreachableError(
            f"cannot connect to PostgreSQL at {_where(conninfo)}: {reason}. Nothing was written; a batch that "
            f"failed this way is written whole when it runs again (after the database is back and the "
            f"driver recovers from its checkpoint)") from None
    try:
        yield conn
    finally:
        conn.close()


class PostgresSink:
    """Writes each batch's DataFrame to PostgreSQL table ``table`` exactly once per batch time
    (see the module's docstring for the guarantee).

    ``url``: a ``postgresql://user:password@host:port/db`` URL (``jdbc:`` prefix accepted) or a
    libpq connection string; ``mode``: ``append`` or ``upsert`` (needs ``key``);
    ``batchTimeColumn``: also store the batch time in each row under that name;
    ``createTable``: create the table from the first DataFrame's schema when it is missing.
    """

    def __init__(self, url: str, table: str, mode: str = "append", key: list[str] | str | None = None,
                 sinkId: str | None = None, progressTable: str = PROGRESS_TABLE,
                 batchTimeColumn: str | None = None, createTable: bool = True, connectTimeout: float = 10) -> None:
        if mode not in ("append", "upsert"):
            raise ValueError(f"mode must be 'append' or 'upsert', got {mode!r}")
        keys = [key] if isinstance(key, str) else list(key or [])
        if mode == "upsert" and not keys:
            raise ValueError("mode='upsert' needs key=[column, ...]: the columns identifying a row")
        self.conninfo = _conninfo(url)
        self.table = table
        self.qtable = quote_table(table)
        self.mode = mode
        self.key = keys
        self.sinkId = sinkId or table
        self.progressTable = progressTable
        self.qprogress = quote_table(progressTable)
        self.batchTimeColumn = batchTimeColumn
        self.createTable = createTable
        self.connectTimeout = connectTimeout

    def __repr__(self) -> str:
        return f"PostgresSink({_where(self.conninfo)!r}, {self.table!r}, mode={self.mode!r}, sinkId={self.sinkId!r})"

    def committed(self, time: Any) -> bool:
        """Return whether the batch at ``time`` was already written by this sink."""
        with _connect(self.conninfo, self.connectTimeout) as conn:
            self._ensure_progress(conn)
            cur = conn.execute(f"SELECT 1 FROM {self.qprogress} WHERE sink_id = %s AND batch_time_ms = %s",
                               (self.sinkId, _batch_ms(time)))
            return cur.fetchone() is not None

    def write(self, df: "DataFrame", time: Any) -> bool:
        """Write ``df``'s rows as the batch at ``time`` (a datetime or ms); return True when written,
        False when the batch had been committed before (nothing is written again)."""
        ms = _batch_ms(time)
        if self.batchTimeColumn:
            when = time if isinstance(time, datetime.datetime) else datetime.datetime.fromtimestamp(ms / 1000)
            df = df.withColumn(self.batchTimeColumn, lit(when))
        schema = df.schema
        for k in self.key:
            if k not in df.columns:
                raise SinkError(f"the key column {k!r} of {self!r} is not among the DataFrame's columns {df.columns}")
        rows = df.sparkSession._run(lambda con: con.sql(df._sql).fetchall(), f"writing to {self.table}")
        conv = _row_writer(schema)
        if conv is not None:
            rows = [conv(r) for r in rows]
        import psycopg
        with _connect(self.conninfo, self.connectTimeout) as conn:
            try:
                self._ensure_progress(conn)
                with conn.transaction():
                    if self.createTable:
                        self._create(conn, schema)
                    cur = conn.execute(
                        f"INSERT INTO {self.qprogress} (sink_id, batch_time_ms, batch_time, target_table, num_rows) "
                        f"VALUES (%s, %s, to_timestamp(%s / 1000.0), %s, %s) ON CONFLICT (sink_id, batch_time_ms) DO NOTHING",
                        (self.sinkId, ms, ms, self.table, len(rows)))
                    if cur.rowcount == 0:
                        return False  # committed before: a re-run writes nothing
                    self._write_rows(conn, df.columns, rows)
                return True
            except psycopg.OperationalError as exc:
                raise DatabaseUnreachableError(
                    f"lost the connection to PostgreSQL at {_where(self.conninfo)} while writing batch {ms} to "
                    f"{self.table}: {' '.join(str(exc).split())}; the transaction was rolled back") from None
            except psycopg.Error as exc:
                raise SinkWriteError(
                    f"PostgreSQL refused batch {ms} for table {self.table} ({_where(self.conninfo)}): "
                    f"{' '.join(str(exc).split())}; the transaction was rolled back, nothing of the batch "
                    f"was written") from None

    def saveStream(self, dstream: Any, schema: Any = None) -> None:
        """Write every batch of ``dstream`` (an output operation): its RDD becomes a DataFrame of
        the Context's session (``schema`` as in ``createDataFrame``), written with ``write``.
        Empty batches without a schema write nothing."""
        from .streaming import batchDataFrame
        sink = self

        def out(time: Any, rdd: Any) -> None:
            df = batchDataFrame(rdd, schema)
            if df is not None:
                sink.write(df, time)

        dstream.foreachRDD(out)

    # ---- SQL ----------------------------------------------------------------------------------
    def _ensure_progress(self, conn: Any) -> None:
        with conn.transaction():
            conn.execute(f"CREATE TABLE IF NOT EXISTS {self.qprogress} (sink_id text NOT NULL, "
                         f"batch_time_ms bigint NOT NULL, batch_time timestamptz NOT NULL, target_table text NOT NULL, "
                         f"num_rows bigint NOT NULL, committed_at timestamptz NOT NULL DEFAULT now(), "
                         f"PRIMARY KEY (sink_id, batch_time_ms))")

    def _create(self, conn: Any, schema: StructType) -> None:
        cols = ", ".join(f'"{f.name}" {pg_type(f.dataType)}' for f in schema.fields)
        pk = f", PRIMARY KEY ({', '.join(chr(34) + k + chr(34) for k in self.key)})" if self.key else ""
        conn.execute(f"CREATE TABLE IF NOT EXISTS {self.qtable} ({cols}{pk})")

    def _write_rows(self, conn: Any, columns: list[str], rows: list[tuple]) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        if self.mode == "append":
            _copy(conn, self.qtable, cols, rows)
            return
        stage = f'"_dstreams_stage_{abs(hash(self.sinkId)) % 10**8}"'
        conn.execute(f"CREATE TEMP TABLE {stage} (LIKE {self.qtable} INCLUDING DEFAULTS) ON COMMIT DROP")
        _copy(conn, stage, cols, rows)
        keys = ", ".join(f'"{k}"' for k in self.key)
        rest = [c for c in columns if c not in self.key]
        update = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in rest)
        action = f"DO UPDATE SET {update}" if rest else "DO NOTHING"
        conn.execute(f"INSERT INTO {self.qtable} ({cols}) SELECT {cols} FROM {stage} ON CONFLICT ({keys}) {action}")


def _copy(conn: Any, qtable: str, cols: str, rows: list[tuple]) -> None:
    with conn.cursor() as cur:
        with cur.copy(f"COPY {qtable} ({cols}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)


def write_table(df: "DataFrame", url: str, table: str, mode: str = "append",
                properties: dict[str, Any] | None = None) -> None:
    """Insert ``df``'s rows into ``table`` in one transaction (``df.write.jdbc``); ``mode``:
    append, overwrite (empties the table first), error/errorifexists or ignore (when the table
    exists). Creates the table when missing."""
    if mode not in ("append", "overwrite", "error", "errorifexists", "ignore"):
        raise ValueError(f"unknown save mode {mode!r}: use append, overwrite, error or ignore")
    conninfo = _conninfo(url, properties)
    qtable = quote_table(table)
    rows = df.sparkSession._run(lambda con: con.sql(df._sql).fetchall(), f"writing to {table}")
    conv = _row_writer(df.schema)
    if conv is not None:
        rows = [conv(r) for r in rows]
    import psycopg
    with _connect(conninfo, 10) as conn:
        try:
            with conn.transaction():
                exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (qtable,)).fetchone()[0]
                if exists and mode in ("error", "errorifexists"):
                    raise SinkError(f"table {table} already exists at {_where(conninfo)}: use mode='append' or 'overwrite'")
                if exists and mode == "ignore":
                    return
                cols = ", ".join(f'"{f.name}" {pg_type(f.dataType)}' for f in df.schema.fields)
                conn.execute(f"CREATE TABLE IF NOT EXISTS {qtable} ({cols})")
                if exists and mode == "overwrite":
                    conn.execute(f"DELETE FROM {qtable}")
                _copy(conn, qtable, ", ".join(f'"{c}"' for c in df.columns), rows)
        except psycopg.Error as exc:
            raise SinkWriteError(f"PostgreSQL refused the rows for table {table} ({_where(conninfo)}): "
                                 f"{' '.join(str(exc).split())}; nothing was written") from None
