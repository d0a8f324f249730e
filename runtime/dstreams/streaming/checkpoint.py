"""Metadata checkpoints of a StreamingContext, written atomically through fsspec.

A checkpoint directory (any fsspec URL) holds:

- ``checkpoint-<seq>``: the pickled DStream graph (user functions included, with cloudpickle),
  the batch times still pending, the per-batch metadata of the sources (files, blocks) and the
  locations of checkpointed RDDs. One is written when a batch is queued and one when it
  completes; each is written to a temporary name and renamed, so readers see whole files. The
  last ``dstreams.streaming.checkpoint.retained`` (default 10) are kept.
- ``<uuid>/rdd-<id>/part-NNNNN``: RDDs saved by ``RDD.checkpoint()`` (state of stateful
  streams, every checkpoint interval). One is deleted once no retained metadata file names it.
"""
from __future__ import annotations

import logging
import pickle
import posixpath
import re
import threading
import time
import uuid
from collections import deque
from typing import Any

from ..files import atomic_write_bytes, get_fs, join

__all__ = ["CheckpointWriter", "read_checkpoint", "checkpoint_files", "save_text_atomically",
           "CHECKPOINT_VERSION"]

log = logging.getLogger("dstreams.streaming")

CHECKPOINT_VERSION = 1
_NAME = re.compile(r"^checkpoint-(\d{12})$")


def checkpoint_files(directory: str) -> list[tuple[int, str]]:
    """Return [(seq, url)] of the metadata checkpoints in ``directory``, newest first."""
    fs, base = get_fs(directory)
    try:
        names = fs.ls(base, detail=False)
    except (FileNotFoundError, NotADirectoryError):
        return []
    out = []
    for name in names:
        m = _NAME.match(posixpath.basename(name.rstrip("/")))
        if m:
            out.append((int(m.group(1)), join(directory, posixpath.basename(name.rstrip("/")))))
    out.sort(reverse=True)
    return out


def _load(url: str) -> dict:
    fs, path = get_fs(url)
    with fs.open(path, "rb") as f:
        data = pickle.loads(f.read())
    if not isinstance(data, dict) or data.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{url} is not a dstreams checkpoint of version {CHECKPOINT_VERSION}")
    return data


def read_checkpoint(directory: str) -> dict | None:
    """Return the newest readable metadata checkpoint in ``directory``, or None if there is none.

    An unreadable file (e.g. from another version) is skipped with a warning and the previous
    one is tried, as Spark does.
    """
    errors = []
    for seq, url in checkpoint_files(directory):
        try:
            data = _load(url)
            data["seq"] = seq
            data["url"] = url
            return data
        except Exception as exc:  # noqa: BLE001 - try the previous checkpoint
            log.warning("could not read checkpoint %s: %s", url, exc)
            errors.append(f"{url}: {exc}")
    if errors:
        raise ValueError("no readable checkpoint in " + directory + ":\n  " + "\n  ".join(errors))
    return None


class CheckpointWriter:
    """Writes metadata checkpoints on one background thread, newest first, never blocking a batch.

    When writes fall behind, only the newest pending checkpoint is written (each one supersedes
    the previous). After each write the oldest files beyond ``retained`` are deleted, and so are
    RDD checkpoints that no retained file names any more.
    """

    def __init__(self, directory: str, retained: int = 10, start_seq: int | None = None) -> None:
        self.directory = directory
        self.retained = max(2, retained)
        self._lock = threading.Condition()
        self._pending: dict | None = None
        self._busy = False
        self._stopped = False
        self._thread: threading.Thread | None = None
        self.last_error: BaseException | None = None
        self.writes = 0
        existing = checkpoint_files(directory)
        self._seq = start_seq if start_seq is not None else (existing[0][0] if existing else 0)
        # (url, refs) of the retained files, oldest first
        self._retained: deque[tuple[str, frozenset[str]]] = deque()
        for _seq, url in reversed(existing):
            try:
                refs = frozenset(_load(url).get("refs", ()))
            except Exception:  # noqa: BLE001 - unreadable: keeps no RDD checkpoint alive
                refs = frozenset()
            self._retained.append((url, refs))
        # every RDD checkpoint ever named by a queued checkpoint: deleted once nothing names it
        self._known: set[str] = set().union(*(refs for _, refs in self._retained))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dstreams-streaming-checkpoint-writer",
                                        daemon=True)
        self._thread.start()

    def write(self, data: dict) -> None:
        """Queue ``data`` (a dict) to be written as the next checkpoint."""
        with self._lock:
            if self._stopped:
                return
            self._seq += 1
            data["version"] = CHECKPOINT_VERSION
            self._known.update(data.get("refs", ()))
            self._pending = (self._seq, data)
            self._lock.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued has been written."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending is not None or self._busy:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None or not self._thread.is_alive():
                    return False
                self._lock.wait(left)
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued, then end the thread."""
        self.flush(timeout)
        with self._lock:
            self._stopped = True
            self._lock.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._pending is None and not self._stopped:
                    self._lock.wait()
                if self._pending is None and self._stopped:
                    return
                seq, data = self._pending
                self._pending = None
                self._busy = True
            try:
                self._write(seq, data)
            except Exception as exc:  # noqa: BLE001 - a failed write is retried with the next batch
                self.last_error = exc
                log.warning("writing checkpoint %s to %s failed: %s", seq, self.directory, exc)
            finally:
                with self._lock:
                    self._busy = False
                    self._lock.notify_all()

    def _write(self, seq: int, data: dict) -> None:
        url = join(self.directory, f"checkpoint-{seq:012d}")
        atomic_write_bytes(url, pickle.dumps(data, protocol=5))
        self.writes += 1
        self._retained.append((url, frozenset(data.get("refs", ()))))
        fs, _ = get_fs(self.directory)
        while len(self._retained) > self.retained:
            old_url, _ = self._retained.popleft()
            try:
                fs.rm(get_fs(old_url)[1])
            except FileNotFoundError:
                pass
        # RDD checkpoints no retained or queued checkpoint names (including ones named only by
        # checkpoints that were superseded before being written) are not needed any more
        with self._lock:
            live = set().union(*(refs for _, refs in self._retained))
            if self._pending is not None:
                live.update(self._pending[1].get("refs", ()))
            dead = self._known - live
            self._known -= dead
        for ref in dead:
            try:
                fs.rm(get_fs(ref)[1], recursive=True)
            except FileNotFoundError:
                pass
            except Exception:  # noqa: BLE001 - cleanup is best effort
                log.debug("could not delete %s", ref, exc_info=True)


def save_text_atomically(rdd: Any, path: str) -> None:
    """Save ``rdd`` as a text-file directory at ``path`` unless it is already there.

    On a local filesystem the files are written under a hidden temporary name and renamed into
    place, so the output of a batch appears whole; on object stores (no atomic rename) the part
    files are written first and ``_SUCCESS`` last, so readers take a directory once it has
    ``_SUCCESS``. A batch re-run after a recovery leaves a complete output as is (PySpark
    ignores FileAlreadyExistsException the same way) and replaces a partial one.
    """
    fs, base = get_fs(path)
    fs.invalidate_cache()
    if fs.exists(posixpath.join(base, "_SUCCESS")):
        return  # a re-run batch: the complete output is already there
    if fs.exists(base):
        fs.rm(base, recursive=True)  # the partial output of an interrupted attempt
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    if not {"file", "local"} & set(protocols):
        # object stores have no atomic directory rename: the parts go in first, _SUCCESS last
        rdd.saveAsTextFile(path)
        return
    parent, name = posixpath.split(base.rstrip("/"))
    tmp_base = posixpath.join(parent, f".{name}.{uuid.uuid4().hex}.tmp")
    rdd.saveAsTextFile(tmp_base)
    try:
        fs.mv(tmp_base, base, recursive=True)
    except Exception:
        if fs.exists(base):  # another attempt won the race: keep its output
            fs.rm(tmp_base, recursive=True)
        else:
            raise
