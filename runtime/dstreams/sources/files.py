"""textFileStream / binaryRecordsStream: the new files of a directory, batch by batch.

As Spark's FileInputDStream: at each batch time ``T`` the directory (any fsspec URL; a glob
pattern selects several) is listed and a file is taken when its modification time is in
``(max(start time, T - remember window), T]`` and it was not taken before. Files must therefore
appear atomically (written elsewhere, then moved or renamed in); names starting with ``.`` are
ignored. The files of each batch are part of the metadata checkpoint, so a batch re-run after
a recovery reads the same files. A file deleted after its batch listed it fails that batch (and
its re-run after a restart) with InputPathNotFoundError, unless
``spark.streaming.fileStream.ignoreMissingFiles`` is true: then it is skipped with a warning.
"""
from __future__ import annotations

import logging
import posixpath
from datetime import datetime
from typing import Any

import fsspec

from ..errors import InputPathNotFoundError, StorageAccessError
from ..files import get_fs
from ..rdd_impl import BinaryRecordsRDD, TextFileRDD
from ..streaming.dstream import InputDStream
from ..streaming.util import ms_to_datetime

__all__ = ["FileInputDStream"]

log = logging.getLogger("dstreams.streaming")

IGNORE_MISSING = "dstreams.streaming.fileStream.ignoreMissingFiles"


def _mtime_ms(info: dict) -> int | None:
    for key in ("mtime", "LastModified", "last_modified", "updated", "modified", "created"):
        v = info.get(key)
        if v is None:
            continue
        if isinstance(v, datetime):
            return int(v.timestamp() * 1000)
        if isinstance(v, (int, float)):
            return int(v * 1000) if v < 1e11 else int(v)  # seconds or already milliseconds
        if isinstance(v, str):
            try:
                return int(datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1000)
            except ValueError:
                continue
    return None


class FileInputDStream(InputDStream):
    """New files of a directory; lines (text) or fixed-length records (binary)."""

    _transient = InputDStream._transient + ("_files", "_recent", "_fs")

    def __init__(self, ssc: Any, directory: str, recordLength: int | None = None, newFilesOnly: bool = True) -> None:
        super().__init__(ssc)
        if recordLength is not None and int(recordLength) <= 0:
            raise ValueError(f"recordLength must be positive, got {recordLength}")
        self._directory = directory
        self._record_length = recordLength
        min_remember = self._sc.conf.value("dstreams.streaming.fileStream.minRememberDuration")
        slide = self._slide_ms
        self._remember_files_ms = slide * -(-int(min_remember * 1000) // slide)
        self._initial_threshold = ssc._clock.now_ms() if newFilesOnly else 0
        self._files: dict[int, list[str]] = {}   # batch time -> files taken
        self._recent: dict[str, int] = {}        # file -> batch time that took it
        self._fs = None

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._files, self._recent, self._fs = {}, {}, None

    def _filesystem(self) -> tuple[Any, str]:
        fs, path = get_fs(self._directory)
        self._fs = fs
        return fs, path

    def _list(self) -> list[dict]:
        fs, path = self._filesystem()
        fs.invalidate_cache()  # object stores (s3fs) cache listings: every batch must look afresh
        if fsspec.core.has_magic(path):
            found = fs.glob(path, detail=True)
            infos = []
            for name, info in found.items():
                if info.get("type") == "directory":
                    infos.extend(fs.ls(name, detail=True))
                else:
                    infos.append(info)
            return infos
        try:
            return fs.ls(path, detail=True)
        except FileNotFoundError:
            return []

    def start(self) -> None:
        """Fail at the context's start when the directory cannot be watched: it does not exist
        (InputPathNotFoundError) or the store refuses to list it (StorageAccessError: a bad
        endpoint or credentials), instead of running with empty batches."""
        fs, path = self._filesystem()
        if fsspec.core.has_magic(path):
            return  # a glob may match nothing yet
        local = "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))
        try:
            fs.invalidate_cache()
            if local:
                found = fs.isdir(path)
            else:  # an object store has no directories: an empty prefix is fine, a refusal is not
                try:
                    fs.ls(path, detail=False)
                except FileNotFoundError:
                    pass
                found = True
        except Exception as exc:  # noqa: BLE001 - the store's own errors (credentials, endpoint...)
            raise StorageAccessError(
                f"{self._name()}: cannot list {self._directory}: {type(exc).__name__}: {exc}") from exc
        if not found:
            raise InputPathNotFoundError(
                f"{self._name()}: the directory {self._directory} does not exist (or is not a directory): "
                f"create it before starting the StreamingContext")

    def _find_new_files(self, t: int) -> list[str]:
        threshold = max(self._initial_threshold, t - self._remember_files_ms)
        try:
            infos = self._list()
        except Exception as exc:  # noqa: BLE001 - Spark logs and retries at the next batch
            log.warning("%s: error finding new files in %s: %s", self._name(), self._directory, exc)
            return []
        fs = self._fs
        new = []
        for info in infos:
            if info.get("type") == "directory":
                continue
            name = info["name"]
            if posixpath.basename(name.rstrip("/")).startswith("."):
                continue
            url = fs.unstrip_protocol(name) if "://" in self._directory else name
            if url in self._recent:
                continue
            mtime = _mtime_ms(info)
            if mtime is None:
                try:
                    mtime = _mtime_ms({"modified": fs.modified(name)})
                except Exception:  # noqa: BLE001
                    mtime = None
            if mtime is None or mtime <= threshold or mtime > t:
                continue
            new.append((mtime, url))
        new.sort()
        return [u for _, u in new]

    def _on_tick(self, t: int) -> None:
        if t in self._files:
            return
        files = self._find_new_files(t)
        self._files[t] = files
        for f in files:
            self._recent[f] = t
        if files:
            log.info("%s: %d new file(s) for the batch of %s", self._name(), len(files), t)

    def _input_info(self, t: int) -> tuple[int, dict] | None:
        files = self._files.get(t, [])
        return 0, {"files": list(files)}

    def _compute(self, t: int) -> Any:
        files = self._files.get(t) or []
        if not files:
            return self._sc.emptyRDD()
        ignore = bool(self._sc.conf.value(IGNORE_MISSING))
        rdds = []
        for f in files:
            if self._record_length is None:
                rdd: Any = TextFileRDD(self._sc, f, self._sc.defaultMinPartitions, ignore_missing=ignore)
            else:
                rdd = BinaryRecordsRDD(self._sc, f, self._record_length, ignore_missing=ignore)
            try:  # list the file now, as Spark's FileInputDStream does: a missing one fails here
                rdd.getNumPartitions()
            except InputPathNotFoundError as exc:
                raise InputPathNotFoundError(
                    f"{self._name()}: input file {f} of the batch of {ms_to_datetime(t)} was deleted after the "
                    f"batch listed it ({exc}); to skip missing files with a warning instead, set "
                    f"spark.streaming.fileStream.ignoreMissingFiles=true ({IGNORE_MISSING}): a restart from "
                    "the checkpoint then gets past this batch") from exc
            rdds.append(rdd)
        return rdds[0] if len(rdds) == 1 else self._sc.union(rdds)

    def _prune(self, cutoff: int) -> None:
        keep_from = min(cutoff, self._last_tick_time() - self._remember_files_ms)
        for k in [k for k in self._files if k <= keep_from]:
            for f in self._files.pop(k):
                if self._recent.get(f) == k:
                    del self._recent[f]

    def _last_tick_time(self) -> int:
        return max(self._files) if self._files else 0

    def _checkpoint_state(self) -> dict | None:
        state = super()._checkpoint_state() or {}
        state["files"] = {t: list(f) for t, f in self._files.items()}
        state["initial_threshold"] = self._initial_threshold
        return state

    def _restore_checkpoint_state(self, state: dict) -> None:
        super()._restore_checkpoint_state(state)
        self._files = {t: list(f) for t, f in state.get("files", {}).items()}
        self._recent = {f: t for t, fs in self._files.items() for f in fs}
        self._initial_threshold = state.get("initial_threshold", self._initial_threshold)
