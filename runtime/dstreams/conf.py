"""SparkConf: a program's configuration as key-value pairs, with PySpark's methods.

>>> conf = SparkConf().setMaster("local[2]").setAppName("wordcount").set("spark.ui.port", "4050")
>>> conf.get("spark.app.name"), conf.contains("spark.ui.port"), conf.get("missing", "x")
('wordcount', True, 'x')
>>> print(conf.toDebugString())
spark.app.name=wordcount
spark.master=local[2]
spark.ui.port=4050
"""
from __future__ import annotations

from collections.abc import Iterable

__all__ = ["SparkConf"]


class SparkConf:
    """Configuration for a Context, given as ``Context(conf=conf)`` (PySpark's ``SparkConf``).

    Keys are Spark's (``spark.*``) or dstreams' own (``dstreams.*``); see ``dstreams.config``
    for what each means. Values are kept as strings, as Spark keeps them. ``loadDefaults`` is
    accepted for PySpark's signature: the environment (``DSTREAMS_CONF_*``) is read when the
    Context starts, under what the program sets here.
    """

    def __init__(self, loadDefaults: bool = True, _jvm: object = None, _jconf: object = None) -> None:
        self._conf: dict[str, str] = {}

    def set(self, key: str, value: object) -> "SparkConf":
        """Set a key; return this SparkConf (calls chain)."""
        self._conf[str(key)] = str(value)
        return self

    def setIfMissing(self, key: str, value: object) -> "SparkConf":
        """Set a key unless it is set; return this SparkConf."""
        if key not in self._conf:
            self.set(key, value)
        return self

    def setMaster(self, value: str) -> "SparkConf":
        """Set ``spark.master`` (``local[2]``, ``local-cluster[2]``, ``redis://...``); return self."""
        return self.set("spark.master", value)

    def setAppName(self, value: str) -> "SparkConf":
        """Set ``spark.app.name``; return this SparkConf."""
        return self.set("spark.app.name", value)

    def setSparkHome(self, value: str) -> "SparkConf":
        """Set ``spark.home`` (kept, unused: dstreams needs no Spark installation); return self."""
        return self.set("spark.home", value)

    def setExecutorEnv(self, key: str | None = None, value: str | None = None,
                       pairs: Iterable[tuple[str, str]] | None = None) -> "SparkConf":
        """Set ``spark.executorEnv.<key>`` entries (one, or ``pairs``); return this SparkConf."""
        if (key is not None and pairs is not None) or (key is None and pairs is None):
            raise ValueError("Either pass one key-value pair or a list of pairs")
        for k, v in ([(key, value)] if key is not None else list(pairs or [])):
            self.set("spark.executorEnv." + str(k), v)
        return self

    def setAll(self, pairs: Iterable[tuple[str, object]]) -> "SparkConf":
        """Set several keys from (key, value) pairs; return this SparkConf."""
        for k, v in pairs:
            self.set(k, v)
        return self

    def get(self, key: str, defaultValue: str | None = None) -> str | None:
        """Return the value of a key, or ``defaultValue`` when it is not set."""
        return self._conf.get(key, defaultValue)

    def getAll(self) -> list[tuple[str, str]]:
        """Return every (key, value) pair."""
        return list(self._conf.items())

    def contains(self, key: str) -> bool:
        """Return whether a key is set."""
        return key in self._conf

    def toDebugString(self) -> str:
        """Return the settings one ``key=value`` per line, sorted by key."""
        return "\n".join(f"{k}={v}" for k, v in sorted(self._conf.items()))

    def __repr__(self) -> str:
        return f"SparkConf({len(self._conf)} keys)"
