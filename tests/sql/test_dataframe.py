"""DataFrame operations and spark.sql against hand-computed answers, on a local[2] Context."""
from __future__ import annotations

import datetime

import pytest

from dstreams.sql import Row, SparkSession
from dstreams.sql import functions as F
from dstreams.sql.types import LongType, StringType, StructField, StructType

SALES = [("north", "apple", 3, 1.5), ("north", "pear", 1, 2.0), ("south", "apple", 5, 1.5),
         ("south", "fig", None, 4.0), ("east", "apple", 2, 1.25)]


@pytest.fixture(scope="module")
def sales(spark):
    return spark.createDataFrame(SALES, "region STRING, fruit STRING, qty INT, price DOUBLE")


def test_builder_returns_the_one_session_of_the_context(ctx, spark):
    assert SparkSession.builder.appName("other").getOrCreate() is spark
    assert SparkSession.builder.config(conf=ctx.getConf()).getOrCreate() is spark
    assert spark.sparkContext is ctx and SparkSession.getActiveSession() is spark


def test_create_from_rdd_of_rows_infers_schema(ctx, spark):
    rdd = ctx.parallelize(["a b", "a"], 2).flatMap(str.split).map(lambda w: Row(word=w, n=len(w)))
    df = spark.createDataFrame(rdd)
    assert df.schema == StructType([StructField("word", StringType()), StructField("n", LongType())])
    assert sorted(df.collect()) == [Row(word="a", n=1), Row(word="a", n=1), Row(word="b", n=1)]
    assert df.count() == 3


def test_rdd_todf_with_names_and_df_rdd_back(ctx, spark):
    df = ctx.parallelize([("x", 1), ("y", 2)]).toDF(["k", "v"])
    assert df.columns == ["k", "v"] and df.dtypes == [("k", "string"), ("v", "bigint")]
    back = df.rdd
    assert sorted(back.map(lambda r: r.v * 10).collect()) == [10, 20]


def test_select_filter_withcolumn(sales):
    out = (sales.filter(F.col("qty") > 1).withColumn("total", F.col("qty") * F.col("price"))
           .select("fruit", "total").orderBy("total").collect())
    assert out == [Row(fruit="apple", total=2.5), Row(fruit="apple", total=4.5), Row(fruit="apple", total=7.5)]
    assert sales.where("price > 1.9").count() == 2
    assert sales.select((sales.qty + 1).alias("q1")).orderBy("q1").first() == Row(q1=None)
    assert sales.selectExpr("upper(fruit) AS f").distinct().orderBy("f").collect() == [
        Row(f="APPLE"), Row(f="FIG"), Row(f="PEAR")]


def test_groupby_agg_sum_count_avg(sales):
    df = sales.groupBy("region").agg(F.sum("qty").alias("q"), F.count("*").alias("n"),
                                     F.avg("price").alias("p")).orderBy("region")
    assert df.collect() == [Row(region="east", q=2, n=1, p=1.25), Row(region="north", q=4, n=2, p=1.75),
                            Row(region="south", q=5, n=2, p=2.75)]
    assert df.dtypes == [("region", "string"), ("q", "bigint"), ("n", "bigint"), ("p", "double")]
    counts = sales.groupBy("fruit").count().orderBy(F.desc("count"), "fruit").collect()
    assert counts == [Row(fruit="apple", count=3), Row(fruit="fig", count=1), Row(fruit="pear", count=1)]
    assert sales.groupBy("region").sum("qty").orderBy("region").columns == ["region", "sum(qty)"]
    assert sales.agg({"qty": "max"}).collect() == [Row(**{"max(qty)": 5})]
    assert sales.groupBy().count().collect() == [Row(count=5)]


def test_orderby_limit_nulls_first_as_spark(sales):
    assert [r.qty for r in sales.orderBy("qty").collect()] == [None, 1, 2, 3, 5]
    assert [r.qty for r in sales.orderBy(F.col("qty").desc()).collect()] == [5, 3, 2, 1, None]
    assert [r.qty for r in sales.orderBy("qty", ascending=False).limit(2).collect()] == [5, 3]


def test_joins(spark):
    left = spark.createDataFrame([("a", 1), ("b", 2)], "k STRING, v INT")
    right = spark.createDataFrame([("a", 10), ("c", 30)], "k STRING, w INT")
    assert left.join(right, "k").collect() == [Row(k="a", v=1, w=10)]
    assert left.join(right, "k", "outer").orderBy("k").collect() == [
        Row(k="a", v=1, w=10), Row(k="b", v=2, w=None), Row(k="c", v=None, w=30)]
    assert left.join(right, left.k == right.k, "left").orderBy(left.v).collect() == [
        ("a", 1, "a", 10), ("b", 2, None, None)]  # both k columns, as Spark keeps them
    assert left.join(right, "k", "left_anti").collect() == [Row(k="b", v=2)]
    assert left.join(right, "k", "semi").collect() == [Row(k="a", v=1)]
    assert left.crossJoin(right).count() == 4


def test_explode_split_word_count(spark):
    lines = spark.createDataFrame([("to be or not to be",), ("to do",)], ["line"])
    words = lines.select(F.explode(F.split(lines.line, " ")).alias("word"))
    counts = {r.word: r["count"] for r in words.groupBy("word").count().collect()}
    assert counts == {"to": 3, "be": 2, "or": 1, "not": 1, "do": 1}


def test_sql_over_temp_views(spark, sales):
    sales.createOrReplaceTempView("sales")
    out = spark.sql("SELECT fruit, sum(qty) AS q FROM sales WHERE qty IS NOT NULL GROUP BY fruit ORDER BY q DESC")
    assert out.collect() == [Row(fruit="apple", q=10), Row(fruit="pear", q=1)]
    assert [t.name for t in spark.catalog.listTables()] == ["sales"]
    assert spark.table("sales").count() == 5
    assert spark.sql("SELECT count(*) AS n FROM {t} WHERE qty > {m}", t=sales, m=2).collect() == [Row(n=2)]
    assert spark.catalog.dropTempView("sales") and not spark.catalog.tableExists("sales")


def test_window_tumbling_and_sliding(spark):
    t0 = datetime.datetime(2024, 1, 1)
    df = spark.createDataFrame([(t0 + datetime.timedelta(seconds=s), 1) for s in (1, 7, 12, 13)], ["t", "n"])
    tumbling = df.groupBy(F.window("t", "10 seconds")).agg(F.sum("n").alias("n")).orderBy("window").collect()
    assert [(r.window.start.second, r.window.end.second, r.n) for r in tumbling] == [(0, 10, 2), (10, 20, 2)]
    sliding = df.groupBy(F.window("t", "10 seconds", "5 seconds")).count().orderBy("window").collect()
    starts = [(r.window.start - t0).total_seconds() for r in sliding]
    assert starts == [-5, 0, 5, 10] and [r["count"] for r in sliding] == [1, 2, 3, 2]


def test_show_prints_spark_table(spark, capsys):
    spark.createDataFrame([("spark", 2), ("a", None)], "word STRING, n BIGINT").show()
    assert capsys.readouterr().out == ("+-----+----+\n"
                                       "| word|   n|\n"
                                       "+-----+----+\n"
                                       "|spark|   2|\n"
                                       "|    a|NULL|\n"
                                       "+-----+----+\n\n")
    spark.range(25).show(2)
    out = capsys.readouterr().out
    assert out == "+---+\n| id|\n+---+\n|  0|\n|  1|\n+---+\nonly showing top 2 rows\n\n"


def test_print_schema_and_topandas(spark, capsys):
    df = spark.createDataFrame([Row(word="a", tags=["x", "y"])])
    df.printSchema()
    assert capsys.readouterr().out == ("root\n |-- word: string (nullable = true)\n"
                                       " |-- tags: array (nullable = true)\n"
                                       " |    |-- element: string (containsNull = true)\n\n")
    pdf = df.toPandas()
    assert list(pdf.columns) == ["word", "tags"] and list(pdf["tags"][0]) == ["x", "y"]


def test_pandas_and_arrow_inputs(spark):
    import pandas as pd
    import pyarrow as pa
    assert spark.createDataFrame(pd.DataFrame({"a": [1, 2]})).collect() == [Row(a=1), Row(a=2)]
    assert spark.createDataFrame(pa.table({"a": ["x"]}), ["b"]).collect() == [Row(b="x")]
    assert spark.createDataFrame([1, 2], "int").collect() == [Row(value=1), Row(value=2)]


def test_nested_struct_values_come_back_as_rows(spark):
    df = spark.createDataFrame([Row(p=Row(x=1, y=2.5), m={"k": 1})])
    r = df.first()
    assert r.p.x == 1 and r.p.y == 2.5 and r.m == {"k": 1}
    assert df.select(F.col("p.x")).collect() == [Row(x=1)]


def test_sql_orders_nulls_as_spark(spark):
    df = spark.createDataFrame([(1,), (None,), (2,)], "n INT")
    df.createOrReplaceTempView("nums")
    assert [r.n for r in spark.sql("SELECT n FROM nums ORDER BY n").collect()] == [None, 1, 2]
    assert [r.n for r in spark.sql("SELECT n FROM nums ORDER BY n DESC").collect()] == [2, 1, None]


def test_sql_named_args_and_casts(spark, sales):
    sales.createOrReplaceTempView("sales2")
    out = spark.sql("SELECT count(*)::INT AS n FROM sales2 WHERE region = :r AND qty > :q", args={"r": "south", "q": 1})
    assert out.collect() == [Row(n=1)]


def test_drop_rename_todf_union(spark, sales):
    assert sales.drop("qty", "missing").columns == ["region", "fruit", "price"]
    assert sales.withColumnRenamed("qty", "quantity").columns == ["region", "fruit", "quantity", "price"]
    assert sales.select("region").toDF("r").union(sales.select("fruit")).count() == 10
    a = spark.createDataFrame([("x", 1)], "k STRING, v INT")
    b = spark.createDataFrame([(2, "y")], "v INT, k STRING")
    assert sorted(a.unionByName(b).collect()) == [Row(k="x", v=1), Row(k="y", v=2)]
    from dstreams.sql import AnalysisException
    with pytest.raises(AnalysisException, match="every column"):
        a.drop("k", "v")


def test_window_functions_over_partitions(sales):
    from dstreams.sql import Window
    w = Window.partitionBy("region").orderBy(F.col("qty").desc())
    ranked = sales.withColumn("r", F.row_number().over(w)).where("r = 1").select("region", "fruit").orderBy("region")
    assert ranked.collect() == [Row(region="east", fruit="apple"), Row(region="north", fruit="apple"),
                                Row(region="south", fruit="apple")]
    running = Window.partitionBy("region").orderBy("qty").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    out = sales.where("region = 'north'").select("qty", F.sum("qty").over(running).alias("run")).orderBy("qty")
    assert out.collect() == [Row(qty=1, run=1), Row(qty=3, run=4)]
    prev = sales.where("region = 'south'").select("qty", F.lag("qty", 1, -1).over(Window.orderBy("price")).alias("p"))
    assert prev.orderBy("p").collect() == [Row(qty=5, p=-1), Row(qty=None, p=5)]


def test_python_udfs_on_columns_and_in_sql(spark, sales):
    shout = F.udf(lambda s: None if s is None else s.upper() + "!")
    assert sales.select(shout("fruit").alias("f")).distinct().orderBy("f").collect() == [
        Row(f="APPLE!"), Row(f="FIG!"), Row(f="PEAR!")]

    @F.udf(returnType="bigint")
    def double(n):
        return None if n is None else 2 * n
    assert sorted(r.d for r in sales.select(double("qty").alias("d")).collect() if r.d) == [2, 4, 6, 10]
    spark.udf.register("plus", lambda a, b: a + b, "double")
    sales.createOrReplaceTempView("sales3")
    assert spark.sql("SELECT plus(price, 1) AS p FROM sales3 WHERE fruit = 'fig'").collect() == [Row(p=5.0)]
    from dstreams.sql import QueryExecutionError
    bad = F.udf(lambda s: 1 / 0, "double")
    with pytest.raises(QueryExecutionError, match="division by zero"):
        sales.select(bad("fruit")).collect()


def test_fillna_dropna(spark):
    df = spark.createDataFrame([("a", None, None), (None, 2, 1.5), (None, None, None)], "s STRING, n BIGINT, x DOUBLE")
    assert df.fillna(0).collect() == [Row(s="a", n=0, x=0.0), Row(s=None, n=2, x=1.5), Row(s=None, n=0, x=0.0)]
    assert df.na.fill("?").collect()[1] == Row(s="?", n=2, x=1.5)
    assert df.fillna({"n": -1}).select("n").collect() == [Row(n=-1), Row(n=2), Row(n=-1)]
    assert df.dropna().count() == 0 and df.dropna(how="all").count() == 2
    assert df.na.drop(subset=["n"]).collect() == [Row(s=None, n=2, x=1.5)]
    assert df.dropna(thresh=2).count() == 1


def test_rdd_partitions_become_arrow_and_merge(ctx, spark):
    from dstreams.sql import SchemaInferenceError
    # partition 0 has only None in n: typed from partition 1
    rdd = ctx.parallelize([Row(w="a", n=None), Row(w="b", n=2)], 2)
    df = spark.createDataFrame(rdd)
    assert df.dtypes == [("w", "string"), ("n", "bigint")] and sorted(df.collect()) == [("a", None), ("b", 2)]
    with pytest.raises(SchemaInferenceError, match="column\\(s\\) n: every value is None"):
        spark.createDataFrame(ctx.parallelize([Row(w="a", n=None), Row(w="b", n=None)], 2))
    with pytest.raises(SchemaInferenceError, match="column 'n' has values of two types"):
        spark.createDataFrame(ctx.parallelize([Row(n=1), Row(n="x")], 2))
    empty = spark.createDataFrame(ctx.parallelize([], 2), "w STRING")
    assert empty.count() == 0 and empty.columns == ["w"]
    with pytest.raises(SchemaInferenceError, match="empty batch"):
        spark.createDataFrame(ctx.parallelize([], 2))


def test_describe_and_no_dataframes_in_tasks(ctx, spark, sales):
    described = sales.describe("qty", "fruit").collect()
    assert [r.summary for r in described] == ["count", "mean", "stddev", "min", "max"]
    rows = {r.summary: r for r in described}
    assert rows["count"].qty == "4" and rows["mean"].qty == "2.75" and rows["min"].fruit == "apple"
    assert rows["max"].qty == "5" and rows["mean"].fruit is None
    from dstreams.sql import SQLError
    with pytest.raises(Exception, match="referenced from code that runs in tasks"):
        ctx.parallelize([1], 1).map(lambda x: sales.count()).collect()
    with pytest.raises(SQLError):
        import pickle
        pickle.dumps(spark)


def test_limit_of_a_limit_keeps_the_order(sales):
    assert [r.qty for r in sales.orderBy(F.desc("qty")).limit(3).limit(2).collect()] == [5, 3]
    assert [r.qty for r in sales.orderBy("price", "qty").filter("qty > 1").limit(2).collect()] == [2, 3]


def test_more_column_functions(spark):
    import datetime as dt
    df = spark.createDataFrame([Row(s="ab", n=2.5, d=dt.date(2024, 3, 2), a=[1, 2]), Row(s="c", n=3.5, d=dt.date(2024, 3, 9), a=[])])
    r = df.select(F.lpad("s", 4, "*").alias("l"), F.rpad("s", 3, "-").alias("r"), F.instr("s", "b").alias("i"),
                  F.bround("n").alias("b"), F.date_add("d", 30).alias("plus"), F.datediff(F.lit(dt.date(2024, 3, 12)), "d").alias("dd"),
                  F.dayofweek("d").alias("dow"), F.format_string("%s=%d", "s", F.lit(1)).alias("f")).first()
    assert r == Row(l="**ab", r="ab-", i=2, b=2.0, plus=dt.date(2024, 4, 1), dd=10, dow=7, f="ab=1")
    assert df.select(F.explode_outer("a").alias("x")).count() == 3 and df.select(F.explode("a")).count() == 2
    assert [x.id for x in df.select(F.monotonically_increasing_id().alias("id")).collect()] == [0, 1]


def test_sql_result_names_as_spark_names_them(spark, sales):
    sales.createOrReplaceTempView("sales4")
    assert spark.sql("SELECT fruit, count(*) FROM sales4 GROUP BY fruit").columns == ["fruit", "count(1)"]
    assert spark.sql("SELECT CAST(qty AS STRING), sum(qty), (qty + 1) FROM sales4 GROUP BY qty").columns == [
        "qty", "sum(qty)", "(qty + 1)"]
