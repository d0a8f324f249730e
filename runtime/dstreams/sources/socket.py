"""socketTextStream: UTF-8 lines from a TCP server, reconnecting when the server closes."""
from __future__ import annotations

import codecs
import logging
import socket
import threading
import time

from ..storagelevel import StorageLevel
from .receiver import Receiver

__all__ = ["SocketReceiver"]

log = logging.getLogger("dstreams.streaming")

CHUNK = 1 << 18          # bytes per recv
FLUSH_S = 0.1            # hand the lines read so far over as a block at least this often...
FLUSH_LINES = 200_000    # ...or when this many are waiting


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
        # read big chunks and hand the lines over in blocks (every FLUSH_S, or FLUSH_LINES lines)
        # instead of one store() per line: the lines and blocks are the same, at a fraction of
        # the per-line cost (and of the time the reading thread holds the GIL)
        decoder = codecs.getincrementaldecoder(self.encoding)("replace")
        sock.settimeout(FLUSH_S / 2)
        partial = ""
        pending: list[str] = []
        last_flush = time.monotonic()
        try:
            while not self.isStopped():
                try:
                    data = sock.recv(CHUNK)
                except socket.timeout:
                    data = None
                if data:
                    text = partial + decoder.decode(data)
                    cut = text.rfind("\n")
                    if cut < 0:
                        partial = text
                    else:
                        partial = text[cut + 1:]
                        body = text[:cut]
                        if "\r" in body:  # a line's terminator may be \r\n: drop the \r
                            body = body.replace("\r\n", "\n")
                            if body.endswith("\r"):
                                body = body[:-1]
                        pending.extend(body.split("\n"))
                elif data is not None:  # the peer closed the connection: the rest is one last line
                    partial += decoder.decode(b"", final=True)
                    if partial:  # (without a terminator, a trailing \r is part of the line)
                        pending.append(partial)
                    self._flush(pending)
                    break
                now = time.monotonic()
                if pending and (now - last_flush >= FLUSH_S or len(pending) >= FLUSH_LINES):
                    self._flush(pending)
                    pending = []
                    last_flush = now
            else:
                self._flush(pending)
                log.info("socket receiver %s stopped receiving", self.streamId)
                return
            if not self.isStopped():
                self.restart("Socket data stream had no more data")
            else:
                log.info("socket receiver %s stopped receiving", self.streamId)
        except Exception as exc:  # noqa: BLE001 - reconnect on any receive error
            if not self.isStopped():
                self._flush(pending)
                self.restart("Error receiving data", exc)

    def _flush(self, lines: list[str]) -> None:
        if lines:
            self.storeMany(lines)
