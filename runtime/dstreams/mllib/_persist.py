"""Model save/load (private): ``model.save(sc, path)`` and ``Model.load(sc, path)``.

A saved model is a directory (any fsspec URL) holding ``metadata.json``: the model's class,
a format version and its parameters as JSON numbers. It is dstreams' own format (PySpark's
is Parquet written by the JVM); ``pickle`` works too for driver-side use.
"""
from __future__ import annotations

import json
from typing import Any

from ..errors import OutputPathExistsError
from .errors import ModelFormatError

FORMAT_VERSION = 1
METADATA = "metadata.json"


def save_model(path: str, model: Any, params: dict) -> None:
    """Write ``params`` of ``model`` under ``path``; the directory must not exist (as in Spark)."""
    import fsspec
    fs, root = fsspec.core.url_to_fs(path)
    if fs.exists(root):
        raise OutputPathExistsError(f"cannot save the model: {path} already exists (remove it or choose another "
                                    f"path)")
    fs.makedirs(root, exist_ok=False)
    doc = {"class": f"{type(model).__module__}.{type(model).__qualname__}", "version": FORMAT_VERSION, **params}
    with fs.open(f"{root.rstrip('/')}/{METADATA}", "w") as f:
        json.dump(doc, f)


def load_model(path: str, cls: type) -> dict:
    """Return the parameters saved under ``path`` for a model of class ``cls``."""
    import fsspec
    fs, root = fsspec.core.url_to_fs(path)
    meta = f"{root.rstrip('/')}/{METADATA}"
    if not fs.exists(meta):
        raise ModelFormatError(f"{path} holds no saved model (no {METADATA}); save one with model.save(sc, path)")
    with fs.open(meta, "r") as f:
        doc = json.load(f)
    want = f"{cls.__module__}.{cls.__qualname__}"
    if doc.get("class") != want:
        raise ModelFormatError(f"{path} holds a {doc.get('class')}, not a {want}: load it with that class")
    if doc.get("version") != FORMAT_VERSION:
        raise ModelFormatError(f"{path} is in model format {doc.get('version')}, this dstreams reads {FORMAT_VERSION}")
    return doc
