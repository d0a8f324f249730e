"""Spark SQL's data types, ``Row``, DDL schema strings and schema inference from Python values.

Each type knows its DuckDB and Arrow counterparts, which is how DataFrames travel between
Python, Arrow and the engine.

>>> parse_schema("word STRING, total BIGINT").simpleString()
'struct<word:string,total:bigint>'
>>> infer_schema([Row(word="a", n=1)])
StructType([StructField('word', StringType(), True), StructField('n', LongType(), True)])
>>> Row(word="a", n=1).asDict()
{'word': 'a', 'n': 1}
"""
from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Iterable, Iterator
from typing import Any

from .errors import ParseException, SchemaInferenceError

__all__ = ["DataType", "NullType", "StringType", "BinaryType", "BooleanType", "DateType", "TimestampType",
           "TimestampNTZType", "DecimalType", "DoubleType", "FloatType", "ByteType", "ShortType",
           "IntegerType", "LongType", "DayTimeIntervalType", "ArrayType", "MapType", "StructField",
           "StructType", "Row", "parse_schema", "parse_type", "infer_schema", "infer_type", "from_duckdb"]


class DataType:
    """Base class of the types; instances compare by value, as in PySpark."""

    _simple = ""
    _duck = ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(repr(self))

    def simpleString(self) -> str:
        """Return the type as Spark's DDL writes it, e.g. ``'bigint'`` or ``'array<string>'``."""
        return self._simple

    def typeName(self) -> str:
        """Return the short name of the type, e.g. ``'long'``, ``'string'``, ``'struct'``."""
        name = type(self).__name__[:-4]
        return name.lower()

    def duckdb(self) -> str:
        """Return the DuckDB SQL type of this type, e.g. ``'BIGINT'``."""
        return self._duck

    def arrow(self) -> Any:
        """Return the pyarrow type of this type."""
        import pyarrow as pa
        return {
            "NULL": pa.null(), "VARCHAR": pa.string(), "BLOB": pa.binary(), "BOOLEAN": pa.bool_(),
            "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us"), "DOUBLE": pa.float64(),
            "FLOAT": pa.float32(), "TINYINT": pa.int8(), "SMALLINT": pa.int16(), "INTEGER": pa.int32(),
            "BIGINT": pa.int64(), "INTERVAL": pa.duration("us"),
        }[self._duck]


class NullType(DataType):
    """Spark SQL's NULL type."""
    _simple, _duck = "void", "NULL"


class StringType(DataType):
    """Spark SQL's STRING type."""
    _simple, _duck = "string", "VARCHAR"


class BinaryType(DataType):
    """Spark SQL's BINARY type."""
    _simple, _duck = "binary", "BLOB"


class BooleanType(DataType):
    """Spark SQL's BOOLEAN type."""
    _simple, _duck = "boolean", "BOOLEAN"


class DateType(DataType):
    """Spark SQL's DATE type."""
    _simple, _duck = "date", "DATE"


class TimestampType(DataType):
    """Spark SQL's TIMESTAMP type."""
    _simple, _duck = "timestamp", "TIMESTAMP"


class TimestampNTZType(DataType):
    """Spark SQL's TIMESTAMP_NTZ type."""
    _simple, _duck = "timestamp_ntz", "TIMESTAMP"

    def typeName(self) -> str:
        return "timestamp_ntz"


class DoubleType(DataType):
    """Spark SQL's DOUBLE type."""
    _simple, _duck = "double", "DOUBLE"


class FloatType(DataType):
    """Spark SQL's FLOAT type."""
    _simple, _duck = "float", "FLOAT"


class ByteType(DataType):
    """Spark SQL's TINYINT type."""
    _simple, _duck = "tinyint", "TINYINT"


class ShortType(DataType):
    """Spark SQL's SMALLINT type."""
    _simple, _duck = "smallint", "SMALLINT"


class IntegerType(DataType):
    """Spark SQL's INT type."""
    _simple, _duck = "int", "INTEGER"

    def typeName(self) -> str:
        return "integer"


class LongType(DataType):
    """Spark SQL's BIGINT type."""
    _simple, _duck = "bigint", "BIGINT"


class DayTimeIntervalType(DataType):
    """Spark SQL's INTERVAL DAY TO SECOND type."""
    _simple, _duck = "interval day to second", "INTERVAL"

    def typeName(self) -> str:
        return "interval day to second"


class DecimalType(DataType):
    """A fixed-point decimal of ``precision`` digits, ``scale`` of them after the point."""

    def __init__(self, precision: int = 10, scale: int = 0) -> None:
        self.precision = precision
        self.scale = scale

    def __repr__(self) -> str:
        return f"DecimalType({self.precision}, {self.scale})"

    def simpleString(self) -> str:
        return f"decimal({self.precision},{self.scale})"

    def typeName(self) -> str:
        return "decimal"

    def duckdb(self) -> str:
        return f"DECIMAL({self.precision},{self.scale})"

    def arrow(self) -> Any:
        import pyarrow as pa
        return pa.decimal128(self.precision, self.scale)


class ArrayType(DataType):
    """A list of ``elementType`` values."""

    def __init__(self, elementType: DataType, containsNull: bool = True) -> None:
        self.elementType = elementType
        self.containsNull = containsNull

    def __repr__(self) -> str:
        return f"ArrayType({self.elementType!r}, {self.containsNull})"

    def simpleString(self) -> str:
        return f"array<{self.elementType.simpleString()}>"

    def duckdb(self) -> str:
        return f"{self.elementType.duckdb()}[]"

    def arrow(self) -> Any:
        import pyarrow as pa
        return pa.list_(self.elementType.arrow())


class MapType(DataType):
    """A map from ``keyType`` to ``valueType`` (a Python dict)."""

    def __init__(self, keyType: DataType, valueType: DataType, valueContainsNull: bool = True) -> None:
        self.keyType = keyType
        self.valueType = valueType
        self.valueContainsNull = valueContainsNull

    def __repr__(self) -> str:
        return f"MapType({self.keyType!r}, {self.valueType!r}, {self.valueContainsNull})"

    def simpleString(self) -> str:
        return f"map<{self.keyType.simpleString()},{self.valueType.simpleString()}>"

    def duckdb(self) -> str:
        return f"MAP({self.keyType.duckdb()}, {self.valueType.duckdb()})"

    def arrow(self) -> Any:
        import pyarrow as pa
        return pa.map_(self.keyType.arrow(), self.valueType.arrow())


class StructField(DataType):
    """A named, typed field of a StructType."""

    def __init__(self, name: str, dataType: DataType, nullable: bool = True, metadata: dict | None = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"a StructField's name must be a str, got {name!r}")
        if not isinstance(dataType, DataType):
            raise TypeError(f"the type of field {name!r} must be a DataType, got {dataType!r}")
        self.name = name
        self.dataType = dataType
        self.nullable = nullable
        self.metadata = metadata or {}

    def __repr__(self) -> str:
        return f"StructField({self.name!r}, {self.dataType!r}, {self.nullable})"

    def simpleString(self) -> str:
        return f"{self.name}:{self.dataType.simpleString()}"


class StructType(DataType):
    """An ordered list of StructFields: the schema of a DataFrame, or a struct column's type.

    >>> s = StructType().add("word", StringType()).add("n", "bigint")
    >>> s.fieldNames(), s["n"].dataType
    (['word', 'n'], LongType())
    """

    def __init__(self, fields: list[StructField] | None = None) -> None:
        self.fields: list[StructField] = list(fields or [])
        for f in self.fields:
            if not isinstance(f, StructField):
                raise TypeError(f"a StructType holds StructFields, got {f!r}")

    def __repr__(self) -> str:
        return f"StructType([{', '.join(repr(f) for f in self.fields)}])"

    def __iter__(self) -> Iterator[StructField]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __getitem__(self, key: str | int) -> StructField:
        if isinstance(key, int):
            return self.fields[key]
        for f in self.fields:
            if f.name == key:
                return f
        raise KeyError(f"no field {key!r} in {self.simpleString()}")

    def add(self, field: str | StructField, data_type: DataType | str | None = None,
            nullable: bool = True) -> "StructType":
        """Append a field (a StructField, or a name and a type or type string); return self."""
        if isinstance(field, StructField):
            self.fields.append(field)
        else:
            if data_type is None:
                raise ValueError(f"add({field!r}) needs a data type")
            dt = parse_type(data_type) if isinstance(data_type, str) else data_type
            self.fields.append(StructField(field, dt, nullable))
        return self

    def fieldNames(self) -> list[str]:
        """Return the names of the fields, in order."""
        return [f.name for f in self.fields]

    @property
    def names(self) -> list[str]:
        return self.fieldNames()

    def simpleString(self) -> str:
        return f"struct<{','.join(f.simpleString() for f in self.fields)}>"

    def duckdb(self) -> str:
        return f"STRUCT({', '.join(quote_ident(f.name) + ' ' + f.dataType.duckdb() for f in self.fields)})"

    def arrow(self) -> Any:
        import pyarrow as pa
        return pa.struct([pa.field(f.name, f.dataType.arrow(), f.nullable) for f in self.fields])

    def arrow_schema(self) -> Any:
        """Return the pyarrow Schema with these fields."""
        import pyarrow as pa
        return pa.schema([pa.field(f.name, f.dataType.arrow(), f.nullable) for f in self.fields])

    def treeString(self) -> str:
        """Return the schema as ``printSchema`` prints it."""
        lines = ["root"]

        def walk(dt: DataType, prefix: str) -> None:
            if isinstance(dt, StructType):
                for f in dt.fields:
                    lines.append(f"{prefix} |-- {f.name}: {_tree_name(f.dataType)} (nullable = {str(f.nullable).lower()})")
                    walk(f.dataType, prefix + " |   ")
            elif isinstance(dt, ArrayType):
                lines.append(f"{prefix} |-- element: {_tree_name(dt.elementType)} "
                             f"(containsNull = {str(dt.containsNull).lower()})")
                walk(dt.elementType, prefix + " |   ")
            elif isinstance(dt, MapType):
                lines.append(f"{prefix} |-- key: {_tree_name(dt.keyType)}")
                walk(dt.keyType, prefix + " |   ")
                lines.append(f"{prefix} |-- value: {_tree_name(dt.valueType)} "
                             f"(valueContainsNull = {str(dt.valueContainsNull).lower()})")
                walk(dt.valueType, prefix + " |   ")

        walk(self, "")
        return "\n".join(lines) + "\n"


def _tree_name(dt: DataType) -> str:
    if isinstance(dt, (StructType, ArrayType, MapType)):
        return dt.typeName()
    if isinstance(dt, DecimalType):
        return dt.simpleString()
    return dt.typeName()


def quote_ident(name: str) -> str:
    """Return ``name`` as a DuckDB quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


# ---- Row ---------------------------------------------------------------------------------------
_FIELD_LISTS: dict[tuple[str, ...], list[str]] = {}


def _fields_list(names: Iterable[str]) -> list[str]:
    """Return one shared list per tuple of field names (rows of one shape share it: less memory,
    smaller pickles, and a fast same-shape check when a batch becomes a DataFrame)."""
    key = tuple(names)
    fields = _FIELD_LISTS.get(key)
    if fields is None:
        if len(_FIELD_LISTS) > 10_000:
            _FIELD_LISTS.clear()
        fields = _FIELD_LISTS[key] = list(key)
    return fields


def _make_row(fields: Iterable[str], values: Iterable[Any]) -> "Row":
    row = tuple.__new__(Row, values)
    row.__dict__["__fields__"] = _fields_list(fields)
    return row


class Row(tuple):
    """A record of a DataFrame: a tuple whose fields also have names.

    ``Row(word="a", n=1)`` makes a row; ``Row("word", "n")`` makes a row *class* called with the
    values. Fields are read as ``row.word``, ``row["word"]`` or ``row[0]``.

    >>> r = Row(word="spark", n=2)
    >>> r.word, r["n"], r[0], "n" in r
    ('spark', 2, 'spark', True)
    >>> Pair = Row("word", "n"); Pair("stream", 3)
    Row(word='stream', n=3)
    """

    __fields__: list[str]

    def __new__(cls, *args: Any, **kwargs: Any) -> "Row":
        if args and kwargs:
            raise ValueError("Row takes either positional values or keyword fields, not both")
        if kwargs:
            row = tuple.__new__(Row, kwargs.values())
            row.__dict__["__fields__"] = _fields_list(kwargs)
            return row
        return tuple.__new__(cls, args)

    def asDict(self, recursive: bool = False) -> dict[str, Any]:
        """Return the row as a dict of field name to value (nested Rows too when ``recursive``)."""
        if not hasattr(self, "__fields__"):
            raise TypeError("Cannot convert a Row class into dict")

        def conv(v: Any) -> Any:
            if isinstance(v, Row) and hasattr(v, "__fields__"):
                return v.asDict(True)
            if isinstance(v, list):
                return [conv(x) for x in v]
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            return v

        if recursive:
            return {k: conv(v) for k, v in zip(self.__fields__, self)}
        return dict(zip(self.__fields__, self))

    def __contains__(self, item: object) -> bool:
        if hasattr(self, "__fields__"):
            return item in self.__fields__
        return super().__contains__(item)

    def __call__(self, *args: Any) -> "Row":
        if len(args) > len(self):
            raise ValueError(f"Row class {self!r} has {len(self)} fields, got {len(args)} values")
        return _make_row(list(self), args)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, (int, slice)):
            return super().__getitem__(item)
        try:
            idx = self.__fields__.index(item)
        except (AttributeError, ValueError):
            raise KeyError(item) from None
        return super().__getitem__(idx)

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        try:
            idx = self.__fields__.index(item)
        except (AttributeError, ValueError):
            raise AttributeError(f"Row has no field {item!r}") from None
        return self[idx]

    def __setattr__(self, key: str, value: Any) -> None:
        if key != "__fields__":
            raise RuntimeError("Row is read-only")
        self.__dict__[key] = value

    def __reduce__(self) -> Any:
        if hasattr(self, "__fields__"):
            return (_make_row, (self.__fields__, tuple(self)))
        return (Row, tuple(self))

    def __repr__(self) -> str:
        if hasattr(self, "__fields__"):
            return "Row(" + ", ".join(f"{k}={v!r}" for k, v in zip(self.__fields__, self)) + ")"
        return "<Row(" + ", ".join(repr(f) for f in self) + ")>"


# ---- DDL strings -------------------------------------------------------------------------------
_SIMPLE: dict[str, type[DataType]] = {
    "string": StringType, "varchar": StringType, "char": StringType, "text": StringType,
    "binary": BinaryType, "boolean": BooleanType, "bool": BooleanType, "date": DateType,
    "timestamp": TimestampType, "timestamp_ltz": TimestampType, "timestamp_ntz": TimestampNTZType,
    "double": DoubleType, "float": FloatType, "real": FloatType, "tinyint": ByteType, "byte": ByteType,
    "smallint": ShortType, "short": ShortType, "int": IntegerType, "integer": IntegerType,
    "bigint": LongType, "long": LongType, "void": NullType, "null": NullType,
}
_TOKEN = re.compile(r"\s*(?:(`(?:[^`]|``)*`)|([A-Za-z_][A-Za-z0-9_]*)|(-?\d+)|([<>(),:]))")


class _DDLParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None:
                raise ParseException(f"cannot parse the DDL string {text!r}: unexpected {text[pos:].strip()[:20]!r} "
                                     f"at position {pos}")
            if m.group(1):
                self.tokens.append(("ident", m.group(1)[1:-1].replace("``", "`"), m.start(1)))
            elif m.group(2):
                self.tokens.append(("word", m.group(2), m.start(2)))
            elif m.group(3):
                self.tokens.append(("num", m.group(3), m.start(3)))
            else:
                self.tokens.append(("punct", m.group(4), m.start(4)))
            pos = m.end()
        self.i = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def fail(self, what: str) -> ParseException:
        tok = self.peek()
        where = f"{tok[1]!r} at position {tok[2]}" if tok else "the end"
        return ParseException(f"cannot parse the DDL string {self.text!r}: expected {what}, found {where} "
                              f"(write e.g. 'word STRING, total BIGINT' or 'struct<word:string>')")

    def take(self, punct: str | None = None) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None or (punct is not None and tok != ("punct", punct, tok[2])):
            raise self.fail(repr(punct) if punct else "more")
        self.i += 1
        return tok

    def accept(self, punct: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "punct" and tok[1] == punct:
            self.i += 1
            return True
        return False

    def name(self) -> str:
        tok = self.peek()
        if tok is None or tok[0] not in ("ident", "word"):
            raise self.fail("a field name")
        self.i += 1
        return tok[1]

    def data_type(self) -> DataType:
        tok = self.peek()
        if tok is None or tok[0] != "word":
            raise self.fail("a type")
        self.i += 1
        word = tok[1].lower()
        if word == "array":
            self.take("<")
            elem = self.data_type()
            self.take(">")
            return ArrayType(elem)
        if word == "map":
            self.take("<")
            k = self.data_type()
            self.take(",")
            v = self.data_type()
            self.take(">")
            return MapType(k, v)
        if word == "struct":
            self.take("<")
            fields = []
            if not self.accept(">"):
                while True:
                    fields.append(self.field(colon=True))
                    if self.accept(">"):
                        break
                    self.take(",")
            return StructType(fields)
        if word in ("decimal", "dec", "numeric"):
            if self.accept("("):
                p = int(self.take()[1])
                s = int(self.take()[1]) if self.accept(",") else 0
                self.take(")")
                return DecimalType(p, s)
            return DecimalType(10, 0)
        if word in ("varchar", "char") and self.accept("("):
            self.take()
            self.take(")")
            return StringType()
        if word == "interval":  # interval day to second
            for _ in range(3):
                t = self.peek()
                if t and t[0] == "word" and t[1].lower() in ("day", "to", "second"):
                    self.i += 1
            return DayTimeIntervalType()
        if word in _SIMPLE:
            return _SIMPLE[word]()
        self.i -= 1
        raise self.fail(f"a type (one of {', '.join(sorted(set(_SIMPLE)))}, decimal(p,s), array<..>, "
                        f"map<..,..>, struct<..>)")

    def field(self, colon: bool) -> StructField:
        name = self.name()
        self.accept(":")
        dt = self.data_type()
        nullable = True
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].upper() == "NOT":
            self.i += 1
            t2 = self.peek()
            if not (t2 and t2[0] == "word" and t2[1].upper() == "NULL"):
                raise self.fail("NULL after NOT")
            self.i += 1
            nullable = False
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].upper() == "COMMENT":
            raise self.fail("no COMMENT (comments are not supported)")
        return StructField(name, dt, nullable)

    def done(self) -> None:
        if self.peek() is not None:
            raise self.fail("the end")


def parse_type(text: str) -> DataType:
    """Return the DataType a Spark type string names (``'bigint'``, ``'array<string>'``...).

    >>> parse_type("map<string,array<int>>")
    MapType(StringType(), ArrayType(IntegerType(), True), True)
    """
    p = _DDLParser(text)
    dt = p.data_type()
    p.done()
    return dt


def parse_schema(text: str) -> StructType:
    """Return the StructType of a DDL string: ``'a INT, b STRING'``, ``'a: int, b: string'`` or
    ``'struct<a:int,b:string>'``; a single type such as ``'int'`` gives one field named ``value``.

    >>> parse_schema("id INT NOT NULL, tags ARRAY<STRING>")
    StructType([StructField('id', IntegerType(), False), StructField('tags', ArrayType(StringType(), True), True)])
    >>> parse_schema("int")
    StructType([StructField('value', IntegerType(), True)])
    """
    if not text.strip():
        raise ParseException("the DDL schema string is empty (write e.g. 'word STRING, total BIGINT')")
    p = _DDLParser(text)
    toks = p.tokens
    looks_like_field = len(toks) >= 2 and toks[0][0] in ("ident", "word") and (
        toks[1][0] in ("ident", "word") or toks[1][1] == ":")
    if toks[0][0] == "word" and toks[0][1].lower() == "struct" and len(toks) > 1 and toks[1][1] == "<":
        dt = p.data_type()
        p.done()
        assert isinstance(dt, StructType)
        return dt
    if not looks_like_field:
        dt = p.data_type()
        p.done()
        return StructType([StructField("value", dt)])
    fields = [p.field(colon=False)]
    while p.accept(","):
        fields.append(p.field(colon=False))
    p.done()
    names = [f.name.lower() for f in fields]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ParseException(f"the DDL string {text!r} names the column(s) {', '.join(dup)} twice")
    return StructType(fields)


# ---- inference ---------------------------------------------------------------------------------
def infer_type(value: Any, path: str = "value") -> DataType:
    """Return the Spark type of one Python value (``int`` is bigint, ``float`` double, ...).

    >>> infer_type([1, 2]), infer_type({"a": 1.5})
    (ArrayType(LongType(), True), MapType(StringType(), DoubleType(), True))
    """
    if value is None:
        return NullType()
    if isinstance(value, bool):
        return BooleanType()
    if isinstance(value, int):
        return LongType()
    if isinstance(value, float):
        return DoubleType()
    if isinstance(value, str):
        return StringType()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return BinaryType()
    if isinstance(value, decimal.Decimal):
        return DecimalType(38, 18)
    if isinstance(value, datetime.datetime):
        return TimestampType()
    if isinstance(value, datetime.date):
        return DateType()
    if isinstance(value, datetime.timedelta):
        return DayTimeIntervalType()
    if isinstance(value, Row) and hasattr(value, "__fields__"):
        return infer_schema([value], _path=path)
    if isinstance(value, (list, tuple)) and not _is_record(value):
        elem: DataType = NullType()
        for i, x in enumerate(value):
            elem = merge_types(elem, infer_type(x, f"{path}[{i}]"), f"{path}[]")
        return ArrayType(elem)
    if isinstance(value, dict):
        kt: DataType = NullType()
        vt: DataType = NullType()
        for k, v in value.items():
            kt = merge_types(kt, infer_type(k, f"{path} key"), f"{path} key")
            vt = merge_types(vt, infer_type(v, f"{path}[{k!r}]"), f"{path} value")
        return MapType(kt, vt)
    if _is_record(value):
        return infer_schema([value], _path=path)
    raise SchemaInferenceError(f"cannot infer the type of {path} from {type(value).__name__} value {value!r}: "
                               f"pass an explicit schema")


def _is_record(x: Any) -> bool:
    return (isinstance(x, Row) and hasattr(x, "__fields__")) or (isinstance(x, tuple) and hasattr(x, "_fields"))


def record_fields(record: Any) -> tuple[list[str], list[Any]]:
    """Return the field names and values of a record (Row, namedtuple, dict, tuple or object)."""
    if isinstance(record, Row) and hasattr(record, "__fields__"):
        return list(record.__fields__), list(record)
    if isinstance(record, tuple) and hasattr(record, "_fields"):
        return list(record._fields), list(record)
    if isinstance(record, dict):
        keys = sorted(record)  # as PySpark infers a dict's fields
        return [str(k) for k in keys], [record[k] for k in keys]
    if isinstance(record, (tuple, list)):
        return [f"_{i + 1}" for i in range(len(record))], list(record)
    if hasattr(record, "__dict__"):
        d = vars(record)
        keys = sorted(d)
        return keys, [d[k] for k in keys]
    raise SchemaInferenceError(f"cannot infer a schema from a {type(record).__name__} record {record!r}: "
                               f"records must be Rows, tuples, dicts or namedtuples, or pass schema='value <type>'")


def merge_types(a: DataType, b: DataType, path: str) -> DataType:
    """Return the type that holds values of both ``a`` and ``b`` (null merges with anything)."""
    if isinstance(a, NullType):
        return b
    if isinstance(b, NullType) or a == b:
        return a
    if isinstance(a, ArrayType) and isinstance(b, ArrayType):
        return ArrayType(merge_types(a.elementType, b.elementType, path + "[]"))
    if isinstance(a, MapType) and isinstance(b, MapType):
        return MapType(merge_types(a.keyType, b.keyType, path + " key"),
                       merge_types(a.valueType, b.valueType, path + " value"))
    if isinstance(a, StructType) and isinstance(b, StructType):
        fields = {f.name: f for f in a.fields}
        out = [StructField(f.name, f.dataType) for f in a.fields]
        for f in b.fields:
            if f.name in fields:
                i = next(j for j, g in enumerate(out) if g.name == f.name)
                out[i] = StructField(f.name, merge_types(out[i].dataType, f.dataType, f"{path}.{f.name}"))
            else:
                out.append(StructField(f.name, f.dataType))
        return StructType(out)
    if isinstance(a, DecimalType) and isinstance(b, DecimalType):
        return DecimalType(38, 18)
    raise SchemaInferenceError(f"column {path!r} has values of two types, {a.simpleString()} and "
                               f"{b.simpleString()}: make them one type, or pass a schema")


def infer_schema(records: Iterable[Any], names: list[str] | None = None, _path: str = "",
                 _allow_null: bool = False) -> StructType:
    """Return the StructType of ``records`` (Rows, tuples, dicts, namedtuples), merging the
    types seen in every record. A column that is None in every record is an error.

    >>> infer_schema([(1, "a"), (2, None)], names=["id", "word"]).simpleString()
    'struct<id:bigint,word:string>'
    """
    field_names: list[str] | None = None
    types: list[DataType] = []
    seen = 0
    for rec in records:
        seen += 1
        fields, values = record_fields(rec)
        if names:
            fields = list(names) + fields[len(names):]
        if field_names is None:
            field_names = fields
            types = [NullType()] * len(fields)
        elif len(fields) != len(field_names):
            raise SchemaInferenceError(f"record {seen} has {len(fields)} fields, the first had "
                                       f"{len(field_names)} ({', '.join(field_names)}): {rec!r}")
        for i, v in enumerate(values):
            col = f"{_path}.{field_names[i]}" if _path else field_names[i]
            types[i] = merge_types(types[i], infer_type(v, col), col)
    if field_names is None:
        raise SchemaInferenceError("cannot infer a schema from no records (an empty batch?): pass schema=, "
                                   "e.g. createDataFrame(rdd, 'word STRING')")
    if not _path and not _allow_null:
        nulls = [n for n, t in zip(field_names, types) if _has_null(t)]
        if nulls:
            raise SchemaInferenceError(f"cannot infer the type of column(s) {', '.join(nulls)}: every value is "
                                       f"None; pass a schema, e.g. schema='{nulls[0]} STRING, ...'")
    return StructType([StructField(n, t) for n, t in zip(field_names, types)])


def _has_null(t: DataType) -> bool:
    if isinstance(t, NullType):
        return True
    if isinstance(t, ArrayType):
        return _has_null(t.elementType)
    if isinstance(t, MapType):
        return _has_null(t.keyType) or _has_null(t.valueType)
    if isinstance(t, StructType):
        return any(_has_null(f.dataType) for f in t.fields)
    return False


# ---- from the engine ---------------------------------------------------------------------------
_FROM_DUCK: dict[str, type[DataType]] = {
    "varchar": StringType, "blob": BinaryType, "boolean": BooleanType, "date": DateType,
    "timestamp": TimestampType, "timestamp with time zone": TimestampType, "timestamp_ms": TimestampType,
    "timestamp_s": TimestampType, "timestamp_ns": TimestampType, "double": DoubleType, "float": FloatType,
    "tinyint": ByteType, "smallint": ShortType, "integer": IntegerType, "bigint": LongType,
    "hugeint": LongType, "utinyint": ShortType, "usmallint": IntegerType, "uinteger": LongType,
    "ubigint": DecimalType, "uhugeint": DecimalType, "null": NullType, "interval": DayTimeIntervalType,
    "uuid": StringType, "json": StringType, "time": StringType, "bit": BinaryType, "enum": StringType,
}


def from_duckdb(t: Any) -> DataType:
    """Return the Spark type of a DuckDB type (a ``duckdb.DuckDBPyType``)."""
    tid = t.id
    if tid == "decimal":
        ch = dict(t.children)
        return DecimalType(ch["precision"], ch["scale"])
    if tid == "list" or tid == "array":
        return ArrayType(from_duckdb(t.children[0][1]))
    if tid == "map":
        ch = dict(t.children)
        return MapType(from_duckdb(ch["key"]), from_duckdb(ch["value"]))
    if tid == "struct":
        return StructType([StructField(n, from_duckdb(c)) for n, c in t.children])
    cls = _FROM_DUCK.get(tid)
    if cls is DecimalType:
        return DecimalType(38, 0)
    if cls is None:
        return StringType()
    return cls()
