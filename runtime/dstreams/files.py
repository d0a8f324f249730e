"""File access through fsspec: listing inputs, Hadoop-style splits, reading lines, atomic writes.

Any fsspec URL works (a local path, ``file://``, ``s3://``, ``memory://``...). Extra options for
a protocol (e.g. an S3 endpoint) come from ``Context`` conf keys ``dstreams.fs.<protocol>.<key>``
or the usual environment variables of that filesystem.
"""
from __future__ import annotations

import os
import posixpath
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
        if fsspec.core.has_magic(path):
            matches = sorted(fs.glob(path))
        else:
            matches = [path] if fs.exists(path) else []
        if not matches:
            raise InputPathNotFoundError(f"Input path does not exist: {one}")
        for m in matches:
            if fs.isdir(m):
                for info in sorted(fs.find(m, detail=True).values(), key=lambda i: i["name"]):
                    name = posixpath.basename(info["name"].rstrip("/"))
                    if info.get("type") == "directory" or name.startswith((".", "_")):
                        continue
                    out.append((info["name"], int(info.get("size") or 0)))
            else:
                out.append((m, int(fs.size(m) or 0)))
    if fs is None:
        raise InputPathNotFoundError(f"Input path does not exist: {url!r}")
    return fs, out


def compute_splits(files: list[tuple[str, int]], min_partitions: int) -> list[FileSlice]:
    """Return Hadoop FileInputFormat's splits for ``files`` and a partition hint."""
    total = sum(size for _, size in files)
    goal = total // max(min_partitions, 1)
    splits: list[FileSlice] = []
    for path, size in files:
        if infer_compression(path) is not None:
            splits.append(FileSlice(path, 0, -1, size))
            continue
        if size == 0:
            splits.append(FileSlice(path, 0, 0, 0))
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
    """Yield the lines of a split without their terminators (Hadoop LineRecordReader rules:
    a split owns the lines that start inside it, plus one starting exactly at its end)."""
    if s.length == -1:
        with fs.open(s.path, "rb", compression=infer_compression(s.path)) as f:
            data = f.read()
    elif s.length == 0:
        return
    else:
        with fs.open(s.path, "rb") as f:
            f.seek(s.start)
            data = f.read(s.length)
            end = s.start + s.length
            if end < s.size:
                tail = bytearray()
                while True:
                    chunk = f.read(65536)
                    if not chunk:
                        break
                    i = chunk.find(b"\n")
                    if i >= 0:
                        tail += chunk[: i + 1]
                        break
                    tail += chunk
                data += bytes(tail)
            if s.start != 0:
                i = data.find(b"\n")
                data = b"" if i < 0 else data[i + 1:]
    if not data:
        return
    if encoding is None:
        lines = data.split(b"\n")
        if data.endswith(b"\n"):
            lines.pop()
        for ln in lines:
            yield ln[:-1] if ln.endswith(b"\r") else ln
        return
    text = data.decode(encoding, "replace")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    for ln in lines:
        yield ln[:-1] if ln.endswith("\r") else ln


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
