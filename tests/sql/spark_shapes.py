"""The same DataFrames shown by dstreams.sql or by PySpark: each case's printed text, for the
golden test in test_spark_format.py.

    python tests/sql/spark_shapes.py dstreams
    python tests/sql/spark_shapes.py pyspark > tests/sql/data/pyspark-3.5.9-show.txt   # needs pyspark and Java
"""
import contextlib
import datetime as dt
import decimal
import io
import os
import sys
os.environ["TZ"] = "UTC"
system = sys.argv[1]
if system == "pyspark":
    from pyspark.sql import SparkSession, Row, Window
    from pyspark.sql import functions as F
    spark = SparkSession.builder.master("local[1]").config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
else:
    from dstreams import Context
    from dstreams.sql import SparkSession, Row, Window
    from dstreams.sql import functions as F
    ctx = Context("local[1]", "cmp")
    spark = SparkSession.builder.getOrCreate()

def out(name, f):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            f()
        except Exception as e:
            print("ERROR", type(e).__name__)
    print(f"=== {name}\n{buf.getvalue()}", end="")

c = spark.createDataFrame
out("basic", lambda: c([("spark", 2), ("a", None)], "word STRING, n BIGINT").show())
out("doubles", lambda: c([(x,) for x in [1.0, 1e10, 1e-4, 0.001, -2.5, 123456789.0, 1234567.0, 0.1 + 0.2, float("nan"), float("inf"), -0.0]], "x DOUBLE").show())
out("floats", lambda: c([(0.1,), (0.3,), (1.5,), (1e10,)], "x FLOAT").show())
long = "abcdefghijklmnopqrstuvwxyz"
out("trunc", lambda: c([(long, 1), ("a", 22)], "s STRING, n INT").show())
out("trunc-false", lambda: c([(long, 1), ("a", 22)], "s STRING, n INT").show(truncate=False))
out("trunc-5", lambda: c([(long, 1), ("abc", 22)], "s STRING, n INT").show(truncate=5))
out("trunc-2", lambda: c([(long, 1)], "s STRING, n INT").show(truncate=2))
out("nested", lambda: c([Row(a=[1, None], m={"k": 1}, s=Row(x=1, y="b"))], "a ARRAY<BIGINT>, m MAP<STRING,BIGINT>, s STRUCT<x: BIGINT, y: STRING>").show())
out("nested-strs", lambda: c([(["x", None], {"k": None})], "a ARRAY<STRING>, m MAP<STRING,STRING>").show())
out("times", lambda: c([(dt.datetime(2024, 1, 2, 3, 4, 5), dt.datetime(2024, 1, 2, 3, 4, 5, 500000), dt.date(2024, 1, 2), decimal.Decimal("1.50"))], "t TIMESTAMP, u TIMESTAMP, d DATE, m DECIMAL(10,2)").show())
out("bools", lambda: c([(True, None), (False, "x")], "b BOOLEAN, s STRING").show())
out("binary", lambda: c([(bytearray(b"hi"),)], "b BINARY").show())
out("vertical", lambda: c([("spark", 10), ("a", 2)], "word STRING, n BIGINT").show(vertical=True))
out("vertical-empty", lambda: c([], "word STRING, n BIGINT").show(vertical=True))
out("top2", lambda: c([(1,), (2,), (3,)], "n INT").show(2))
out("top1", lambda: c([(1,), (2,), (3,)], "n INT").show(1))
out("empty", lambda: c([], "word STRING, n BIGINT").show())
out("wide", lambda: c([("日本",), ("abcde",)], "w STRING").show())
out("schema", lambda: c([Row(a=[1], m={"k": 1}, s=Row(x=1, y="b"), d=decimal.Decimal("1.5"))], "a ARRAY<BIGINT>, m MAP<STRING,BIGINT>, s STRUCT<x: BIGINT, y: STRING>, d DECIMAL(10,2)").printSchema())
df = c([("a", 1, 2.0), ("b", 2, 3.0), ("a", 3, None)], "w STRING, n BIGINT, x DOUBLE")
out("names", lambda: print(df.select(F.col("n") + 1, F.upper("w"), df.n * 2, F.lit(1), F.lit("x"), (F.col("n") > 1), ~(F.col("n") > 1), F.col("n").isNull(), F.when(F.col("n") > 1, 1).otherwise(0)).columns))
out("agg-names", lambda: print(df.groupBy("w").agg(F.count("*"), F.count("x"), F.sum("n"), F.avg("n"), F.mean("x"), F.min("n"), F.max("x"), F.countDistinct("n")).columns))
out("agg-show", lambda: df.groupBy("w").agg(F.sum("n"), F.avg("x"), F.count("*")).orderBy("w").show())
out("grouped-sum", lambda: df.groupBy("w").sum().orderBy("w").show())
out("dtypes", lambda: print(df.groupBy("w").agg(F.sum("n"), F.avg("n"), F.count("*"), F.max("n")).dtypes))
out("describe", lambda: df.describe().show())
out("window", lambda: c([(dt.datetime(2024, 1, 1, 0, 0, 7), 1)], "t TIMESTAMP, v BIGINT").groupBy(F.window("t", "10 seconds")).agg(F.sum("v")).show(truncate=False))
out("explode", lambda: print(c([("a b",)], "l STRING").select(F.explode(F.split("l", " "))).columns, c([("a b",)], "l STRING").select(F.split("l", " ")).columns))
out("null-lit", lambda: c([(1,)], "n INT").select(F.lit(None), F.lit(1.5), F.lit(True)).show())
out("rows", lambda: print(c([("a", 1)], "w STRING, n BIGINT").collect(), c([Row(p=Row(x=1))]).collect()))
out("count-col", lambda: df.groupBy("w").count().orderBy("w").show())

# ---- results of the DataFrame API (not formats) -----------------------------------------------
t = c([("to be or not", 3, 2.345, dt.datetime(2024, 3, 2, 13, 4, 5), [3, 1, 2]),
       ("a,b,,c", None, -1.5, dt.datetime(2024, 12, 31, 23, 59, 59), [])],
      "s STRING, n INT, x DOUBLE, t TIMESTAMP, a ARRAY<INT>")
out("split", lambda: print(t.select(F.split("s", " "), F.split("s", ","), F.split("s", " ", 2)).collect()))
out("regexp", lambda: print(t.select(F.regexp_replace("s", "o", "0"), F.regexp_extract("s", r"(\w+) (\w+)", 2), F.col("s").rlike("^to")).collect()))
out("strings", lambda: print(t.select(F.upper("s"), F.length("s"), F.substring("s", 2, 3), F.concat_ws("|", "s", F.lit("z")), F.concat("s", F.lit("!")), F.trim(F.lit("  x "))).collect()))
out("math", lambda: print(t.select(F.round("x", 2), F.bround("x", 2), F.floor("x"), F.ceil("x"), F.abs("x"), (F.col("n") / 2), (F.col("n") % 2), F.sqrt(F.lit(16))).collect()))
out("dates", lambda: print(t.select(F.date_format("t", "yyyy-MM-dd HH:mm:ss"), F.year("t"), F.month("t"), F.dayofmonth("t"), F.hour("t"), F.dayofweek("t"), F.to_date("t"), F.date_add("t", 1), F.datediff(F.lit(dt.date(2025, 1, 1)), "t")).collect()))
out("arrays", lambda: print(t.select(F.size("a"), F.array_contains("a", 1), F.sort_array("a"), F.col("a").getItem(0), F.element_at("a", 1)).collect()))
out("conditionals", lambda: print(t.select(F.when(F.col("n").isNull(), "none").when(F.col("n") > 2, "big").otherwise("small"), F.coalesce("n", F.lit(0)), F.col("n").isin(1, 3)).collect()))
out("casts", lambda: print(t.select(F.col("x").cast("int"), F.col("n").cast("string"), F.col("x").cast("bigint"), F.lit("12").cast("int")).collect()))
out("windows-sliding", lambda: print(t.groupBy(F.window("t", "1 hour", "30 minutes")).count().orderBy("window").collect()))
out("join-columns", lambda: print(c([("a", 1)], "k STRING, v INT").join(c([("a", 2)], "k STRING, w INT"), "k", "full").columns))
out("rank", lambda: print(c([("a", 1), ("a", 1), ("a", 3), ("b", 2)], "k STRING, v INT").select("k", "v", F.rank().over(Window.partitionBy("k").orderBy("v")).alias("r"), F.dense_rank().over(Window.partitionBy("k").orderBy("v")).alias("d"), F.lag("v").over(Window.partitionBy("k").orderBy("v")).alias("l")).orderBy("k", "v", "r").collect()))
out("fillna", lambda: print(t.fillna(0).select("n").collect(), t.fillna("?").select("s").collect()))
out("distinct-count", lambda: print(c([(1,), (1,), (None,)], "n INT").distinct().count(), c([(1,), (1,), (None,)], "n INT").agg(F.countDistinct("n")).collect()))
out("avg-int", lambda: print(c([(1,), (2,)], "n INT").agg(F.avg("n"), F.sum("n"), F.stddev("n")).collect()))
out("rounding", lambda: print(spark.range(1).select(F.round(F.lit(1.005), 2), F.bround(F.lit(2.345), 2), F.round(F.lit(2.5)), F.bround(F.lit(2.5)), F.round(F.lit(0.125), 2), F.round(F.lit(-2.5)), F.round(F.lit(15), -1)).collect()))
out("int-casts", lambda: print(c([(1.7, "1.7", "12", "x", -0.5)], "d DOUBLE, s STRING, i STRING, bad STRING, n DOUBLE").select(F.col("d").cast("int"), F.col("s").cast("int"), F.col("i").cast("bigint"), F.col("bad").cast("int"), F.col("n").cast("int"), (F.col("d") * 3).cast("int")).collect()))
out("nullable-agg", lambda: df.groupBy("w").agg(F.count("*"), F.sum("n"), F.countDistinct("n"), F.max("x")).printSchema())
out("nullable-count", lambda: df.groupBy("w").count().printSchema())
out("nullable-range", lambda: spark.range(3).withColumn("one", F.lit(1)).withColumn("s", F.col("id") + 1).withColumn("h", F.col("id") / 2).withColumn("z", F.lit(None).cast("int")).printSchema())
out("nullable-window", lambda: c([(dt.datetime(2024, 1, 1, 0, 0, 7), 1)], "t TIMESTAMP, v BIGINT").groupBy(F.window("t", "10 seconds")).agg(F.sum("v")).printSchema())
out("nullable-notnull", lambda: c([("a", 1)], "k STRING NOT NULL, v INT").join(c([("a", 2)], "k STRING NOT NULL, w INT NOT NULL"), "k").select("k", "v", "w", F.col("v").isNull().alias("isnull"), F.row_number().over(Window.orderBy("v")).alias("rn")).printSchema())
