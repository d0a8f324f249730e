"""Pure logic of dstreams.sql.types: DDL strings, schema inference, Row."""
from __future__ import annotations

import datetime
import decimal
import pickle
from collections import namedtuple

import pytest

from dstreams.sql import ParseException, Row, SchemaInferenceError
from dstreams.sql.types import (ArrayType, BooleanType, DateType, DecimalType, DoubleType, IntegerType, LongType,
                                MapType, StringType, StructField, StructType, TimestampType, infer_schema,
                                parse_schema, parse_type)


def test_ddl_field_lists_in_every_spelling():
    expected = StructType([StructField("word", StringType()), StructField("total", LongType())])
    assert parse_schema("word STRING, total BIGINT") == expected
    assert parse_schema("word: string, total: long") == expected
    assert parse_schema("struct<word:string,total:bigint>") == expected
    assert parse_schema("`my word` string").fieldNames() == ["my word"]


def test_ddl_nested_decimal_and_not_null():
    s = parse_schema("id INT NOT NULL, price DECIMAL(10, 2), tags ARRAY<STRING>, "
                     "attrs MAP<STRING, ARRAY<INT>>, pos STRUCT<x: DOUBLE, y: DOUBLE>")
    assert s["id"] == StructField("id", IntegerType(), False)
    assert s["price"].dataType == DecimalType(10, 2)
    assert s["tags"].dataType == ArrayType(StringType())
    assert s["attrs"].dataType == MapType(StringType(), ArrayType(IntegerType()))
    assert s["pos"].dataType.simpleString() == "struct<x:double,y:double>"
    assert s.simpleString() == ("struct<id:int,price:decimal(10,2),tags:array<string>,"
                                "attrs:map<string,array<int>>,pos:struct<x:double,y:double>>")


def test_single_type_string_is_a_value_column():
    assert parse_schema("bigint") == StructType([StructField("value", LongType())])
    assert parse_type("array<timestamp>") == ArrayType(TimestampType())


@pytest.mark.parametrize("bad, says", [
    ("word STRNG", "expected a type"),
    ("word STRING,", "a field name"),
    ("a INT, a STRING", "twice"),
    ("array<int", "'>'"),
    ("", "empty"),
])
def test_bad_ddl_names_the_problem(bad, says):
    with pytest.raises(ParseException, match=says):
        parse_schema(bad)


def test_inference_from_rows_dicts_tuples_namedtuples():
    assert infer_schema([Row(word="a", n=1, ok=True)]).simpleString() == "struct<word:string,n:bigint,ok:boolean>"
    # dict keys are sorted, as PySpark infers them
    assert infer_schema([{"z": 1.5, "a": "x"}]).fieldNames() == ["a", "z"]
    assert infer_schema([(1, "x")]).fieldNames() == ["_1", "_2"]
    P = namedtuple("P", "x y")
    assert infer_schema([P(1, 2.0)]).simpleString() == "struct<x:bigint,y:double>"
    s = infer_schema([(datetime.datetime(2024, 1, 1), datetime.date(2024, 1, 2), decimal.Decimal("1.5"),
                       [1, 2], {"k": 1}, Row(a=1))])
    assert [f.dataType for f in s.fields] == [TimestampType(), DateType(), DecimalType(38, 18),
                                              ArrayType(LongType()), MapType(StringType(), LongType()),
                                              StructType([StructField("a", LongType())])]


def test_inference_merges_nulls_and_rejects_conflicts():
    assert infer_schema([(None, 1), ("a", None)]).simpleString() == "struct<_1:string,_2:bigint>"
    with pytest.raises(SchemaInferenceError, match="column 'n' has values of two types, bigint and string"):
        infer_schema([Row(n=1), Row(n="x")])
    with pytest.raises(SchemaInferenceError, match="column\\(s\\) n: every value is None"):
        infer_schema([Row(n=None)])
    with pytest.raises(SchemaInferenceError, match="empty batch"):
        infer_schema([])


def test_row_access_equality_and_pickling():
    r = Row(word="a", n=2)
    assert (r.word, r["n"], r[1], r.asDict()) == ("a", 2, 2, {"word": "a", "n": 2})
    assert r == ("a", 2) and repr(r) == "Row(word='a', n=2)"
    back = pickle.loads(pickle.dumps(r))
    assert back.n == 2 and back.__fields__ == ["word", "n"]
    Pair = Row("word", "n")
    assert Pair("b", 3) == Row(word="b", n=3) and Pair("b", 3).word == "b"
    with pytest.raises(AttributeError, match="no field 'x'"):
        r.x
    nested = Row(a=Row(b=1), l=[Row(c=2)])
    assert nested.asDict(recursive=True) == {"a": {"b": 1}, "l": [{"c": 2}]}


def test_tree_string():
    s = parse_schema("word STRING, tags ARRAY<STRING>, pos STRUCT<x: DOUBLE>")
    assert s.treeString() == (
        "root\n"
        " |-- word: string (nullable = true)\n"
        " |-- tags: array (nullable = true)\n"
        " |    |-- element: string (containsNull = true)\n"
        " |-- pos: struct (nullable = true)\n"
        " |    |-- x: double (nullable = true)\n")
    assert BooleanType().simpleString() == "boolean" and DoubleType().typeName() == "double"
