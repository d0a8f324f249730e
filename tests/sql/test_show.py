"""show()'s text against Spark's exact format (pure formatting, no engine)."""
from __future__ import annotations

import datetime
import decimal

from dstreams.sql.show import cell_text, format_table, java_double, java_float
from dstreams.sql.types import FloatType


def test_table_right_aligned_with_borders():
    assert format_table(["word", "total"], [("spark", 3), ("a", 1)]) == (
        "+-----+-----+\n"
        "| word|total|\n"
        "+-----+-----+\n"
        "|spark|    3|\n"
        "|    a|    1|\n"
        "+-----+-----+\n")


def test_minimum_width_three_and_empty_result():
    assert format_table(["n"], []) == "+---+\n|  n|\n+---+\n+---+\n"


def test_truncation_at_20_and_more_rows_line():
    long = "abcdefghijklmnopqrstuvwxyz"
    text = format_table(["s"], [(long,)], has_more=True)
    assert "|abcdefghijklmnopq...|" in text
    assert text.endswith("only showing top 1 row\n")
    assert "only showing top 2 rows" in format_table(["s"], [("a",), ("b",)], has_more=True)
    # truncate=False: whole values, left-aligned
    assert format_table(["s"], [(long,), ("a",)], truncate=0).splitlines()[4] == "|a" + " " * 25 + "|"
    assert format_table(["s"], [("abcdef",)], truncate=2).splitlines()[3] == "| ab|"


def test_values_are_cast_as_spark_casts_them():
    assert [cell_text(v) for v in (None, True, False, 1, 1.0, 1e7, 1e-4, 0.001, -2.5, float("nan"))] == [
        "NULL", "true", "false", "1", "1.0", "1.0E7", "1.0E-4", "0.001", "-2.5", "NaN"]
    assert java_double(123456789.0) == "1.23456789E8" and java_double(1234567.0) == "1234567.0"
    assert java_float(0.30000001192092896) == "0.3" and cell_text(0.30000001192092896, FloatType()) == "0.3"
    assert cell_text(decimal.Decimal("1.50")) == "1.50"
    assert cell_text(datetime.datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02 03:04:05"
    assert cell_text(datetime.datetime(2024, 1, 2, 3, 4, 5, 500000)) == "2024-01-02 03:04:05.5"
    assert cell_text(datetime.date(2024, 1, 2)) == "2024-01-02"
    assert cell_text([1, None, "a"]) == "[1, NULL, a]"
    assert cell_text({"a": 1, "b": None}) == "{a -> 1, b -> NULL}"
    assert cell_text((1, "x")) == "{1, x}"
    assert cell_text(b"hi") == "[68 69]"


def test_wide_characters_count_twice():
    text = format_table(["w"], [("日本",), ("abcde",)])
    assert text.splitlines()[3] == "| 日本|"


def test_vertical():
    assert format_table(["word", "n"], [("spark", 10), ("a", 2)], vertical=True) == (
        "-RECORD 0-----\n"
        " word | spark \n"
        " n    | 10    \n"
        "-RECORD 1-----\n"
        " word | a     \n"
        " n    | 2     \n")
    assert format_table(["n"], [], vertical=True) == "(0 rows)\n"
