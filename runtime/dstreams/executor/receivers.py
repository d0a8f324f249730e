"""Receivers on executors (cluster modes), as Spark runs them: one long task per receiver.

The driver submits a one-partition job whose task runs the receiver's supervisor on an
executor until the driver asks it to stop. Blocks go straight to the Redis block store (so
they survive the executor), and their ids are reported through the Redis list
``dstreams:{app}:received:{streamId}``, which the driver drains when it assigns blocks to a
batch. If the executor dies, the scheduler resubmits the task and the receiver starts again on
another executor; what was already reported is kept. A receiver also stops when its driver's
session ends (a new driver of the same app starts its own receivers).
"""
from __future__ import annotations

import logging
import pickle
import threading
from collections.abc import Iterator
from typing import Any

from .protocol import Keys

__all__ = ["RemoteReceivers", "run_receiver"]

log = logging.getLogger("dstreams.streaming")

POLL_S = 0.1


def run_receiver(tc: Any, it: Iterator) -> int:
    """Task body: run one receiver until told to stop; return the number of blocks stored."""
    from ..sources.receiver import ReceiverSupervisor

    receiver, stream_id, name, block_interval, restart_delay, session = next(iter(it))
    store = tc.env.block_store
    r = store.r
    keys = Keys(tc.env.app_id)
    received = keys.received(stream_id)
    count = [0]

    def report(sid: int, block_id: str, n: int) -> None:
        r.rpush(received, pickle.dumps((block_id, n), protocol=5))
        count[0] += 1

    sup = ReceiverSupervisor(receiver, stream_id, f"{name}@{tc.env.executor_id}", store, report,
                             lambda event: None, block_interval, restart_delay)
    sup.start()
    stop = threading.Event()
    try:
        while not stop.wait(POLL_S):
            try:
                stop_for = r.get(keys.receivers_stop)
                owner = r.get(keys.driver)
            except Exception as exc:  # noqa: BLE001 - Redis restarting: keep receiving
                log.warning("receiver %s: cannot reach Redis: %s", name, exc)
                continue
            if stop_for is not None and stop_for.decode() == session:
                break
            if owner is not None and owner.decode() != session:
                log.warning("receiver %s: its driver was replaced; stopping", name)
                break
    finally:
        sup.stop()
    return count[0]


class RemoteReceivers:
    """Driver side: starts receiver tasks and hands out the blocks they reported."""

    def __init__(self, ctx: Any, backend: Any) -> None:
        self.ctx = ctx
        self.backend = backend
        self.r = backend.r
        self.keys = backend.keys
        self._threads: list[threading.Thread] = []
        self.r.delete(self.keys.receivers_stop)

    def start(self, receiver: Any, stream_id: int, name: str, block_interval: float, restart_delay: float,
              on_error: Any) -> None:
        spec = (receiver, stream_id, name, block_interval, restart_delay, self.backend.session)
        rdd = self.ctx.parallelize([spec], 1)

        def run() -> None:
            try:
                self.ctx._run_job(rdd, run_receiver, None, checkpoint=False)
            except Exception as exc:  # noqa: BLE001 - reported to listeners, the stream goes on
                if not self.backend.stopping:
                    log.error("receiver %s failed: %s", name, exc)
                    on_error(exc)

        t = threading.Thread(target=run, name=f"dstreams-receiver-job-{stream_id}", daemon=True)
        self._threads.append(t)
        t.start()

    def take_blocks(self, stream_id: int) -> list[tuple[str, int]]:
        pipe = self.r.pipeline(transaction=True)
        key = self.keys.received(stream_id)
        pipe.lrange(key, 0, -1)
        pipe.delete(key)
        items, _ = pipe.execute()
        return [pickle.loads(b) for b in items]

    def stop(self, timeout: float = 30.0) -> None:
        """Ask every receiver of this driver to stop, and wait for their last blocks."""
        self.r.set(self.keys.receivers_stop, self.backend.session)
        for t in self._threads:
            t.join(timeout)
