"""File access through fsspec: listing inputs, Hadoop-style splits, reading lines, atomic writes.

Any fsspec URL works (a local path, ``file://``, ``s3://``, ``memory://``...). Extra options for
a protocol (e.g. an S3 endpoint) come from ``Context`` conf keys ``dstreams.fs.<protocol>.<key>``
or the usual environment variables of that filesystem.
"""
from __future__ import annotations

import os
import posixpath
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fsspec
from fsspec.core import url_to_fs
from fsspec.utils import infer_compression

from .errors import InputPathNotFoundError

__all__ = ["FileSlice", "get_fs", "list_input_files", "compute_splits", "read_lines", "qualified",
           "atomic_write_bytes", "join"]

# Hadoop's local filesystem block size and split slop (FileInputFormat)
BLOCK_SIZE = 32 * 1024 * 1024
SPLIT_SLOP = 1.1

_storage_options: dict[str, dict[str, Any]] = {}


def set_storage_options(protocol: str, options: dict[str, Any]) -> None:
    """Remember extra fsspec options for a protocol (from Context conf)."""
    _storage_options[protocol] = dict(options)


def get_fs(url: str) -> tuple[Any, str]:
    """Return (filesystem, path) for ``url``."""
    protocol = url.split("://", 1)[0] if "://" in url else "file"
    opts = _storage_options.get(protocol, {})
    if protocol in ("s3", "s3a"):
        opts = {**_s3_env_options(), **opts}
    return url_to_fs(url, **opts)


def _s3_env_options() -> dict[str, Any]:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    return {"client_kwargs": {"endpoint_url": endpoint}} if endpoint else {}


def describe(url: str) -> str:
    """Return ``url`` plus the S3 endpoint it resolves to, for error messages."""
    if url.startswith(("s3://", "s3a://")):
        opts = {**_s3_env_options(), **_storage_options.get("s3", {})}
        endpoint = (opts.get("client_kwargs") or {}).get("endpoint_url") or opts.get("endpoint_url") or "AWS default"
        return f"{url} (endpoint {endpoint})"
    return url


def check_writable(url: str) -> None:
    """Create ``url`` as a directory and prove it writable, or raise StorageAccessError naming it."""
    from .errors import StorageAccessError
    try:
        fs, path = get_fs(url)
        fs.makedirs(path, exist_ok=True)
        probe = posixpath.join(path, f".probe-{uuid.uuid4().hex}")
        with fs.open(probe, "wb") as f:
            f.write(b"ok")
        fs.rm(probe)
    except Exception as exc:  # noqa: BLE001 - every backend raises its own kinds
        raise StorageAccessError(f"cannot write to {describe(url)}: {type(exc).__name__}: {exc}") from exc


def qualified(fs: Any, path: str) -> str:
    """Return a URL for ``path`` on ``fs`` the way PySpark prints it (``file:/abs/path``)."""
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    if protocol in ("file", "local"):
        return "file:" + path
    return f"{protocol}://{path}"


def join(base: str, *parts: str) -> str:
    """Join URL/path segments with '/' (fsspec paths always use '/')."""
    if "://" in base:
        return posixpath.join(base, *parts)
    return os.path.join(base, *parts)


@dataclass(frozen=True)
class FileSlice:
    """A byte range of one file; ``length`` -1 means the whole (unsplittable) file."""

    path: str
    start: int
    length: int
    size: int


def list_input_files(url: str) -> tuple[Any, list[tuple[str, int]]]:
    """Return (fs, [(path, size)]) for a file, a directory, a glob, or comma-separated paths.

    Hidden files (starting with '.' or '_') inside directories are skipped, as Hadoop does.
    Raises InputPathNotFoundError naming the path when nothing matches."""
    out: list[tuple[str, int]] = []
    fs = None
    for one in [u.strip() for u in url.split(",") if u.strip()]:
        try:
            fs, path = get_fs(one)
        except (ImportError, ValueError) as exc:
            raise InputPathNotFoundError(f"cannot open input path {one!r}: {exc}") from exc
        if fsspec.core.has_magic(path):  # Hadoop's glob skips hidden names too
            matches = sorted(m for m in fs.glob(path) if not _is_hidden(posixpath.basename(m.rstrip("/"))))
        else:
            matches = [path] if fs.exists(path) else []
        if not matches:
            raise InputPathNotFoundError(f"Input path does not exist: {one}")
        for m in matches:
            if fs.isdir(m):
                root = m.rstrip("/")
                for info in sorted(fs.find(m, detail=True).values(), key=lambda i: i["name"]):
                    rel = info["name"].rstrip("/")[len(root):].strip("/")
                    if info.get("type") == "directory" or _is_hidden(rel):
                        continue
                    out.append((info["name"], int(info.get("size") or 0)))
            else:
                out.append((m, int(fs.size(m) or 0)))
    if fs is None:
        raise InputPathNotFoundError(f"Input path does not exist: {url!r}")
    return fs, out


def _is_hidden(relative_path: str) -> bool:
    """Return whether a path below an input directory is hidden from input: Hadoop skips names
    starting with '.' or '_' (``_SUCCESS``, ``_temporary/``, ``.crc`` files), directories too."""
    return any(part.startswith((".", "_")) for part in relative_path.split("/"))


def compute_splits(files: list[tuple[str, int]], min_partitions: int) -> list[FileSlice]:
    """Return Hadoop FileInputFormat's splits for ``files`` and a partition hint, without the
    empty ones (Spark >= 3.2 drops them: ``spark.hadoopRDD.ignoreEmptySplits``)."""
    total = sum(size for _, size in files)
    goal = total // max(min_partitions, 1)
    splits: list[FileSlice] = []
    for path, size in files:
        if size == 0:
            continue
        if infer_compression(path) is not None:
            splits.append(FileSlice(path, 0, -1, size))
            continue
        split_size = max(1, min(goal, BLOCK_SIZE))
        remaining = size
        while remaining / split_size > SPLIT_SLOP:
            splits.append(FileSlice(path, size - remaining, split_size, size))
            remaining -= split_size
        if remaining:
            splits.append(FileSlice(path, size - remaining, remaining, size))
    return splits


def read_lines(fs: Any, s: FileSlice, encoding: str | None = "utf-8") -> Iterator:
    r"""Yield the lines of a split without their terminators, as Hadoop's LineRecordReader does.

    Lines end at ``\n``, ``\r\n`` or a lone ``\r``. A split owns every line that starts at or
    before its end offset, except that a split not at the file's start skips the line it
    starts in (its predecessor reads that one): so a line crossing a boundary, or starting
    exactly at one, belongs to the earlier split. Yields ``str`` (or ``bytes`` when
    ``encoding`` is None)."""
    if s.length == 0:
        return
    if s.length == -1:  # compressed: the whole file is one split
        with fs.open(s.path, "rb", compression=infer_compression(s.path)) as f:
            data = f.read()
        lo, hi = _owned_range(data, skip_first=False, last_start=len(data))
    else:
        with fs.open(s.path, "rb") as f:
            f.seek(s.start)
            data = f.read(s.length)
            if s.start + s.length < s.size:
                data += _read_through_terminator(f)
        lo, hi = _owned_range(data, skip_first=s.start != 0, last_start=s.length)
    # decoded and split a piece at a time (pieces end after a \n, so no terminator, \r\n or
    # UTF-8 sequence is cut): a split's text and its list of lines never exist whole
    view = memoryview(data)
    while lo < hi:
        end = data.find(b"\n", min(lo + LINE_CHUNK, hi - 1), hi)
        end = hi if end < 0 else end + 1
        if encoding is None:
            piece: Any = bytes(view[lo:end])
            lines: list = _EOL.split(piece) if b"\r" in piece else piece.split(b"\n")
        else:  # terminators are ASCII, so the decoded text splits into the same lines
            piece = str(view[lo:end], encoding, "replace")
            lines = _EOL_TEXT.split(piece) if "\r" in piece else piece.split("\n")
        if not lines[-1]:
            lines.pop()  # the piece ends with a terminator
        del piece
        yield from lines
        lo = end


LINE_CHUNK = 1 << 20
_EOL = re.compile(rb"\r\n|\r|\n")
_EOL_TEXT = re.compile(r"\r\n|\r|\n")


def _read_through_terminator(f: Any) -> bytes:
    """Return the bytes from ``f``'s position through the first line terminator character."""
    tail = bytearray()
    while True:
        chunk = f.read(65536)
        if not chunk:
            return bytes(tail)
        m = re.search(rb"[\r\n]", chunk)
        if m is not None:
            tail += chunk[: m.end()]
            return bytes(tail)
        tail += chunk


def _owned_range(data: bytes, skip_first: bool, last_start: int) -> tuple[int, int]:
    """Return the range ``(lo, hi)`` of ``data`` holding the lines that start at offsets <=
    ``last_start`` (without the first line when ``skip_first``), terminators included."""
    lo = 0
    if skip_first:
        m = _EOL.search(data)
        if m is None:
            return 0, 0
        lo = m.end()
    if lo > last_start or lo >= len(data):
        return 0, 0
    m = _EOL.search(data, last_start)
    return lo, len(data) if m is None else m.end()


def atomic_write_bytes(url: str, data: bytes) -> None:
    """Write ``data`` to ``url`` so readers see all of it or nothing (write then rename)."""
    fs, path = get_fs(url)
    parent = posixpath.dirname(path)
    if parent:
        fs.makedirs(parent, exist_ok=True)
    tmp = posixpath.join(parent, f".{posixpath.basename(path)}.{uuid.uuid4().hex}.tmp")
    with fs.open(tmp, "wb") as f:
        f.write(data)
    fs.mv(tmp, path)
