"""Receivers on executors (cluster modes), as Spark runs them: one long task per receiver.

The driver submits a one-partition job whose task runs the receiver's supervisor on an
executor until the driver asks it to stop. Blocks go to the executor's block store (Redis, so
they survive the executor) and their ids are reported through the backend's
:class:`~dstreams.scheduler.backend.ReceiverChannel`, which the driver drains when it assigns
blocks to a batch. If the executor dies, the scheduler resubmits the task and the receiver
starts again on another executor; what was already reported is kept. A receiver also stops when
its driver's session ends (a new driver of the same app starts its own receivers).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ..scheduler.backend import ReceiverChannel, SchedulerBackend
from .receiver import Receiver
from .supervisor import ReceiverSupervisor

__all__ = ["RemoteReceivers", "run_receiver"]

log = logging.getLogger("dstreams.streaming")

POLL_S = 0.1


def run_receiver(tc: Any, it: Iterator) -> int:
    """Task body: run one receiver until told to stop; return the number of blocks stored."""
    receiver, stream_id, name, block_interval, restart_delay, session, channel = next(iter(it))
    count = [0]

    def report(sid: int, block_id: str, n: int) -> None:
        channel.report(sid, block_id, n)
        count[0] += 1

    sup = ReceiverSupervisor(receiver, stream_id, f"{name}@{tc.env.executor_id}", tc.env.block_store, report,
                             lambda event: None, block_interval, restart_delay)
    sup.start()
    stop = threading.Event()
    try:
        while not stop.wait(POLL_S):
            if channel.should_stop(session):
                break
    finally:
        sup.stop()
    return count[0]


class RemoteReceivers:
    """Driver side: starts receiver tasks and hands out the blocks they reported."""

    def __init__(self, ctx: Any, backend: SchedulerBackend, channel: ReceiverChannel) -> None:
        self.ctx = ctx
        self.backend = backend
        self.channel = channel
        self._threads: list[threading.Thread] = []
        channel.open(backend.session)

    def start(self, receiver: Receiver, stream_id: int, name: str, block_interval: float, restart_delay: float,
              on_error: Callable[[BaseException], None]) -> None:
        spec = (receiver, stream_id, name, block_interval, restart_delay, self.backend.session, self.channel)
        rdd = self.ctx.parallelize([spec], 1)

        def run() -> None:
            try:
                self.ctx._run_job(rdd, run_receiver, None, checkpoint=False, long_running=True)
            except Exception as exc:  # noqa: BLE001 - reported to listeners, the stream goes on
                if not self.backend.stopping:
                    log.error("receiver %s failed: %s", name, exc)
                    on_error(exc)

        t = threading.Thread(target=run, name=f"dstreams-receiver-job-{stream_id}", daemon=True)
        self._threads.append(t)
        t.start()

    def take_blocks(self, stream_id: int) -> list[tuple[str, int]]:
        return self.channel.take_blocks(stream_id)

    def stop(self, timeout: float = 30.0) -> None:
        """Ask every receiver of this driver to stop, and wait for their last blocks."""
        self.channel.close(self.backend.session)
        for t in self._threads:
            t.join(timeout)
