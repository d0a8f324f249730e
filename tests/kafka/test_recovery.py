"""Offsets in the metadata checkpoint: a context stopped in the middle of its batches and
recreated with getOrCreate re-reads exactly the ranges of the pending batches, then goes on
from the last until offsets; every record is output once."""
from __future__ import annotations

import json
import os

import pytest

from dstreams import Context
from dstreams.kafka import KafkaUtils
from dstreams.streaming import StreamingContext
from tests.servers import wait_until

pytestmark = pytest.mark.integration


def make_setup(ck: str, out_dir: str, bootstrap: str, topic: str, ctx):
    """A setup function writing each batch's ranges and records to out_dir/<time>.json, and
    failing (before writing) the batches for which out_dir/fail-<n> exists."""

    def setup() -> StreamingContext:
        ssc = StreamingContext(ctx, 0.5)
        ssc.checkpoint(ck)
        stream = KafkaUtils.createDirectStream(
            ssc, [topic], {"bootstrap.servers": bootstrap, "auto.offset.reset": "earliest"})

        def out(t, rdd):
            ranges = [list(r) for r in rdd.offsetRanges()]
            records = sorted(v for _, v in rdd.collect())
            ms = int(t.timestamp() * 1000)
            if records and os.path.exists(os.path.join(out_dir, "fail")):
                with open(os.path.join(out_dir, f"failed-{ms}.json"), "w") as f:
                    json.dump(ranges, f)
                raise RuntimeError("the driver dies here")
            with open(os.path.join(out_dir, f"{ms}.json.tmp"), "w") as f:
                json.dump({"ranges": ranges, "records": records}, f)
            os.replace(os.path.join(out_dir, f"{ms}.json.tmp"), os.path.join(out_dir, f"{ms}.json"))

        stream.foreachRDD(out)
        return ssc
    return setup


def outputs(out_dir: str) -> dict[int, dict]:
    found = {}
    for name in os.listdir(out_dir):
        if name.endswith(".json") and not name.startswith("failed-"):
            with open(os.path.join(out_dir, name)) as f:
                found[int(name[:-5])] = json.load(f)
    return found


@pytest.fixture(scope="module")
def ctx():
    # 2 records per partition and batch
    c = Context("local[2]", "kafka-recovery", conf={"spark.streaming.kafka.maxRatePerPartition": 4})
    yield c
    c.stop()


def test_recovery_rereads_the_same_ranges(kafka_broker, topic_name, ctx, tmp_path):
    kafka_broker.create_topic(topic_name, 3)
    ck, out_dir = str(tmp_path / "ck"), str(tmp_path / "out")
    os.makedirs(out_dir)
    setup = make_setup(ck, out_dir, kafka_broker.bootstrap, topic_name, ctx)
    first = StreamingContext.getOrCreate(ck, setup)
    first.start()
    for p in range(3):
        kafka_broker.produce(topic_name, [(None, f"{p}-{i}") for i in range(10)], partition=p)
    wait_until(lambda: sum(len(o["records"]) for o in outputs(out_dir).values()) >= 6, 60,
               "the first batches with records")
    open(os.path.join(out_dir, "fail"), "w").close()
    wait_until(lambda: [n for n in os.listdir(out_dir) if n.startswith("failed-")], 60, "the failing batch")
    first.stop(stopSparkContext=False, stopGraceFully=False)
    os.remove(os.path.join(out_dir, "fail"))
    failed = [n for n in os.listdir(out_dir) if n.startswith("failed-")][0]
    failed_ms = int(failed[len("failed-"):-5])
    with open(os.path.join(out_dir, failed)) as f:
        failed_ranges = json.load(f)
    before = outputs(out_dir)

    second = StreamingContext.getOrCreate(ck, lambda: pytest.fail("the checkpoint was not used"))
    second.start()
    try:
        wait_until(lambda: sum(len(o["records"]) for o in outputs(out_dir).values()) >= 30, 60,
                   "all 30 records")
    finally:
        second.stop(stopSparkContext=False, stopGraceFully=False)
    after = outputs(out_dir)
    assert failed_ms in after and failed_ms not in before
    assert after[failed_ms]["ranges"] == failed_ranges          # the same ranges, read again
    records = [r for o in after.values() for r in o["records"]]
    assert sorted(records) == sorted(f"{p}-{i}" for p in range(3) for i in range(10))  # each once
    # the ranges of all batches tile [0, 10) of each partition, at most 2 records each
    for p in range(3):
        rs = sorted((r[2], r[3]) for o in after.values() for r in o["ranges"] if r[1] == p and r[3] > r[2])
        assert rs[0][0] == 0 and rs[-1][1] == 10
        assert all(a[1] == b[0] for a, b in zip(rs, rs[1:])) and all(u - f <= 2 for f, u in rs)
