"""Errors name the column, table or value, with specific classes."""
from __future__ import annotations

import pytest

from dstreams.sql import (AnalysisException, ColumnNotFoundError, ParseException, QueryExecutionError,
                          SchemaInferenceError, SchemaMismatchError, TableNotFoundError)
from dstreams.sql import functions as F


@pytest.fixture(scope="module")
def words(spark):
    return spark.createDataFrame([("a", 1)], "word STRING, total BIGINT")


def test_missing_column_in_select_lists_the_columns(words):
    with pytest.raises(ColumnNotFoundError) as info:
        words.select("wrod")
    msg = str(info.value)
    assert "`wrod`" in msg and "[`word`, `total`]" in msg and "select(wrod)" in msg
    assert info.value.column == "wrod" and info.value.available == ["word", "total"]


@pytest.mark.parametrize("op", [
    lambda df: df.filter(F.col("nope") > 1),
    lambda df: df.withColumn("x", F.col("nope") + 1),
    lambda df: df.groupBy("nope").count(),
    lambda df: df.orderBy("nope"),
    lambda df: df["nope"],
    lambda df: df.select(F.sum("nope")),
])
def test_missing_column_in_any_operation(words, op):
    with pytest.raises(ColumnNotFoundError, match="`nope`"):
        op(words)


def test_missing_table_names_it_and_the_views(spark, words):
    words.createOrReplaceTempView("words")
    with pytest.raises(TableNotFoundError) as info:
        spark.sql("SELECT * FROM wrods")
    assert info.value.table == "wrods"
    assert "`wrods`" in str(info.value) and "words" in str(info.value)
    assert isinstance(info.value, AnalysisException)


def test_bad_sql_is_a_parse_exception_showing_where(spark):
    with pytest.raises(ParseException, match=r"syntax error.*FORM"):
        spark.sql("SELECT word FORM words")


def test_missing_column_in_sql(spark, words):
    words.createOrReplaceTempView("words")
    with pytest.raises(ColumnNotFoundError, match="`wrod`"):
        spark.sql("SELECT wrod FROM words")


def test_runtime_failure_is_a_query_execution_error(spark):
    with pytest.raises(QueryExecutionError, match="the query failed"):
        spark.sql("SELECT CAST('x' AS INTEGER) AS n").collect()


def test_schema_errors_name_the_column(spark):
    with pytest.raises(SchemaMismatchError, match="column 'n' has type bigint but record 1 holds str value 'x'"):
        spark.createDataFrame([("a", 1), ("b", "x")], "w STRING, n BIGINT")
    with pytest.raises(SchemaInferenceError, match="two types"):
        spark.createDataFrame([("a", 1), ("b", "x")])
    with pytest.raises(SchemaInferenceError, match="pass schema="):
        spark.createDataFrame([])
    with pytest.raises(ParseException, match="STRNG"):
        spark.createDataFrame([("a",)], "w STRNG")


def test_existing_temp_view_and_bad_names(spark, words):
    words.createOrReplaceTempView("taken")
    with pytest.raises(AnalysisException, match="already exists"):
        words.createTempView("taken")
    with pytest.raises(AnalysisException, match="invalid temporary view name"):
        words.createOrReplaceTempView("bad name; drop")


def test_column_in_a_boolean_context(words):
    with pytest.raises(ValueError, match="use '&' for 'and'"):
        bool(words.total > 1 and words.total < 3)
