"""Receivers: long-running sources that push data into the block store.

Write a custom source by subclassing :class:`Receiver` (Spark's ``Receiver`` API):
``onStart()`` starts the threads that read data and must return quickly; they call
``store(item)`` for each record and exit when ``isStopped()`` turns true; ``onStop()`` releases
what ``onStart()`` opened. ``restart(message)`` stops and restarts the receiver after a delay
(e.g. when a connection drops). A receiver object must be picklable before ``onStart()`` (it is
shipped to where it runs).

Stored records are cut into blocks every block interval (conf ``dstreams.streaming.blockInterval``,
default 0.2 s); each block goes to the block store as ``input-<streamId>-<time ms>-<seq>`` and
is assigned to the next batch. A batch's RDD has one partition per block.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..storagelevel import StorageLevel

if TYPE_CHECKING:
    from .supervisor import ReceiverSupervisor

__all__ = ["Receiver"]


class Receiver:
    """Base class of custom sources.

    Examples
    --------
    >>> class Counter(Receiver):
    ...     def onStart(self):
    ...         threading.Thread(target=self._run, daemon=True).start()
    ...     def _run(self):
    ...         n = 0
    ...         while not self.isStopped():
    ...             self.store(n); n += 1; time.sleep(0.01)
    ...     def onStop(self):
    ...         pass
    >>> stream = ssc.receiverStream(Counter())                      # doctest: +SKIP
    """

    def __init__(self, storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2) -> None:
        self.storageLevel = storageLevel
        self.streamId: int | None = None
        self._supervisor: ReceiverSupervisor | None = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_supervisor"] = None
        return state

    # -- to implement ----------------------------------------------------------------------
    def onStart(self) -> None:
        """Start receiving: open connections and start threads, then return."""
        raise NotImplementedError

    def onStop(self) -> None:
        """Stop receiving: close what onStart opened (the threads see ``isStopped()``)."""
        raise NotImplementedError

    def preferredLocation(self) -> str | None:
        """Where the receiver should run (None: anywhere)."""
        return None

    # -- to call ---------------------------------------------------------------------------
    def _sup(self) -> ReceiverSupervisor:
        if self._supervisor is None:
            raise RuntimeError("this receiver is not running: store/restart/stop work after onStart()")
        return self._supervisor

    def store(self, dataItem: Any) -> None:
        """Store one record (it joins the current block)."""
        self._sup().push_single(dataItem)

    def storeMany(self, dataItems: Iterable[Any]) -> None:
        """Store several records at once, as one block of their own."""
        self._sup().push_block(list(dataItems))

    def isStopped(self) -> bool:
        """Whether the receiver has been stopped (its threads should return)."""
        sup = self._supervisor
        return sup is None or sup.is_receiver_stopped()

    def isStarted(self) -> bool:
        sup = self._supervisor
        return sup is not None and sup.is_receiver_started()

    def restart(self, message: str, error: BaseException | None = None, delay: float | None = None) -> None:
        """Stop the receiver, wait ``delay`` seconds (default conf
        ``dstreams.streaming.receiverRestartDelay``, 2 s) and start it again, asynchronously."""
        self._sup().restart_receiver(message, error, delay)

    def stop(self, message: str, error: BaseException | None = None) -> None:
        """Stop the receiver for good."""
        self._sup().stop_receiver(message, error, final=True)

    def reportError(self, message: str, error: BaseException | None = None) -> None:
        """Report an error without stopping (listeners get ``onReceiverError``)."""
        self._sup().report_error(message, error)
