"""The PostgreSQL sink against a real server: one transaction per batch, a re-run batch writes
nothing, upserts by key, and named errors for an unreachable database or refused rows."""
from __future__ import annotations

import datetime

import pytest

from dstreams.sql import DatabaseUnreachableError, SinkWriteError
from dstreams.sql.postgres import PostgresSink
from tests.servers import free_port

pytestmark = pytest.mark.integration

T1 = datetime.datetime(2026, 12, 1, 12, 0, 1)
T2 = datetime.datetime(2026, 12, 1, 12, 0, 2)


def counts(spark, pairs):
    return spark.createDataFrame(pairs, "word STRING, n BIGINT")


def test_append_writes_a_batch_once(spark, postgres, pg_table):
    sink = PostgresSink(postgres.url, pg_table, batchTimeColumn="batch_time")
    assert sink.write(counts(spark, [("a", 2), ("b", 1)]), T1) is True
    # the same batch again (a retry, or a re-run after recovery): nothing is written
    assert sink.write(counts(spark, [("a", 2), ("b", 1)]), T1) is False
    assert sink.write(counts(spark, [("a", 5)]), T2) is True
    rows = postgres.query(f'SELECT word, n, batch_time FROM "{pg_table}" ORDER BY batch_time, word')
    assert rows == [("a", 2, T1), ("b", 1, T1), ("a", 5, T2)]
    progress = postgres.query("SELECT batch_time_ms, num_rows, target_table FROM dstreams_sink_progress "
                              "WHERE sink_id = %s ORDER BY 1", (pg_table,))
    assert progress == [(int(T1.timestamp() * 1000), 2, pg_table), (int(T2.timestamp() * 1000), 1, pg_table)]
    assert sink.committed(T1) and not sink.committed(T2 + datetime.timedelta(seconds=1))


def test_upsert_keeps_the_latest_value_per_key_and_skips_reruns(spark, postgres, pg_table):
    sink = PostgresSink(postgres.url, pg_table, mode="upsert", key="word")
    sink.write(counts(spark, [("a", 1), ("b", 1)]), T1)
    sink.write(counts(spark, [("a", 3), ("c", 1)]), T2)
    assert sink.write(counts(spark, [("a", 1), ("b", 1)]), T1) is False  # an old batch re-run: no rollback of a
    assert postgres.query(f'SELECT word, n FROM "{pg_table}" ORDER BY word') == [("a", 3), ("b", 1), ("c", 1)]


def test_two_sinks_on_one_table_need_their_own_ids(spark, postgres, pg_table):
    a = PostgresSink(postgres.url, pg_table, sinkId=f"{pg_table}-a")
    b = PostgresSink(postgres.url, pg_table, sinkId=f"{pg_table}-b")
    assert a.write(counts(spark, [("x", 1)]), T1) and b.write(counts(spark, [("y", 1)]), T1)
    assert postgres.query(f'SELECT word FROM "{pg_table}" ORDER BY word') == [("x",), ("y",)]


def test_refused_rows_roll_back_the_whole_batch(spark, postgres, pg_table):
    sink = PostgresSink(postgres.url, pg_table, mode="upsert", key="word")
    sink.write(counts(spark, [("a", 1)]), T1)
    with pytest.raises(SinkWriteError, match=rf"batch {int(T2.timestamp() * 1000)} for table {pg_table}.*rolled back"):
        sink.write(counts(spark, [("b", 1), ("b", 2)]), T2)  # one key twice in a batch: refused
    assert postgres.query(f'SELECT word, n FROM "{pg_table}"') == [("a", 1)]
    assert not sink.committed(T2)  # so the batch is written when it runs again
    assert sink.write(counts(spark, [("b", 2)]), T2) is True


def test_unreachable_database_names_it_without_the_password(spark):
    port = free_port()
    sink = PostgresSink(f"postgresql://app:s3cret@127.0.0.1:{port}/metrics", "t", connectTimeout=2)
    with pytest.raises(DatabaseUnreachableError) as info:
        sink.write(counts(spark, [("a", 1)]), T1)
    msg = str(info.value)
    assert f"127.0.0.1:{port}/metrics" in msg and "app" in msg and "s3cret" not in msg
    assert "s3cret" not in repr(sink)


def test_write_jdbc(spark, postgres, pg_table):
    df = counts(spark, [("a", 1), ("b", 2)])
    df.write.jdbc(f"jdbc:{postgres.url}", pg_table, mode="append")
    df.write.jdbc(postgres.url, pg_table, mode="append")
    assert postgres.query(f'SELECT count(*) FROM "{pg_table}"') == [(4,)]
    df.limit(1).write.jdbc(postgres.url, pg_table, mode="overwrite")
    assert postgres.query(f'SELECT count(*) FROM "{pg_table}"') == [(1,)]


def test_nested_types_land_in_matching_columns(spark, postgres, pg_table):
    from dstreams.sql import Row
    df = spark.createDataFrame([Row(tags=["a", "b"], attrs={"k": 1}, price=1.5, day=datetime.date(2026, 1, 2))])
    PostgresSink(postgres.url, pg_table).write(df, T1)
    assert postgres.query(f'SELECT tags, attrs, price, day FROM "{pg_table}"') == [
        (["a", "b"], {"k": 1}, 1.5, datetime.date(2026, 1, 2))]


def test_bad_sql_in_a_batch_stops_the_stream_with_a_parse_error_and_writes_nothing(ctx, postgres, pg_table):
    from dstreams.sql import ParseException, SparkSession
    from tests.sql.kit import BatchRunner
    sink = PostgresSink(postgres.url, pg_table)
    queries = iter(["SELECT word, count(*) AS n FROM words GROUP BY word",
                    "SELECT word, count(*) AS n FROM words GROUP BY"])  # the second batch's is broken
    runner = BatchRunner(ctx)
    try:
        lines = runner.ssc.queueStream([ctx.parallelize(["a b a"]), ctx.parallelize(["c"])])

        def process(time, rdd):
            spark = SparkSession.builder.getOrCreate()
            spark.createDataFrame(rdd.flatMap(str.split), "word STRING").createOrReplaceTempView("words")
            sink.write(spark.sql(next(queries)), time)

        lines.foreachRDD(process)
        with pytest.raises(ParseException, match="syntax error"):
            runner.run(2)
    finally:
        runner.stop()
    assert sorted(postgres.query(f'SELECT word, n FROM "{pg_table}"')) == [("a", 2), ("b", 1)]
    assert postgres.query("SELECT count(*) FROM dstreams_sink_progress WHERE sink_id = %s", (pg_table,)) == [(1,)]


def test_save_stream_writes_every_batch_once(ctx, postgres, pg_table):
    from tests.sql.kit import BatchRunner
    sink = PostgresSink(postgres.url, pg_table, mode="upsert", key="word")
    runner = BatchRunner(ctx)
    try:
        pairs = runner.ssc.queueStream([[("a", 1), ("b", 2)], [], [("a", 5)]])
        sink.saveStream(pairs, schema="word STRING, n BIGINT")
        runner.run(3)
    finally:
        runner.stop()
    assert postgres.query(f'SELECT word, n FROM "{pg_table}" ORDER BY word') == [("a", 5), ("b", 2)]
    # the empty batch was recorded too (a schema was given), so all three are known as written
    assert postgres.query("SELECT count(*) FROM dstreams_sink_progress WHERE sink_id = %s", (pg_table,)) == [(3,)]


def test_two_writers_of_one_batch_write_it_once(spark, postgres, pg_table):
    """Two drivers (here: threads with their own connections) writing the same batch at once: the
    second waits on the progress row's key, then skips."""
    import threading
    df = counts(spark, [("a", 1), ("b", 2)])
    PostgresSink(postgres.url, pg_table).write(counts(spark, [("z", 0)]), T1)  # the table exists
    results: list = []
    barrier = threading.Barrier(2)

    def writer():
        sink = PostgresSink(postgres.url, pg_table)
        barrier.wait()
        results.append(sink.write(df, T2))

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [False, True]
    assert postgres.query(f'SELECT word, n FROM "{pg_table}" WHERE word <> %s ORDER BY word', ("z",)) == [
        ("a", 1), ("b", 2)]
