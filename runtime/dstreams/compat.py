"""PySpark's module names for dstreams: ``install()`` makes ``import pyspark...`` resolve to
dstreams in this process, so an unmodified PySpark DStream program runs.

``dstreams run --pyspark app.py`` (and ``python -m dstreams.pyspark app.py``) call it before
the program starts. It changes nothing outside the process: a real pyspark installed beside
dstreams stays untouched (while installed here, ``import pyspark`` gives dstreams). A pyspark
module that dstreams does not provide fails with an ImportError that names it.

>>> install()
>>> import pyspark.streaming
>>> pyspark.streaming.StreamingContext.__module__
'dstreams.streaming.context'
>>> uninstall()
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

__all__ = ["install", "uninstall", "PYSPARK_MODULES", "PySparkModuleNotProvided"]

#: pyspark module -> the dstreams module that provides its names
PYSPARK_MODULES = {
    "pyspark": "dstreams",
    "pyspark.conf": "dstreams.conf",
    "pyspark.context": "dstreams.context",
    "pyspark.rdd": "dstreams.rdd",
    "pyspark.streaming": "dstreams.streaming",
    "pyspark.streaming.context": "dstreams.streaming.context",
    "pyspark.streaming.dstream": "dstreams.streaming.dstream",
    "pyspark.streaming.listener": "dstreams.streaming.listener",
    "pyspark.streaming.kafka": "dstreams.kafka",
    "pyspark.storagelevel": "dstreams.storagelevel",
    "pyspark.accumulators": "dstreams.accumulators",
    "pyspark.broadcast": "dstreams.broadcast",
    "pyspark.taskcontext": "dstreams.taskcontext",
    "pyspark.resultiterable": "dstreams.resultiterable",
    "pyspark.statcounter": "dstreams.statcounter",
    "pyspark.sql": "dstreams.sql",
    "pyspark.sql.functions": "dstreams.sql.functions",
    "pyspark.sql.types": "dstreams.sql.types",
    "pyspark.sql.window": "dstreams.sql.window",
    "pyspark.mllib": "dstreams.mllib",
    "pyspark.mllib.linalg": "dstreams.mllib.linalg",
    "pyspark.mllib.regression": "dstreams.mllib.regression",
    "pyspark.mllib.classification": "dstreams.mllib.classification",
    "pyspark.mllib.clustering": "dstreams.mllib.clustering",
    "pyspark.mllib.feature": "dstreams.mllib.feature",
    "pyspark.mllib.util": "dstreams.mllib.util",
}


class PySparkModuleNotProvided(ImportError):
    """A pyspark module that dstreams has no counterpart for (e.g. pyspark.ml, pyspark.pandas)."""


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``pyspark`` and ``pyspark.*`` and hands out the dstreams modules of the table."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "pyspark" and not fullname.startswith("pyspark."):
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec: Any) -> ModuleType:
        target = PYSPARK_MODULES.get(spec.name)
        if target is None:
            raise PySparkModuleNotProvided(
                f"{spec.name} is not provided by dstreams (it runs pyspark's core, streaming, "
                f"streaming.kafka, sql and mllib APIs: {', '.join(sorted(PYSPARK_MODULES))})", name=spec.name)
        try:
            return importlib.import_module(target)
        except ImportError as exc:
            raise PySparkModuleNotProvided(
                f"{spec.name} needs {target}, which cannot be imported here: {exc} "
                f"(install its extra, e.g. pip install 'dstreams[sql]' or 'dstreams[ml]')", name=spec.name) from exc

    def exec_module(self, module: ModuleType) -> None:
        """The dstreams module is already executed."""


_finder = _Finder()


def install() -> None:
    """Make ``pyspark`` names resolve to dstreams in this process (idempotent)."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
        for name in [n for n in sys.modules if n == "pyspark" or n.startswith("pyspark.")]:
            del sys.modules[name]  # a real pyspark imported before: the program gets dstreams


def uninstall() -> None:
    """Undo install(): ``pyspark`` names are looked up as usual again."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [n for n in sys.modules if n == "pyspark" or n.startswith("pyspark.")]:
        if getattr(sys.modules[name], "__name__", "").startswith("dstreams"):
            del sys.modules[name]
