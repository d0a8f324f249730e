"""socketTextStream: UTF-8 lines from a TCP server, reconnecting when the server closes."""
from __future__ import annotations

import logging
import socket
import threading

from ..storagelevel import StorageLevel
from .receiver import Receiver

__all__ = ["SocketReceiver"]

log = logging.getLogger("dstreams.streaming")


class SocketReceiver(Receiver):
    """Connects to ``host:port`` and stores every line (without its line terminator).

    When the connection fails or the peer closes it, the receiver restarts (reconnects) after
    the restart delay, as Spark's SocketReceiver does.
    """

    def __init__(self, host: str, port: int, storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2,
                 encoding: str = "utf-8") -> None:
        super().__init__(storageLevel)
        self.host = host
        self.port = int(port)
        self.encoding = encoding
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state["_sock"] = None
        state["_lock"] = None
        state["_reader"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def onStart(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=10)
            sock.settimeout(None)
        except OSError as exc:
            self.restart(f"Error connecting to {self.host}:{self.port}", exc)
            return
        reader = threading.Thread(target=self._receive, args=(sock,),
                                  name=f"dstreams-receiver-socket-{self.streamId}", daemon=True)
        with self._lock:
            self._sock = sock
            self._reader = reader
        reader.start()

    def onStop(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
            reader, self._reader = getattr(self, "_reader", None), None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the reading thread
            except OSError:
                pass
            sock.close()
        if reader is not None and reader is not threading.current_thread():
            reader.join(5)

    def _receive(self, sock: socket.socket) -> None:
        try:
            with sock.makefile("rb") as f:
                for raw in f:
                    if self.isStopped():
                        break
                    line = raw.decode(self.encoding, "replace")
                    if line.endswith("\n"):
                        line = line[:-1]
                        if line.endswith("\r"):
                            line = line[:-1]
                    self.store(line)
            if not self.isStopped():
                self.restart("Socket data stream had no more data")
            else:
                log.info("socket receiver %s stopped receiving", self.streamId)
        except Exception as exc:  # noqa: BLE001 - reconnect on any receive error
            if not self.isStopped():
                self.restart("Error receiving data", exc)
