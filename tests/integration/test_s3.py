"""Files and checkpoints on a real S3-compatible server (MinIO on loopback) through fsspec."""
from __future__ import annotations

import pytest

from dstreams import Context
from dstreams.errors import InputPathNotFoundError, StorageAccessError

pytestmark = pytest.mark.integration


def test_text_files_round_trip_through_s3(s3_env):
    bucket = s3_env
    with Context("local[2]", "s3-files") as ctx:
        ctx.parallelize([f"line {i}" for i in range(100)], 3).saveAsTextFile(f"s3://{bucket}/out")
        back = ctx.textFile(f"s3://{bucket}/out")
        assert sorted(back.collect()) == sorted(f"line {i}" for i in range(100))
        parts = ctx.wholeTextFiles(f"s3://{bucket}/out").collect()
        names = sorted(p.rsplit("/", 1)[1] for p, _ in parts)
        assert names == ["part-00000", "part-00001", "part-00002"]
        with pytest.raises(InputPathNotFoundError, match=f"s3://{bucket}/missing"):
            ctx.textFile(f"s3://{bucket}/missing").count()


def test_rdd_checkpoint_to_s3_in_local_cluster(s3_env, redis_server, monkeypatch):
    monkeypatch.setenv("DSTREAMS_REDIS_URL", redis_server.url)
    bucket = s3_env
    with Context("local-cluster[2]", "s3-ckpt") as ctx:
        ctx.setCheckpointDir(f"s3://{bucket}/ckpt")
        rdd = ctx.parallelize(range(50), 4).map(lambda x: (x % 5, x)).reduceByKey(lambda a, b: a + b)
        rdd.checkpoint()
        expected = sorted(rdd.collect())
        assert rdd.isCheckpointed()
        assert rdd.getCheckpointFile().startswith(f"s3://{bucket}/ckpt/")
        assert all(not d.is_shuffle for d in rdd.dependencies())  # lineage cut
        assert sorted(rdd.collect()) == expected
        # a new RDD reading the saved files (what a recovering driver does)
        again = ctx._checkpointFile(rdd.getCheckpointFile())
        assert sorted(again.collect()) == expected


def test_bad_s3_credentials_name_the_url(s3_env, monkeypatch):
    bucket = s3_env
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    import s3fs
    s3fs.S3FileSystem.clear_instance_cache()
    with Context("local[1]", "s3-bad") as ctx:
        with pytest.raises(StorageAccessError) as info:
            ctx.setCheckpointDir(f"s3://{bucket}/ckpt")
    msg = str(info.value)
    assert f"s3://{bucket}/ckpt" in msg and "endpoint http://127.0.0.1:" in msg
    s3fs.S3FileSystem.clear_instance_cache()


def test_unreachable_s3_endpoint_fails_fast_naming_it(monkeypatch):
    from tests.servers import free_port
    port = free_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    import s3fs
    s3fs.S3FileSystem.clear_instance_cache()
    with Context("local[1]", "s3-down") as ctx:
        with pytest.raises(StorageAccessError, match=f"127.0.0.1:{port}"):
            ctx.setCheckpointDir("s3://nowhere/ckpt")
    s3fs.S3FileSystem.clear_instance_cache()


def test_a_file_stream_with_bad_s3_credentials_fails_at_start(s3_env, monkeypatch):
    from dstreams.streaming import StreamingContext
    bucket = s3_env
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    import s3fs
    s3fs.S3FileSystem.clear_instance_cache()
    with Context("local[1]", "s3-stream-bad") as ctx:
        ssc = StreamingContext(ctx, 0.5)
        ssc.textFileStream(f"s3://{bucket}/in").count().pprint()
        with pytest.raises(StorageAccessError, match=f"cannot list s3://{bucket}/in"):
            ssc.start()
        ssc.stop(stopSparkContext=False)
    s3fs.S3FileSystem.clear_instance_cache()


def test_a_file_stream_on_an_empty_s3_prefix_starts(s3_env):
    """An object store has no directories: a prefix with no object yet is a valid input."""
    from dstreams.streaming import StreamingContext
    with Context("local[1]", "s3-stream-empty") as ctx:
        ssc = StreamingContext(ctx, 0.5)
        ssc.textFileStream(f"s3://{s3_env}/not-yet/").count().foreachRDD(lambda rdd: None)
        ssc.start()
        assert not ssc.awaitTerminationOrTimeout(0)
        ssc.stop(stopSparkContext=False)
