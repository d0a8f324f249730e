"""Every setting of dstreams, in one table, and the frozen :class:`Settings` a Context is built with.

A setting has a ``dstreams.*`` name and, where Spark has the same knob, its ``spark.*`` name as
an alias with Spark's meaning (a bare number of a Spark time key is in Spark's unit, e.g.
milliseconds for ``spark.streaming.blockInterval``; a ``dstreams.*`` time key takes seconds).
Values come, last one winning, from the environment (``DSTREAMS_CONF_<key>=<value>``, plus
``DSTREAMS_MASTER``/``DSTREAMS_APP_NAME``/``DSTREAMS_APP_ID``), then the conf given to the Context
(a dict or a :class:`~dstreams.conf.SparkConf`), then the Context's own arguments. Unknown
``spark.*`` keys are kept (``getConf()`` shows them) and ignored, as Spark keeps keys it does
not know; unknown ``dstreams.*`` keys are kept too (a program may read its own).

>>> s = Settings.build({"spark.streaming.blockInterval": "50", "dstreams.task.maxFailures": "2"}, environ={})
>>> s.value("dstreams.streaming.blockInterval"), s.value("dstreams.task.maxFailures")
(0.05, 2)
>>> s.value("dstreams.ui.port")
4040
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .conf import SparkConf
from .errors import DStreamsError

__all__ = ["Setting", "SETTINGS", "Settings", "ConfigError", "parse_seconds", "parse_bool", "set_launch_settings"]

log = logging.getLogger("dstreams.config")

ENV_PREFIX = "DSTREAMS_CONF_"
# what `dstreams run --master/--name/--conf` gave, under what the program sets (cli.py)
_launch: dict[str, Any] = {}


def set_launch_settings(values: Mapping[str, Any]) -> None:
    """Record the settings of the command that launched the program (``dstreams run``): they
    rank above the environment and below what the program sets; ``{}`` clears them."""
    _launch.clear()
    _launch.update(values)


class ConfigError(DStreamsError, ValueError):
    """A setting has a value of the wrong kind (the message names the key and what it takes)."""


_TIME = re.compile(r"^\s*(-?[0-9]*\.?[0-9]+)\s*(us|ms|s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
_UNIT_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def parse_seconds(value: Any, bare_unit: str = "s") -> float:
    """Return a duration in seconds: a number (in ``bare_unit``) or a string with a unit
    (``"200ms"``, ``"2s"``, ``"1min"``), as Spark writes durations.

    >>> parse_seconds("200ms"), parse_seconds(2), parse_seconds("500", bare_unit="ms")
    (0.2, 2.0, 0.5)
    """
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)):
        return float(value) * _UNIT_S[bare_unit]
    m = _TIME.match(str(value))
    if m is None:
        raise ValueError(f"not a duration: {value!r} (write e.g. 2s, 200ms, 1min)")
    return float(m.group(1)) * _UNIT_S[(m.group(2) or bare_unit).lower()]


def parse_bool(value: Any) -> bool:
    """Return a flag: True, "true", "1", "yes" (any case) are true; False, "false", "0", "no" false.

    >>> parse_bool("TRUE"), parse_bool(0)
    (True, False)
    """
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not true or false: {value!r}")


def _parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"not a whole number: {value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return int(str(value).strip())


def _parse_float(value: Any) -> float:
    return float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)


@dataclass(frozen=True)
class Setting:
    """One key: its dstreams name, default, kind and, where Spark has it, Spark's name."""

    key: str
    default: Any
    kind: str  # "str" | "int" | "float" | "bool" | "seconds"
    doc: str
    spark: str | None = None
    spark_bare_unit: str = "s"  # what a bare number means under the Spark name (time keys)

    def parse(self, value: Any, under: str | None = None) -> Any:
        """Return ``value`` as this setting's kind; ``under`` is the name it was given under."""
        if value is None:
            return None
        try:
            if self.kind == "seconds":
                unit = self.spark_bare_unit if under is not None and under == self.spark else "s"
                return parse_seconds(value, unit)
            if self.kind == "int":
                return _parse_int(value)
            if self.kind == "float":
                return _parse_float(value)
            if self.kind == "bool":
                return parse_bool(value)
            return str(value)
        except (TypeError, ValueError) as exc:
            what = {"seconds": "a duration (2s, 200ms)", "int": "a whole number", "float": "a number",
                    "bool": "true or false", "str": "a string"}[self.kind]
            raise ConfigError(f"setting {under or self.key} = {value!r}: expected {what} ({exc})") from None


SETTINGS: tuple[Setting, ...] = (
    Setting("dstreams.master", None, "str", "master URL: local[N], local-processes[N], local-cluster[N], redis://...",
            "spark.master"),
    Setting("dstreams.app.name", "dstreams", "str", "the application's name", "spark.app.name"),
    Setting("dstreams.app.id", None, "str", "the application id (default: app-<time>-<random>)", "spark.app.id"),
    Setting("dstreams.default.parallelism", None, "int", "default number of partitions of shuffles and parallelize",
            "spark.default.parallelism"),
    Setting("dstreams.task.maxFailures", None, "int", "attempts of a task before its job fails (local[N,F] sets F)",
            "spark.task.maxFailures"),
    Setting("dstreams.compression", "none", "str", "codec of blocks and shuffle data in Redis: none, lz4, zstd"),
    Setting("dstreams.executor.heartbeatTimeout", 3.0, "seconds", "an executor without a heartbeat this long is lost"),
    Setting("dstreams.executor.instances", 0, "int", "executors a redis:// driver expects", "spark.executor.instances"),
    Setting("dstreams.executor.startTimeout", 60.0, "seconds", "how long local-cluster waits for its executors"),
    Setting("dstreams.executor.registrationTimeout", 300.0, "seconds",
            "tasks waiting this long with no executor at all fail, saying how to start executors"),
    Setting("dstreams.driver.leaseWait", None, "seconds", "how long a new driver waits for a dead one's lease"),
    Setting("dstreams.redis.retryWindow", 30.0, "seconds",
            "how long Redis commands are retried while Redis cannot be reached (restart, failover)"),
    Setting("dstreams.local.dir", None, "str", "scratch directory of the driver and local workers", "spark.local.dir"),
    Setting("dstreams.streaming.blockInterval", 0.2, "seconds", "receivers cut a block this often",
            "spark.streaming.blockInterval", "ms"),
    Setting("dstreams.streaming.receiverRestartDelay", 2.0, "seconds", "delay before a receiver restarts"),
    Setting("dstreams.streaming.receiver.maxRate", 0.0, "float", "records/s each receiver stores at most (0: no cap)",
            "spark.streaming.receiver.maxRate"),
    Setting("dstreams.streaming.kafka.maxRatePerPartition", 0.0, "float",
            "records/s read from each Kafka partition at most (0: no cap)", "spark.streaming.kafka.maxRatePerPartition"),
    Setting("dstreams.streaming.backpressure.enabled", False, "bool", "adapt input rates to processing speed",
            "spark.streaming.backpressure.enabled"),
    Setting("dstreams.streaming.backpressure.initialRate", 0.0, "float", "rate of the first batch with backpressure",
            "spark.streaming.backpressure.initialRate"),
    Setting("dstreams.streaming.checkpoint.retained", 10, "int", "streaming checkpoints kept"),
    Setting("dstreams.streaming.gracefulStopTimeout", None, "seconds",
            "how long a graceful stop waits for pending batches (default 10 batch intervals)",
            "spark.streaming.gracefulStopTimeout", "ms"),
    Setting("dstreams.streaming.stopGracefullyOnShutdown", False, "bool", "SIGTERM stops the streams gracefully",
            "spark.streaming.stopGracefullyOnShutdown"),
    Setting("dstreams.streaming.fileStream.minRememberDuration", 60.0, "seconds",
            "how far back a file stream remembers files it saw", "spark.streaming.fileStream.minRememberDuration"),
    Setting("dstreams.streaming.fileStream.ignoreMissingFiles", False, "bool",
            "a file stream skips, with a warning, a file deleted after its batch listed it (false: the batch "
            "fails with InputPathNotFoundError, and so does its re-run after a restart from the checkpoint)",
            "spark.streaming.fileStream.ignoreMissingFiles"),
    Setting("dstreams.kafka.metadataTimeout", 15.0, "seconds", "how long the driver waits for Kafka metadata"),
    Setting("dstreams.ui.enabled", False, "bool", "serve the driver's web UI (dstreams run turns it on)",
            "spark.ui.enabled"),
    Setting("dstreams.ui.host", None, "str", "address the UI listens on (default 127.0.0.1; 0.0.0.0 on redis://)"),
    Setting("dstreams.ui.port", 4040, "int", "port of the UI (0: any free port)", "spark.ui.port"),
)
_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
_BY_KEY.update({s.spark: s for s in SETTINGS if s.spark})


def _normalize(conf: Any) -> dict[str, Any]:
    if conf is None:
        return {}
    if isinstance(conf, Mapping):
        return dict(conf)
    if isinstance(conf, SparkConf):
        return dict(conf.getAll())
    raise TypeError(f"conf must be a dict or a SparkConf, got {type(conf).__name__}")


class Settings(Mapping[str, Any]):
    """The frozen configuration of one Context: a read-only mapping of the keys as given, and
    ``value(key)`` for a declared setting's parsed value (its default when not given).

    Built once (:meth:`build`), validated at once: a bad value fails the Context's start with
    a :class:`ConfigError` naming the key, not a batch later.
    """

    __slots__ = ("_raw", "_values")

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw: dict[str, Any] = dict(raw)
        values: dict[str, Any] = {}
        # Spark's names first, so that a setting's dstreams name wins when both are given
        for key in sorted(self._raw, key=lambda k: not k.startswith("spark.")):
            setting = _BY_KEY.get(key)
            if setting is None:
                if key.startswith("spark."):
                    log.debug("setting %s is not used by dstreams; kept", key)
                continue
            values[setting.key] = setting.parse(self._raw[key], key)
        self._values = values

    @classmethod
    def build(cls, conf: Any = None, environ: Mapping[str, str] | None = None, **given: Any) -> "Settings":
        """Return the settings from the environment, then ``conf`` (a dict or a SparkConf), then
        ``given`` (keys such as ``**{"dstreams.master": url}``; None values are skipped)."""
        env = os.environ if environ is None else environ
        raw: dict[str, Any] = {k[len(ENV_PREFIX):]: v for k, v in env.items() if k.startswith(ENV_PREFIX)}
        for var, key in (("DSTREAMS_MASTER", "dstreams.master"), ("DSTREAMS_APP_NAME", "dstreams.app.name"),
                         ("DSTREAMS_APP_ID", "dstreams.app.id"), ("DSTREAMS_COMPRESSION", "dstreams.compression")):
            if env.get(var):
                raw.setdefault(key, env[var])
        raw.update(_launch)
        user = _normalize(conf)
        for key in user:  # a key given by the program replaces the environment's, under either name
            setting = _BY_KEY.get(key)
            if setting is not None:
                for alias in (setting.key, setting.spark):
                    if alias is not None and alias != key:
                        raw.pop(alias, None)
        raw.update(user)
        raw.update({k: v for k, v in given.items() if v is not None})
        return cls(raw)

    # -- Mapping of the keys as given --------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"Settings({self._raw!r})"

    # -- declared settings ---------------------------------------------------------------------
    def value(self, key: str) -> Any:
        """Return the parsed value of a declared setting (under its dstreams or Spark name), or
        its default; a key that is not declared raises KeyError."""
        setting = _BY_KEY.get(key)
        if setting is None:
            raise KeyError(f"{key!r} is not a dstreams setting (see dstreams.config.SETTINGS)")
        return self._values.get(setting.key, setting.default)

    def is_set(self, key: str) -> bool:
        """Return whether a declared setting was given (under either name)."""
        setting = _BY_KEY.get(key)
        if setting is None:
            raise KeyError(f"{key!r} is not a dstreams setting")
        return setting.key in self._values

    def with_prefix(self, prefix: str) -> dict[str, Any]:
        """Return the keys under ``prefix`` (e.g. ``dstreams.fs.``) with the prefix removed."""
        return {k[len(prefix):]: v for k, v in self._raw.items() if k.startswith(prefix)}

    def to_environ(self) -> dict[str, str]:
        """Return the settings as ``DSTREAMS_CONF_*`` variables, to start executors with."""
        return {ENV_PREFIX + k: str(v) for k, v in self._raw.items() if v is not None}
