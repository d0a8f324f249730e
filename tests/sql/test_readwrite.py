"""spark.read / df.write to fsspec URLs: local directories, memory://, and S3 (a real MinIO)."""
from __future__ import annotations

import uuid

import pytest

from dstreams.sql import Row
from dstreams.sql.readwriter import PathExistsError, PathNotFoundError

ROWS = [Row(word="spark", n=2, score=1.5), Row(word="a,b", n=None, score=0.25)]


@pytest.fixture(scope="module")
def df(spark):
    return spark.createDataFrame(ROWS, "word STRING, n BIGINT, score DOUBLE")


@pytest.mark.parametrize("fmt", ["parquet", "json", "csv"])
def test_round_trip_through_a_directory(spark, df, tmp_path, fmt):
    out = str(tmp_path / f"out.{fmt}")
    if fmt == "csv":
        df.write.csv(out, header=True)
        back = spark.read.csv(out, header=True, inferSchema=True)
    else:
        getattr(df.write, fmt)(out)
        back = getattr(spark.read, fmt)(out)
    assert (tmp_path / f"out.{fmt}" / "_SUCCESS").exists()
    assert sorted(back.select("word", "n", "score").collect(), key=lambda r: r.word) == sorted(ROWS, key=lambda r: r.word)


def test_csv_defaults_are_spark_defaults(spark, tmp_path):
    p = tmp_path / "in.csv"
    p.write_text("word,n\na,1\nb,\n")
    df = spark.read.csv(str(p))
    assert df.columns == ["_c0", "_c1"] and df.dtypes == [("_c0", "string"), ("_c1", "string")]
    assert df.collect() == [Row(_c0="word", _c1="n"), Row(_c0="a", _c1="1"), Row(_c0="b", _c1=None)]
    typed = spark.read.csv(str(p), header=True, schema="word STRING, n INT")
    assert typed.dtypes == [("word", "string"), ("n", "int")] and typed.collect()[1] == Row(word="b", n=None)


def test_json_columns_sorted_and_text(spark, tmp_path):
    (tmp_path / "a.json").write_text('{"z": 1, "a": "x"}\n{"z": 2}\n')
    df = spark.read.json(str(tmp_path / "a.json"))
    assert df.columns == ["a", "z"] and df.collect() == [Row(a="x", z=1), Row(a=None, z=2)]
    (tmp_path / "t.txt").write_text("one line\ntwo\n")
    assert spark.read.text(str(tmp_path / "t.txt")).collect() == [Row(value="one line"), Row(value="two")]


def test_save_modes(spark, df, tmp_path):
    out = str(tmp_path / "o")
    df.write.parquet(out)
    with pytest.raises(PathExistsError, match="already exists"):
        df.write.parquet(out)
    df.write.mode("append").parquet(out)
    assert spark.read.parquet(out).count() == 4
    df.limit(1).write.mode("overwrite").parquet(out)
    assert spark.read.parquet(out).count() == 1
    df.write.mode("ignore").parquet(out)
    assert spark.read.parquet(out).count() == 1


def test_missing_input_path(spark, tmp_path):
    with pytest.raises(PathNotFoundError, match="Path does not exist"):
        spark.read.parquet(str(tmp_path / "nothing"))


def test_memory_filesystem(spark, df):
    url = f"memory://sql-test-{uuid.uuid4().hex}/out"
    df.write.json(url)
    assert spark.read.json(url).count() == 2


@pytest.mark.integration
def test_s3_round_trip(spark, df, monkeypatch):
    from tests.servers import S3Server
    server = S3Server()
    try:
        for k, v in server.env().items():
            monkeypatch.setenv(k, v)
        bucket = f"sql-{uuid.uuid4().hex[:8]}"
        server.make_bucket(bucket)
        url = f"s3://{bucket}/counts"
        df.write.parquet(url)
        back = spark.read.parquet(url)
        assert sorted(back.collect(), key=lambda r: r.word) == sorted(ROWS, key=lambda r: r.word)
    finally:
        server.stop()


def test_partitioned_write_and_read_back(spark, tmp_path):
    df = spark.createDataFrame([("a", 2026, 1), ("b", 2026, 2), ("c", 2025, 3), ("d", None, 4)],
                               "w STRING, year BIGINT, n BIGINT")
    out = tmp_path / "by_year"
    df.write.partitionBy("year").parquet(str(out))
    assert sorted(p.name for p in out.iterdir()) == ["_SUCCESS", "year=2025", "year=2026",
                                                      "year=__HIVE_DEFAULT_PARTITION__"]
    back = spark.read.parquet(str(out))
    assert back.columns == ["w", "n", "year"] and dict(back.dtypes)["year"] == "bigint"
    assert sorted(back.collect()) == [Row(w="a", n=1, year=2026), Row(w="b", n=2, year=2026),
                                      Row(w="c", n=3, year=2025), Row(w="d", n=4, year=None)]
    assert spark.read.parquet(str(out / "year=2025")).collect() == [Row(w="c", n=3)]
