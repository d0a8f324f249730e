"""A real single-node Kafka broker (KRaft, broker+controller) on loopback ports, for tests.

The jars come from tests/kafka/fetch-kafka.sh (Maven Central, cached under
~/.cache/dstreams/tools/kafka/<version>/libs). Nothing is mocked; if Java or the jars cannot
be had the test session fails with the reason."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from tests.servers import free_port, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
VERSION = os.environ.get("DSTREAMS_KAFKA_VERSION", "4.1.1")


def kafka_libs() -> str:
    """The directory of the broker jars, fetched by fetch-kafka.sh if not cached yet."""
    if shutil.which("java") is None:
        pytest.fail("java is not installed: Kafka's broker needs Java 17+ (apt-get install openjdk-17-jre-headless)",
                    pytrace=False)
    proc = subprocess.run(["bash", os.path.join(HERE, "fetch-kafka.sh")], capture_output=True, text=True,
                          env={**os.environ, "DSTREAMS_KAFKA_VERSION": VERSION}, timeout=900)
    if proc.returncode != 0:
        pytest.fail(f"tests/kafka/fetch-kafka.sh could not fetch Kafka {VERSION}'s jars:\n{proc.stderr[-3000:]}",
                    pytrace=False)
    return proc.stdout.strip().splitlines()[-1]


class KafkaBroker:
    """One KRaft node on 127.0.0.1 (PLAINTEXT port ``port``, controller on another port)."""

    def __init__(self) -> None:
        self.libs = kafka_libs()
        self.dir = tempfile.mkdtemp(prefix="dstreams-test-kafka-")
        self.port = free_port()
        self.controller_port = free_port()
        self.props = os.path.join(self.dir, "server.properties")
        with open(self.props, "w") as f:
            f.write("\n".join([
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                f"log.dirs={os.path.join(self.dir, 'data')}",
                "num.partitions=1",
                "auto.create.topics.enable=false",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "",
            ]))
        self.log = os.path.join(self.dir, "broker.log")
        self.proc: subprocess.Popen | None = None
        self._format()
        self.start()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _java(self, main: str, *args: str) -> list[str]:
        return ["java", "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true", "-cp", os.path.join(self.libs, "*"), main, *args]

    def _format(self) -> None:
        cluster_id = uuid.uuid4()
        import base64
        cid = base64.urlsafe_b64encode(cluster_id.bytes).decode().rstrip("=")
        proc = subprocess.run(self._java("kafka.tools.StorageTool", "format", "-t", cid, "-c", self.props),
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            pytest.fail(f"kafka storage format failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}", pytrace=False)

    def start(self) -> None:
        out = open(self.log, "ab")
        self.proc = subprocess.Popen(self._java("kafka.Kafka", self.props), stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        from confluent_kafka.admin import AdminClient
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})

        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"the Kafka broker exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                md = admin.list_topics(timeout=1)
            except Exception:  # noqa: BLE001 - not up yet
                return False
            return bool(md.brokers)

        try:
            wait_until(up, 90, f"the Kafka broker on {self.bootstrap}", interval=0.2)
        except AssertionError as exc:
            self.stop()
            pytest.fail(f"{exc}\n{self.tail()}", pytrace=False)

    def tail(self) -> str:
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def create_topic(self, name: str, partitions: int) -> None:
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        futures = admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=30)
        futures[name].result(timeout=60)

        def ready() -> bool:
            md = admin.list_topics(name, timeout=5)
            t = md.topics.get(name)
            return t is not None and t.error is None and len(t.partitions) == partitions and all(
                p.leader >= 0 for p in t.partitions.values())
        wait_until(ready, 60, f"topic {name} to have {partitions} led partitions", interval=0.1)

    def add_partitions(self, name: str, total: int) -> None:
        from confluent_kafka.admin import AdminClient, NewPartitions
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_partitions([NewPartitions(name, total)])[name].result(timeout=60)

    def produce(self, topic: str, records: list[tuple[str | None, str]], partition: int | None = None) -> None:
        """Produce ``records`` ((key, value)) and wait until every one is acknowledged."""
        from confluent_kafka import Producer
        p = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True, "linger.ms": 5})
        errors = []

        def done(err, msg):
            if err is not None:
                errors.append(err)
        for k, v in records:
            kwargs = {} if partition is None else {"partition": partition}
            p.produce(topic, value=v, key=k, on_delivery=done, **kwargs)
            p.poll(0)
        left = p.flush(60)
        assert left == 0 and not errors, (left, errors)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
