"""A worker process of the ``local-processes[N]`` master: runs tasks sent by the driver over a pipe.

The driver holds every block and shuffle output in its memory; a worker reads and writes them
through the same pipe (a request, then the driver's answer), so the worker keeps nothing a
later task needs and a worker that dies loses only its running task. Messages are pickles:

    driver -> worker   ("task", task_id, stage_key, payload | None, drop_keys, stage, partition, attempt)
                       ("reply", ok, value)   the answer to the worker's last request
                       ("stop",)
    worker -> driver   ("ready", pid) once, ("result", task_id, result_blob), ("call", op, *args)

Started by dstreams.executor.processes as ``python -m dstreams.executor.process_worker FD ID APP``,
with ``DSTREAMS_PARENT_PID`` set so that it dies with the driver (spawner.follow_parent).
"""
from __future__ import annotations

import logging
import os
import pickle
import sys
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

from ..scheduler.task import encode_result, run_shipped_task
from ..storage.blocks import BlockStore
from ..storage.shuffle import ShuffleStore
from ..taskcontext import ExecutorEnv
from .spawner import follow_parent

__all__ = ["DriverChannel", "ProxyBlockStore", "ProxyShuffleStore", "main"]

log = logging.getLogger("dstreams.worker")
_P = 5


class DriverChannel:
    """Requests from a worker to the driver's stores, answered in order on the same pipe."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._lock = threading.Lock()  # user code may start threads that read blocks

    def call(self, op: str, *args: Any) -> Any:
        with self._lock:
            self.conn.send_bytes(pickle.dumps(("call", op, *args), protocol=_P))
            kind, ok, value = pickle.loads(self.conn.recv_bytes())
        if kind != "reply":  # pragma: no cover - a protocol bug, not a user error
            raise RuntimeError(f"dstreams worker expected a reply from the driver, got {kind!r}")
        if not ok:
            raise value
        return value


class ProxyBlockStore(BlockStore):
    """The driver's block store seen from a worker: values travel pickled."""

    def __init__(self, channel: DriverChannel) -> None:
        self.ch = channel

    def put(self, block_id: str, values: list) -> None:
        self.ch.call("bput", block_id, pickle.dumps(values, protocol=_P))

    def get(self, block_id: str) -> list | None:
        blob = self.ch.call("bget", block_id)
        return None if blob is None else pickle.loads(blob)

    def contains(self, block_id: str) -> bool:
        return self.ch.call("bhas", [block_id])

    def contains_all(self, block_ids: list[str]) -> bool:
        return self.ch.call("bhas", list(block_ids))

    def remove(self, block_id: str) -> None:
        self.ch.call("bdel", [block_id])

    def remove_many(self, block_ids: list[str]) -> None:
        self.ch.call("bdel", list(block_ids))

    def block_ids(self) -> list[str]:
        return self.ch.call("bids")


class ProxyShuffleStore(ShuffleStore):
    """The driver's shuffle store seen from a worker: buckets travel as pickled bytes."""

    keeps_objects = False

    def __init__(self, channel: DriverChannel) -> None:
        self.ch = channel

    def write(self, shuffle_id: int, map_id: int, buckets: list[bytes]) -> None:
        self.ch.call("swrite", shuffle_id, map_id, buckets)

    def read(self, shuffle_id: int, map_id: int, reduce_id: int) -> bytes:
        return self.ch.call("sread", shuffle_id, map_id, reduce_id)

    def read_many(self, shuffle_id: int, num_maps: int, reduce_id: int) -> Iterator[bytes]:
        yield from self.ch.call("sreadmany", shuffle_id, num_maps, reduce_id)

    def has_output(self, shuffle_id: int, map_id: int) -> bool:
        return self.ch.call("shas", shuffle_id, map_id)

    def remove_shuffle(self, shuffle_id: int) -> None:
        self.ch.call("sdel", shuffle_id)

    def shuffle_ids(self) -> list[int]:
        return self.ch.call("sids")


def serve(conn: Connection, worker_id: str, app_id: str) -> None:
    """Run the driver's tasks one at a time until it says stop or the pipe closes."""
    channel = DriverChannel(conn)
    env = ExecutorEnv(app_id, ProxyBlockStore(channel), ProxyShuffleStore(channel), executor_id=worker_id)
    stages: dict[str, Any] = {}
    conn.send_bytes(pickle.dumps(("ready", os.getpid()), protocol=_P))
    while True:
        try:
            msg = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return  # the driver is gone
        if msg[0] == "stop":
            return
        _, task_id, key, payload, drop, stage_id, partition, attempt = msg
        for k in drop:
            stages.pop(k, None)
        if payload is not None:
            stages[key] = payload

        def load_stage(key: str = key) -> tuple:
            stage = stages[key]
            if type(stage) is bytes:  # unpickled on first use, inside the task's error handling
                stage = stages[key] = pickle.loads(stage)
            return stage

        res = run_shipped_task(load_stage, stage_id, partition, attempt, env)
        conn.send_bytes(pickle.dumps(("result", task_id, encode_result(res)), protocol=_P))


def main(argv: list[str]) -> int:
    """Run a local-processes worker on the socket passed by the driver; return the exit code."""
    fd, worker_id, app_id = int(argv[0]), argv[1], argv[2]
    if not follow_parent():
        return 1  # the driver died before this process asked to die with it
    logging.basicConfig(level=os.environ.get("DSTREAMS_LOG_LEVEL", "WARNING").upper(),
                        format=f"%(asctime)s %(levelname)s [{worker_id}] %(name)s: %(message)s")
    conn = Connection(fd)
    try:
        serve(conn, worker_id, app_id)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
