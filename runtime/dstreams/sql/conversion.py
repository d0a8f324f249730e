"""Python records to Arrow tables (with a schema given or inferred), and engine results back to
``Row`` objects.

>>> t = records_to_arrow([Row(word="a", n=1), Row(word="b", n=2)])
>>> t.column_names, t.num_rows, str(t.schema.field("n").type)
(['word', 'n'], 2, 'int64')
"""
from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import Any

from .errors import SchemaMismatchError
from .types import (ArrayType, DataType, MapType, Row, StructField, StructType, _make_row, infer_schema,
                    parse_schema, parse_type, record_fields)

__all__ = ["records_to_arrow", "resolve_schema", "row_converter", "PartitionToArrow", "merge_partitions"]



def resolve_schema(schema: Any) -> tuple[StructType | None, list[str] | None, bool]:
    """Return ``(struct, names, atomic)`` for a ``schema=`` argument: a StructType, a DataType
    (records are single values), a DDL string, or a list of column names (types inferred)."""
    if schema is None:
        return None, None, False
    if isinstance(schema, StructType):
        return schema, None, False
    if isinstance(schema, DataType):
        return StructType([StructField("value", schema)]), None, True
    if isinstance(schema, str):
        st = parse_schema(schema)
        atomic = len(st.fields) == 1 and st.fields[0].name == "value" and not _looks_like_field_list(schema)
        return st, None, atomic
    if isinstance(schema, (list, tuple)) and all(isinstance(n, str) for n in schema):
        return None, list(schema), False
    raise TypeError(f"schema must be a StructType, a DataType, a DDL string or a list of column names, "
                    f"got {schema!r}")


def _looks_like_field_list(text: str) -> bool:
    try:
        parse_type(text)
        return False
    except Exception:
        return True


def _values_in_order(record: Any, names: list[str], by_name: bool) -> list[Any]:
    if by_name:
        if isinstance(record, dict):
            return [record.get(n) for n in names]
        if isinstance(record, Row) and hasattr(record, "__fields__"):
            d = dict(zip(record.__fields__, record))
            if all(n in d for n in names):
                return [d[n] for n in names]
            return list(record)
        if isinstance(record, tuple) and hasattr(record, "_fields"):
            d = record._asdict()  # type: ignore[attr-defined]
            if all(n in d for n in names):
                return [d[n] for n in names]
            return list(record)
    if isinstance(record, (tuple, list)):
        return list(record)
    if isinstance(record, dict):
        return [record.get(n) for n in names]
    return record_fields(record)[1]


def _each(c: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: None if v is None else [c(x) for x in v]


def _each_value(c: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: None if v is None else {k: c(x) for k, x in v.items()}


def _to_arrow_value(dt: DataType) -> Callable[[Any], Any] | None:
    """Return a function preparing Python values of ``dt`` for pyarrow (None: as they are)."""
    if isinstance(dt, StructType):
        convs = [(_to_arrow_value(f.dataType), f.name) for f in dt.fields]
        names = [f.name for f in dt.fields]

        def struct(v: Any) -> Any:
            if v is None:
                return None
            vals = _values_in_order(v, names, True)
            return {n: (c(x) if c else x) for (c, n), x in zip(convs, vals)}
        return struct
    if isinstance(dt, ArrayType):
        c = _to_arrow_value(dt.elementType)
        return None if c is None else _each(c)
    if isinstance(dt, MapType):
        c = _to_arrow_value(dt.valueType)
        return None if c is None else _each_value(c)
    return None


def _columnar(records: list[Any], fnames: list[str] | None, by_name: bool) -> tuple[list[str], list[list[Any]]] | None:
    """Return ``(names, columns)`` when every record has the same shape (Rows with the same
    fields, tuples of one length, dicts): transposed at C speed. None: use the general path."""
    first = records[0]
    if isinstance(first, Row) and hasattr(first, "__fields__"):
        names = first.__fields__
        try:
            fields = list(map(_FIELDS, records))
        except AttributeError:
            return None
        if not all(map(names.__eq__, fields)):
            return None
        cols = [list(map(tuple.__getitem__, records, repeat(i))) for i in range(len(names))]
        if fnames is not None and by_name and names != fnames:
            if sorted(names) != sorted(fnames):
                return None
            index = {n: i for i, n in enumerate(names)}
            cols = [cols[index[n]] for n in fnames]
            names = fnames
        return list(names), cols
    if type(first) in (tuple, list):
        if len(set(map(len, records))) != 1 or not set(map(type, records)) <= {tuple, list}:
            return None
        getter = tuple.__getitem__ if type(first) is tuple and all(type(r) is tuple for r in records) else _index
        names = fnames or [f"_{i + 1}" for i in range(len(first))]
        return list(names), [list(map(getter, records, repeat(i))) for i in range(len(first))]
    if type(first) is dict:
        if any(type(r) is not dict for r in records):
            return None
        names = fnames if (fnames is not None and by_name) else sorted(first)
        if not by_name and fnames is not None:
            keys = sorted(first)
            return list(fnames), [[r.get(k) for r in records] for k in keys]
        return list(names), [[r.get(k) for r in records] for k in names]
    return None


_SCALARS: dict[type, type] = {}
_FIELDS = operator.attrgetter("__fields__")


def _index(seq: Any, i: int) -> Any:
    return seq[i]


def _infer_column(name: str, values: list[Any]) -> DataType:
    from .types import (BinaryType, BooleanType, DateType, DoubleType, LongType, NullType, StringType,
                        TimestampType, infer_type, merge_types)
    import datetime
    if not _SCALARS:
        _SCALARS.update({bool: BooleanType, int: LongType, float: DoubleType, str: StringType, bytes: BinaryType,
                         datetime.datetime: TimestampType, datetime.date: DateType})
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) == 1:
        (kind,) = kinds
        if kind in _SCALARS:
            return _SCALARS[kind]()
    t: DataType = NullType()
    for v in values:
        if v is not None:
            t = merge_types(t, infer_type(v, name), name)
    return t


def records_to_arrow(records: Iterable[Any], schema: Any = None, verify: bool = True,
                     partial: bool = False) -> Any:
    """Return a pyarrow Table of ``records`` (Rows, tuples, dicts, namedtuples, objects, or plain
    values with an atomic schema such as ``'int'``), with ``schema`` or the inferred one
    (inferred from every record; records of one shape are transposed without a Python loop).
    ``partial``: the records are one part of the data (a partition), so a column that is None in
    every record keeps the null type instead of being an error; return ``(StructType, table)``."""
    import pyarrow as pa
    from .types import _has_null
    records = records if isinstance(records, list) else list(records)
    struct, names, atomic = resolve_schema(schema)
    if struct is not None and not atomic and records and len(struct.fields) == 1 and not isinstance(
            records[0], (tuple, list, dict)) and not hasattr(records[0], "__dict__"):
        atomic = True
    columns: list[list[Any]] | None = None
    if atomic:
        columns = [records]
    elif records:
        by_name = schema is not None and names is None
        fast = _columnar(records, struct.fieldNames() if struct is not None else names, by_name)
        if fast is not None:
            fnames, columns = fast
            if struct is None:
                if len(fnames) != len(columns):
                    raise SchemaMismatchError(f"{len(names or [])} column names for records of {len(columns)} fields")
                types = [_infer_column(n, c) for n, c in zip(fnames, columns)]
                nulls = [n for n, t in zip(fnames, types) if _has_null(t)]
                if nulls and not partial:
                    infer_schema(records, names=names)  # raises the error naming the column(s)
                struct = StructType([StructField(n, t) for n, t in zip(fnames, types)])
    if struct is None:
        struct = infer_schema(records, names=names, _allow_null=partial)
    if columns is None:
        fnames = struct.fieldNames()
        by_name = schema is not None and names is None
        rows = [_values_in_order(r, fnames, by_name) for r in records]
        for i, r in enumerate(rows):
            if len(r) != len(fnames):
                raise SchemaMismatchError(f"record {i} has {len(r)} values but the schema {struct.simpleString()} has "
                                          f"{len(fnames)} columns: {records[i]!r}")
        columns = [list(c) for c in zip(*rows)] if rows else [[] for _ in fnames]
    elif len(columns) != len(struct.fields):
        raise SchemaMismatchError(f"the records have {len(columns)} values but the schema {struct.simpleString()} "
                                  f"has {len(struct.fields)} columns: {records[0]!r}")
    arrays = []
    for f, values in zip(struct.fields, columns):
        conv = _to_arrow_value(f.dataType)
        if conv is not None:
            values = [conv(v) for v in values]
        try:
            arr = pa.array(values, type=f.dataType.arrow(), from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
            bad = _first_bad(values, f.dataType.arrow())
            raise SchemaMismatchError(
                f"column {f.name!r} has type {f.dataType.simpleString()} but record {bad[0]} holds "
                f"{type(bad[1]).__name__} value {bad[1]!r} ({exc}): convert it, or change the schema") from None
        if verify and not f.nullable and arr.null_count:
            raise SchemaMismatchError(f"column {f.name!r} is not nullable but {arr.null_count} record(s) hold None")
        arrays.append(arr)
    table = pa.Table.from_arrays(arrays, schema=struct.arrow_schema())
    return (struct, table) if partial else table


class PartitionToArrow:
    """A task function: one partition's records as ``[(StructType, Arrow table)]`` (nothing for an
    empty partition), so a batch travels to the driver as Arrow, not as pickled Rows."""

    def __init__(self, schema: Any, verify: bool) -> None:
        self.schema = schema
        self.verify = verify

    def __call__(self, it: Iterable[Any]) -> list[tuple[StructType, Any]]:
        records = list(it)
        if not records:
            return []
        return [records_to_arrow(records, self.schema, self.verify, partial=True)]


def merge_partitions(parts: list[tuple[StructType, Any]], schema: Any) -> Any:
    """Return one Arrow table of the partitions' tables, under ``schema`` or the merge of the
    partitions' inferred schemas (a column null in every partition is then an error)."""
    import pyarrow as pa
    from .errors import SchemaInferenceError
    from .types import _has_null, merge_types
    struct, names, _ = resolve_schema(schema)
    if not parts:
        if struct is None:
            raise SchemaInferenceError("cannot infer a schema from no records (an empty batch?): pass schema=, "
                                       "e.g. createDataFrame(rdd, 'word STRING')")
        return pa.Table.from_pylist([], schema=struct.arrow_schema())
    if struct is None:
        merged = parts[0][0]
        for st, _ in parts[1:]:
            if st.fieldNames() != merged.fieldNames():
                raise SchemaInferenceError(f"the records of the partitions have different fields: "
                                           f"{merged.fieldNames()} and {st.fieldNames()}")
            merged = StructType([StructField(a.name, merge_types(a.dataType, b.dataType, a.name))
                                 for a, b in zip(merged.fields, st.fields)])
        nulls = [f.name for f in merged.fields if _has_null(f.dataType)]
        if nulls:
            raise SchemaInferenceError(f"cannot infer the type of column(s) {', '.join(nulls)}: every value is "
                                       f"None; pass a schema, e.g. schema='{nulls[0]} STRING, ...'")
        struct = merged
    target = struct.arrow_schema()
    tables = [t if t.schema.equals(target) else t.cast(target) for _, t in parts]
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def _first_bad(values: Sequence[Any], atype: Any) -> tuple[int, Any]:
    import pyarrow as pa
    for i, v in enumerate(values):
        try:
            pa.array([v], type=atype)
        except Exception:
            return i, v
    return -1, None


def _from_engine_value(dt: DataType) -> Callable[[Any], Any] | None:
    """Return a function turning an engine value of ``dt`` into the Python value PySpark gives
    (structs as Rows), or None when the value is already right."""
    if isinstance(dt, StructType):
        names = dt.fieldNames()
        convs = [_from_engine_value(f.dataType) for f in dt.fields]

        def struct(v: Any) -> Any:
            if v is None:
                return None
            vals = list(v.values()) if isinstance(v, dict) else list(v)
            return _make_row(names, [c(x) if c else x for c, x in zip(convs, vals)])
        return struct
    if isinstance(dt, ArrayType):
        c = _from_engine_value(dt.elementType)
        return None if c is None else _each(c)
    if isinstance(dt, MapType):
        c = _from_engine_value(dt.valueType)
        return None if c is None else _each_value(c)
    return None


def row_converter(schema: StructType) -> Callable[[tuple], Row]:
    """Return a function making a Row of one engine result tuple."""
    from .types import _fields_list
    names = _fields_list(schema.fieldNames())
    convs = [_from_engine_value(f.dataType) for f in schema.fields]
    if not any(convs):
        def plain(t: tuple) -> Row:
            row = tuple.__new__(Row, t)
            row.__dict__["__fields__"] = names
            return row
        return plain

    def conv(t: tuple) -> Row:
        row = tuple.__new__(Row, [c(x) if c else x for c, x in zip(convs, t)])
        row.__dict__["__fields__"] = names
        return row
    return conv
