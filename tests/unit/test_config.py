"""One settings object: the key table, Spark's names and units, precedence, and SparkConf."""
from __future__ import annotations

import pytest

from dstreams import ConfigError, Context, SparkConf
from dstreams.config import SETTINGS, Settings, set_launch_settings


def test_spark_names_mean_what_they_mean_in_spark() -> None:
    s = Settings.build({"spark.streaming.blockInterval": 100, "spark.ui.port": "4050",
                        "spark.streaming.backpressure.enabled": "true",
                        "spark.streaming.gracefulStopTimeout": "3s"}, environ={})
    assert s.value("dstreams.streaming.blockInterval") == pytest.approx(0.1)  # a bare number: ms, as in Spark
    assert s.value("spark.streaming.blockInterval") == pytest.approx(0.1)
    assert s.value("dstreams.ui.port") == 4050
    assert s.value("dstreams.streaming.backpressure.enabled") is True
    assert s.value("dstreams.streaming.gracefulStopTimeout") == 3.0
    # a dstreams time key takes seconds
    assert Settings.build({"dstreams.streaming.blockInterval": "0.5"}, environ={}).value(
        "dstreams.streaming.blockInterval") == 0.5


def test_the_dstreams_name_wins_over_sparks_and_defaults_apply() -> None:
    s = Settings.build({"spark.task.maxFailures": "7", "dstreams.task.maxFailures": "3"}, environ={})
    assert s.value("dstreams.task.maxFailures") == 3
    assert Settings.build({}, environ={}).value("dstreams.streaming.blockInterval") == 0.2
    assert not Settings.build({}, environ={}).is_set("dstreams.default.parallelism")


def test_precedence_environment_then_launch_then_program() -> None:
    env = {"DSTREAMS_CONF_dstreams.ui.port": "1111", "DSTREAMS_MASTER": "local[3]",
           "DSTREAMS_CONF_spark.app.name": "from-env"}
    assert Settings.build(None, environ=env).value("dstreams.ui.port") == 1111
    assert Settings.build(None, environ=env).value("dstreams.master") == "local[3]"
    set_launch_settings({"dstreams.ui.port": "2222"})
    try:
        assert Settings.build(None, environ=env).value("dstreams.ui.port") == 2222
        assert Settings.build({"spark.ui.port": 3333}, environ=env).value("dstreams.ui.port") == 3333
    finally:
        set_launch_settings({})
    # the program's Spark name replaces the environment's dstreams name
    assert Settings.build({"spark.app.name": "mine"}, environ={"DSTREAMS_APP_NAME": "env"}).value(
        "dstreams.app.name") == "mine"


def test_a_bad_value_names_the_key_and_unknown_keys_are_kept() -> None:
    with pytest.raises(ConfigError, match=r"spark\.ui\.port = 'eighty': expected a whole number"):
        Settings.build({"spark.ui.port": "eighty"}, environ={})
    with pytest.raises(ConfigError, match="blockInterval.*a duration"):
        Settings.build({"dstreams.streaming.blockInterval": "soon"}, environ={})
    s = Settings.build({"spark.sql.shuffle.partitions": "8", "myapp.threshold": "3"}, environ={})
    assert s["spark.sql.shuffle.partitions"] == "8" and s.get("myapp.threshold") == "3"
    with pytest.raises(KeyError, match="not a dstreams setting"):
        s.value("spark.sql.shuffle.partitions")
    with pytest.raises(TypeError):
        s["x"] = 1  # type: ignore[index]


def test_every_setting_is_documented_and_spark_names_are_unique() -> None:
    assert all(x.doc and x.key.startswith("dstreams.") for x in SETTINGS)
    spark = [x.spark for x in SETTINGS if x.spark]
    assert len(spark) == len(set(spark)) and all(n.startswith("spark.") for n in spark)


def test_sparkconf_has_pysparks_methods() -> None:
    conf = SparkConf().setAppName("a").setMaster("local[1]").setAll([("k1", 1), ("k2", "v")])
    conf.setIfMissing("k1", "other").setExecutorEnv("PATHX", "/x")
    assert conf.get("k1") == "1" and conf.get("nope") is None and conf.contains("k2")
    assert ("spark.executorEnv.PATHX", "/x") in conf.getAll()
    assert conf.toDebugString().splitlines()[0] == "k1=1"
    with pytest.raises(ValueError):
        conf.setExecutorEnv()


def test_context_takes_a_sparkconf_and_returns_its_conf() -> None:
    conf = SparkConf().setMaster("local[2]").setAppName("conf-app").set("spark.default.parallelism", "3") \
        .set("spark.unknown.thing", "kept")
    with Context(conf=conf) as ctx:
        assert (ctx.master, ctx.appName, ctx.defaultParallelism) == ("local[2]", "conf-app", 3)
        got = ctx.getConf()
        assert got.get("spark.app.name") == "conf-app" and got.get("spark.unknown.thing") == "kept"
        assert got.get("spark.app.id") == ctx.applicationId
        assert ctx.parallelize(range(10)).getNumPartitions() == 3
    with pytest.raises(ConfigError, match="spark.task.maxFailures"):
        Context("local[1]", conf={"spark.task.maxFailures": "many"})
    assert Context._active is None
