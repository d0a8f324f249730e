"""``spark.read`` and ``df.write``: CSV, JSON lines, Parquet and text files at any fsspec URL
(local paths, ``s3://`` with the standard ``AWS_*`` variables, ``memory://``...), laid out as
Spark lays them out: a directory of ``part-*`` files and a ``_SUCCESS`` marker.

A directory is read whole, skipping names starting with ``_`` or ``.`` (as Hadoop does), so
what ``df.write`` wrote reads back with ``spark.read``.

>>> df = spark.createDataFrame([("a", 1)], "word STRING, n BIGINT")
>>> df.write.mode("overwrite").csv("memory://doc/counts", header=True)   # or s3://bucket/counts...
>>> spark.read.csv("memory://doc/counts", header=True, inferSchema=True)
DataFrame[word: string, n: bigint]
"""
from __future__ import annotations

import datetime
import decimal
import io
import json
import posixpath
import re
import uuid
from typing import TYPE_CHECKING, Any

from ..errors import InputPathNotFoundError
from ..files import get_fs, list_input_files
from .conversion import resolve_schema
from .errors import AnalysisException, SQLError
from .types import StructType

if TYPE_CHECKING:  # pragma: no cover
    from .dataframe import DataFrame
    from .session import SparkSession

__all__ = ["DataFrameReader", "DataFrameWriter", "PathNotFoundError", "PathExistsError"]


class PathNotFoundError(AnalysisException, FileNotFoundError):
    """``spark.read`` was given a path that matches no file."""


class PathExistsError(AnalysisException, FileExistsError):
    """``df.write`` in the default mode ("error") found its output path already there."""


def _truthy(v: Any) -> bool:
    return str(v).lower() in ("true", "1", "yes")


class DataFrameReader:
    """Reads files into DataFrames: ``format(...).option(...).schema(...).load(path)`` or the
    shortcuts ``csv``, ``json``, ``parquet``, ``text``."""

    def __init__(self, session: "SparkSession") -> None:
        self._session = session
        self._format = "parquet"
        self._options: dict[str, Any] = {}
        self._schema: Any = None

    def format(self, source: str) -> "DataFrameReader":
        """Set the file format (csv, json, parquet, text); return the reader."""
        self._format = source.lower()
        return self

    def option(self, key: str, value: Any) -> "DataFrameReader":
        """Set one option (e.g. ``header``, ``sep``, ``inferSchema``); return the reader."""
        self._options[key] = value
        return self

    def options(self, **options: Any) -> "DataFrameReader":
        self._options.update(options)
        return self

    def schema(self, schema: StructType | str) -> "DataFrameReader":
        """Set the schema (a StructType or DDL string) instead of inferring it; return the reader."""
        self._schema = schema
        return self

    def load(self, path: str | list[str] | None = None, format: str | None = None,  # noqa: A002
             schema: Any = None, **options: Any) -> "DataFrame":
        """Return the DataFrame of the files at ``path`` (a file, a directory, a glob or a list)."""
        if format:
            self.format(format)
        if schema is not None:
            self.schema(schema)
        self._options.update({k: v for k, v in options.items() if v is not None})
        if path is None:
            raise ValueError("load() needs a path")
        paths = [path] if isinstance(path, str) else list(path)
        readers = {"csv": self._read_csv, "json": self._read_json, "parquet": self._read_parquet,
                   "text": self._read_text}
        if self._format not in readers:
            raise AnalysisException(f"unsupported data source {self._format!r}: use csv, json, parquet or text")
        files = _input_files(paths)
        parts = _partition_values(files)
        if parts is None:
            table = readers[self._format](files)
        else:  # a key=value directory layout: each file's values become columns, as Spark reads them
            tables = [_with_partitions(readers[self._format]([(fs, name)]), values, parts)
                      for (fs, name, _), values in zip(files, parts["values"])]
            table = _concat(tables, None)
        df = self._session._from_arrow(table, f"read.{self._format}({', '.join(paths)})")
        return df

    def csv(self, path: str | list[str], schema: Any = None, sep: str | None = None, header: Any = None,
            inferSchema: Any = None, **options: Any) -> "DataFrame":
        """Return the DataFrame of CSV files. As in Spark: no header row unless ``header=True``
        (columns ``_c0``, ``_c1``...), every column a string unless ``inferSchema=True`` or a
        ``schema``, empty fields null; ``sep`` defaults to ``,``."""
        return self.load(path, "csv", schema, sep=sep, header=header, inferSchema=inferSchema, **options)

    def json(self, path: str | list[str], schema: Any = None, **options: Any) -> "DataFrame":
        """Return the DataFrame of JSON-lines files (one object per line); inferred columns are
        sorted by name, as Spark sorts them."""
        return self.load(path, "json", schema, **options)

    def parquet(self, *paths: str, **options: Any) -> "DataFrame":
        """Return the DataFrame of Parquet files."""
        return self.load(list(paths), "parquet", **options)

    def text(self, paths: str | list[str], wholetext: bool = False, **options: Any) -> "DataFrame":
        """Return a DataFrame with one string column ``value``: a row per line (per file with
        ``wholetext``)."""
        return self.load(paths, "text", wholetext=wholetext, **options)

    # ---- formats -------------------------------------------------------------------------
    def _struct(self) -> StructType | None:
        struct, names, _ = resolve_schema(self._schema)
        if names:
            raise TypeError("a reader's schema must be a StructType or a DDL string, not a list of names")
        return struct

    def _read_csv(self, files: list[tuple]) -> Any:
        import pyarrow as pa
        import pyarrow.csv as pcsv
        header = _truthy(self._options.get("header", False))
        infer = _truthy(self._options.get("inferSchema", False))
        sep = self._options.get("sep") or self._options.get("delimiter") or ","
        quote = self._options.get("quote", '"')
        struct = self._struct()
        nulls = [self._options.get("nullValue", "")]
        tables = []
        for fs, path, *_ in files:
            with fs.open(path, "rb") as f:
                data = f.read()
            first = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
            import csv as _csv
            head = next(_csv.reader([first], delimiter=sep, quotechar=quote), [])
            if struct is not None:
                names = struct.fieldNames()
            else:
                names = head if header else [f"_c{i}" for i in range(len(head))]
            read = pcsv.ReadOptions(column_names=names, skip_rows=1 if header else 0)
            parse = pcsv.ParseOptions(delimiter=sep, quote_char=quote or False)
            if struct is not None:
                types = {f.name: f.dataType.arrow() for f in struct.fields}
            elif not infer:
                types = {n: pa.string() for n in names}
            else:
                types = {}
            conv = pcsv.ConvertOptions(column_types=types, null_values=nulls, strings_can_be_null=True,
                                       quoted_strings_can_be_null=False)
            try:
                tables.append(pcsv.read_csv(io.BytesIO(data), read_options=read, parse_options=parse,
                                            convert_options=conv))
            except pa.ArrowInvalid as exc:
                raise SQLError(f"cannot read the CSV file {path}: {exc}") from None
        return _concat(tables, struct)

    def _read_json(self, files: list[tuple]) -> Any:
        import pyarrow as pa
        import pyarrow.json as pjson
        struct = self._struct()
        tables = []
        for fs, path, *_ in files:
            with fs.open(path, "rb") as f:
                data = f.read()
            if not data.strip():
                continue
            parse = pjson.ParseOptions(explicit_schema=struct.arrow_schema() if struct else None,
                                       unexpected_field_behavior="ignore" if struct else "infer")
            try:
                t = pjson.read_json(io.BytesIO(data), parse_options=parse)
            except pa.ArrowInvalid as exc:
                raise SQLError(f"cannot read the JSON-lines file {path}: {exc}") from None
            if struct is None:
                t = t.select(sorted(t.column_names))
            tables.append(t)
        if not tables and struct is None:
            raise SQLError(f"cannot infer a schema from empty JSON files ({len(files)} file(s)): pass schema=")
        return _concat(tables, struct)

    def _read_parquet(self, files: list[tuple]) -> Any:
        import pyarrow.parquet as pq
        tables = []
        for fs, path, *_ in files:
            with fs.open(path, "rb") as f:
                tables.append(pq.read_table(f))
        return _concat(tables, self._struct())

    def _read_text(self, files: list[tuple]) -> Any:
        import pyarrow as pa
        whole = _truthy(self._options.get("wholetext", False))
        values: list[str] = []
        for fs, path, *_ in files:
            with fs.open(path, "rb") as f:
                text = f.read().decode("utf-8")
            if whole:
                values.append(text)
            else:
                values.extend(text.splitlines())
        return pa.table({"value": pa.array(values, pa.string())})


def _input_files(paths: list[str]) -> list[tuple[Any, str, str]]:
    """Return ``(fs, path, path relative to the input directory)`` of every input file."""
    out = []
    for p in paths:
        try:
            fs, found = list_input_files(p)
        except InputPathNotFoundError:
            raise PathNotFoundError(f"[PATH_NOT_FOUND] Path does not exist: {p}") from None
        root = get_fs(p)[1].rstrip("/")
        out += [(fs, name, name[len(root):].strip("/") if name.startswith(root + "/") else "") for name, _ in found]
    return out


_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def _partition_values(files: list[tuple[Any, str, str]]) -> dict[str, Any] | None:
    """Return the partition columns of a ``key=value/`` layout (names, types, per-file values),
    or None when the files are not laid out that way."""
    from urllib.parse import unquote
    per_file: list[dict[str, str | None]] = []
    names: list[str] | None = None
    for _, _, rel in files:
        dirs = rel.split("/")[:-1]
        if not dirs or not all("=" in d for d in dirs):
            return None
        values = {}
        for d in dirs:
            k, v = d.split("=", 1)
            values[unquote(k)] = None if v == _DEFAULT_PARTITION else unquote(v)
        if names is None:
            names = list(values)
        elif list(values) != names:
            return None
        per_file.append(values)
    if not names:
        return None
    types = {}
    for n in names:
        vals = [v[n] for v in per_file if v[n] is not None]
        types[n] = "bigint" if vals and all(re.fullmatch(r"-?\d{1,18}", x or "") for x in vals) else "string"
    return {"names": names, "types": types, "values": per_file}


def _with_partitions(table: Any, values: dict[str, str | None], parts: dict[str, Any]) -> Any:
    import pyarrow as pa
    for n in parts["names"]:
        v = values[n]
        if parts["types"][n] == "bigint":
            arr = pa.array([None if v is None else int(v)] * table.num_rows, pa.int64())
        else:
            arr = pa.array([v] * table.num_rows, pa.string())
        table = table.append_column(n, arr)
    return table


def _concat(tables: list[Any], struct: StructType | None) -> Any:
    import pyarrow as pa
    if not tables:
        if struct is None:
            raise SQLError("no input files to read")
        return pa.Table.from_pylist([], schema=struct.arrow_schema())
    t = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
    if struct is not None:
        t = t.select(struct.fieldNames()).cast(struct.arrow_schema())
    return t


class DataFrameWriter:
    """Saves a DataFrame: ``mode(...).format(...).option(...).save(path)`` or the shortcuts
    ``csv``, ``json``, ``parquet``, ``text``; ``jdbc`` writes to PostgreSQL."""

    def __init__(self, df: "DataFrame") -> None:
        self._df = df
        self._mode = "errorifexists"
        self._format = "parquet"
        self._options: dict[str, Any] = {}
        self._partition_by: list[str] = []

    def partitionBy(self, *cols: str) -> "DataFrameWriter":
        """Write a ``column=value/`` directory per distinct value of ``cols`` (the columns leave
        the files, as in Spark; ``spark.read`` brings them back); return the writer."""
        names = list(cols[0]) if len(cols) == 1 and isinstance(cols[0], (list, tuple)) else list(cols)
        for c in names:
            if c not in self._df.columns:
                from .errors import ColumnNotFoundError
                raise ColumnNotFoundError(self._df._missing(c, "write.partitionBy()"), c, self._df.columns)
        self._partition_by = names
        return self

    def mode(self, saveMode: str | None) -> "DataFrameWriter":
        """Set what to do when the output exists: ``error`` (default), ``overwrite``, ``append``
        (new part files beside the old) or ``ignore`` (write nothing); return the writer."""
        mode = (saveMode or "errorifexists").lower()
        mode = "errorifexists" if mode in ("error", "default") else mode
        if mode not in ("errorifexists", "overwrite", "append", "ignore"):
            raise ValueError(f"unknown save mode {saveMode!r}: use error, overwrite, append or ignore")
        self._mode = mode
        return self

    def format(self, source: str) -> "DataFrameWriter":
        self._format = source.lower()
        return self

    def option(self, key: str, value: Any) -> "DataFrameWriter":
        self._options[key] = value
        return self

    def options(self, **options: Any) -> "DataFrameWriter":
        self._options.update(options)
        return self

    def save(self, path: str, format: str | None = None, mode: str | None = None,  # noqa: A002
             **options: Any) -> None:
        """Write the rows as a directory ``path`` of one part file and a ``_SUCCESS`` marker."""
        if format:
            self.format(format)
        if mode:
            self.mode(mode)
        self._options.update({k: v for k, v in options.items() if v is not None})
        writers = {"csv": self._write_csv, "json": self._write_json, "parquet": self._write_parquet,
                   "text": self._write_text}
        if self._format not in writers:
            raise AnalysisException(f"unsupported data source {self._format!r}: use csv, json, parquet or text")
        fs, root = get_fs(path)
        if fs.exists(root):
            if self._mode == "errorifexists":
                raise PathExistsError(f"[PATH_ALREADY_EXISTS] Path {path} already exists: use "
                                      f"mode('overwrite') or mode('append')")
            if self._mode == "ignore":
                return
            if self._mode == "overwrite":
                fs.rm(root, recursive=True)
        fs.makedirs(root, exist_ok=True)
        ext = {"csv": "csv", "json": "json", "parquet": "snappy.parquet", "text": "txt"}[self._format]
        name = f"part-00000-{uuid.uuid4()}-c000.{ext}"
        if not self._partition_by:
            with fs.open(posixpath.join(root, name), "wb") as f:
                writers[self._format](self._df.toArrow(), f)
        else:
            from urllib.parse import quote
            from .functions import col
            keys = self._partition_by
            rest = [c for c in self._df.columns if c not in keys]
            if not rest:
                raise AnalysisException(f"partitionBy({keys}) leaves no column to write")
            for combo in self._df.select(*keys).distinct().collect():
                cond: Any = None
                dirs = []
                for k, v in zip(keys, combo):
                    c = col(k).isNull() if v is None else (col(k) == v)
                    cond = c if cond is None else (cond & c)
                    dirs.append(f"{quote(k, safe='')}={_DEFAULT_PARTITION if v is None else quote(str(v), safe='')}")
                part_dir = posixpath.join(root, *dirs)
                fs.makedirs(part_dir, exist_ok=True)
                with fs.open(posixpath.join(part_dir, name), "wb") as f:
                    writers[self._format](self._df.filter(cond).select(*rest).toArrow(), f)
        with fs.open(posixpath.join(root, "_SUCCESS"), "wb"):
            pass

    def csv(self, path: str, mode: str | None = None, header: Any = None, sep: str | None = None,
            **options: Any) -> None:
        """Write CSV files (a header row with ``header=True``; nulls as empty fields)."""
        self.save(path, "csv", mode, header=header, sep=sep, **options)

    def json(self, path: str, mode: str | None = None, **options: Any) -> None:
        """Write JSON-lines files (null fields left out, as Spark does)."""
        self.save(path, "json", mode, **options)

    def parquet(self, path: str, mode: str | None = None, **options: Any) -> None:
        """Write Parquet files (snappy-compressed)."""
        self.save(path, "parquet", mode, **options)

    def text(self, path: str, mode: str | None = None, **options: Any) -> None:
        """Write the single string column as lines of text."""
        if len(self._df.columns) != 1:
            raise AnalysisException(f"text() writes one string column; the DataFrame has {self._df.columns}")
        self.save(path, "text", mode, **options)

    def jdbc(self, url: str, table: str, mode: str | None = None, properties: dict[str, Any] | None = None) -> None:
        """Insert the rows into PostgreSQL table ``table`` in one transaction (``url``: a
        ``postgresql://`` or ``jdbc:postgresql://`` URL; ``properties`` may hold ``user`` and
        ``password``); ``mode``: append (default here), overwrite (empties the table first) or
        error/ignore when the table exists. Not idempotent: for stream batches use
        :class:`dstreams.sql.postgres.PostgresSink`."""
        from .postgres import write_table
        write_table(self._df, url, table, (mode or "append").lower(), properties or {})

    # ---- formats ----------------------------------------------------------------------------
    def _write_parquet(self, table: Any, f: Any) -> None:
        import pyarrow.parquet as pq
        pq.write_table(table, f, compression=self._options.get("compression", "snappy"))

    def _write_csv(self, table: Any, f: Any) -> None:
        import pyarrow.csv as pcsv
        opts = pcsv.WriteOptions(include_header=_truthy(self._options.get("header", False)),
                                 delimiter=self._options.get("sep", ","), quoting_style="needed")
        pcsv.write_csv(table, f, opts)

    def _write_json(self, table: Any, f: Any) -> None:
        for rec in table.to_pylist():
            line = json.dumps({k: v for k, v in rec.items() if v is not None}, default=_json_value,
                              ensure_ascii=False, separators=(",", ":"))
            f.write(line.encode("utf-8") + b"\n")

    def _write_text(self, table: Any, f: Any) -> None:
        for v in table.column(0).to_pylist():
            f.write(("" if v is None else str(v)).encode("utf-8") + b"\n")


def _json_value(v: Any) -> Any:
    if isinstance(v, datetime.datetime):
        return v.isoformat(timespec="milliseconds")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, bytes):
        import base64
        return base64.b64encode(v).decode()
    return str(v)
