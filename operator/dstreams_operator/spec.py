"""The StreamJob spec: parsed from the custom resource's body, defaults applied, checked.

The API server already enforces the CRD's schema (``crds/streamjob.yaml``); this module applies
the same defaults (so a body that skipped them, e.g. in a unit test, means the same thing) and
checks what a schema cannot say well. Everything here is pure: no Kubernetes client, no I/O.

Examples
--------
>>> job = parse_job({"metadata": {"name": "wc", "namespace": "demo", "uid": "u1", "generation": 1},
...                  "spec": {"image": "dstreams-runtime:0.1", "application": {"module": "app.wc"},
...                           "redis": {"url": "redis://redis:6379/0"}, "batchInterval": "2s"}})
>>> job.app_id, job.batch_interval, job.executor.instances
('demo.wc', 2.0, 2)
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Mapping

__all__ = [
    "GROUP", "VERSION", "PLURAL", "KIND", "SpecError", "SecretRef", "Application", "RestartPolicy",
    "Executor", "Driver", "Checkpoint", "Job", "parse_duration", "parse_job", "redact_url",
]

GROUP = "dstreams.io"
VERSION = "v1alpha1"
PLURAL = "streamjobs"
KIND = "StreamJob"

_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(ms|s|m)$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
MAX_NAME = 40


class SpecError(ValueError):
    """The StreamJob's spec cannot be run; the message names the field and the bad value."""


def parse_duration(text: str, field_name: str = "batchInterval") -> float:
    """Return a duration such as ``"2s"``, ``"500ms"`` or ``"1m"`` in seconds.

    >>> parse_duration("500ms"), parse_duration("2s"), parse_duration("1.5m")
    (0.5, 2.0, 90.0)
    """
    m = _DURATION.match(str(text).strip())
    if not m:
        raise SpecError(f"spec.{field_name}: {text!r} is not a duration such as 500ms, 2s or 1m")
    value = float(m.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[m.group(2)]
    if value <= 0:
        raise SpecError(f"spec.{field_name}: {text!r} must be positive")
    return value


def redact_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``.

    >>> redact_url("redis://:hunter2@redis:6379/0")
    'redis://:***@redis:6379/0'
    """
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


@dataclass(frozen=True)
class SecretRef:
    """A key of a Secret (spec.*.passwordSecret, spec.checkpoint.credentialsSecret)."""
    name: str
    key: str


@dataclass(frozen=True)
class Application:
    """spec.application: the image and the program the driver runs."""
    config_map: SecretRef | None = None   # name + key of a ConfigMap holding the file
    file: str | None = None
    module: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[Mapping[str, Any], ...] = ()

    @property
    def path(self) -> str | None:
        """Where the program file is inside the pod (None for a module)."""
        if self.config_map is not None:
            return f"/app/{self.config_map.key}"
        return self.file


@dataclass(frozen=True)
class RestartPolicy:
    """spec.restartPolicy: when and how soon a failed driver is restarted."""
    type: str = "OnFailure"
    backoff_seconds: int = 10
    max_backoff_seconds: int = 300
    limit: int = 5

    def backoff(self, failures: int) -> float:
        """Delay before the restart that follows ``failures`` consecutive failures (>= 1).

        >>> [RestartPolicy().backoff(n) for n in (1, 2, 3, 10)]
        [10, 20, 40, 300]
        """
        return min(self.backoff_seconds * 2 ** max(0, failures - 1), self.max_backoff_seconds)


@dataclass(frozen=True)
class Driver:
    """spec.driver: the driver pod's resources, UI port and grace period."""
    resources: Mapping[str, Any] = field(default_factory=dict)
    ui_port: int = 4040
    grace_seconds: int = 60


@dataclass(frozen=True)
class Executor:
    """spec.executor: how many executor pods, their cores and resources."""
    instances: int = 2
    cores: int = 1
    resources: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Checkpoint:
    """spec.checkpoint: where checkpoints go (a URL) and the credentials for it."""
    url: str
    s3_endpoint: str | None = None
    s3_region: str | None = None
    credentials: Mapping[str, str] | None = None   # {"name", "accessKeyIdKey", "secretAccessKeyKey"}


@dataclass(frozen=True)
class Job:
    """A parsed StreamJob: identity, the spec with defaults, and the raw status."""

    name: str
    namespace: str
    uid: str
    generation: int
    image: str
    image_pull_policy: str
    application: Application
    batch_interval: float
    batch_interval_text: str
    driver: Driver
    executor: Executor
    redis_url: str
    redis_password: SecretRef | None
    checkpoint: Checkpoint | None
    restart: RestartPolicy
    suspend: bool
    service_account: str | None
    node_selector: Mapping[str, str]
    tolerations: tuple[Mapping[str, Any], ...]
    pod_labels: Mapping[str, str]
    pod_annotations: Mapping[str, str]
    spec: Mapping[str, Any]            # the raw spec (for hashing)
    deleting: bool = False

    @property
    def app_id(self) -> str:
        """The application id shared by the driver and executors, stable across restarts."""
        return f"{self.namespace}.{self.name}"

    @property
    def version(self) -> str:
        """A hash of every spec field that shapes the pods (all but the executor count and
        ``suspend``): when it changes, the running job is upgraded."""
        shaping = {k: v for k, v in self.spec.items() if k not in ("suspend", "restartPolicy")}
        executor = dict(shaping.get("executor") or {})
        executor.pop("instances", None)
        shaping["executor"] = executor
        blob = json.dumps(shaping, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:10]


def _obj(spec: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = spec.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(f"{where}.{key}: expected an object, got {value!r}")
    return value


def _int(value: Any, where: str, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{where}: expected an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise SpecError(f"{where}: {value} must be {bound}")
    return value


def _str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise SpecError(f"{where}: expected a map of strings, got {value!r}")
    return dict(value)


def _application(spec: Mapping[str, Any]) -> Application:
    app = spec.get("application")
    if not isinstance(app, Mapping):
        raise SpecError("spec.application: required (configMap, file or module)")
    given = [k for k in ("configMap", "file", "module") if app.get(k)]
    if len(given) != 1:
        raise SpecError(f"spec.application: needs exactly one of configMap, file or module, got {given or 'none'}")
    cm = None
    if app.get("configMap"):
        raw = app["configMap"]
        if not isinstance(raw, Mapping) or not raw.get("name"):
            raise SpecError(f"spec.application.configMap: needs a name, got {raw!r}")
        key = raw.get("key") or "app.py"
        if "/" in key or key in (".", ".."):
            raise SpecError(f"spec.application.configMap.key: {key!r} is not a file name")
        cm = SecretRef(str(raw["name"]), str(key))
    file = app.get("file")
    if file is not None and not str(file).startswith("/"):
        raise SpecError(f"spec.application.file: {file!r} must be an absolute path in the image")
    module = app.get("module")
    if module is not None and not _MODULE.match(str(module)):
        raise SpecError(f"spec.application.module: {module!r} is not a Python module name")
    args = app.get("args") or []
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise SpecError(f"spec.application.args: expected a list of strings, got {args!r}")
    env = app.get("env") or []
    if not isinstance(env, list):
        raise SpecError(f"spec.application.env: expected a list, got {env!r}")
    for i, e in enumerate(env):
        if not isinstance(e, Mapping) or not _ENV_NAME.match(str(e.get("name", ""))):
            raise SpecError(f"spec.application.env[{i}]: {e!r} needs a valid name")
    return Application(cm, file, module, tuple(args), tuple(dict(e) for e in env))


def _checkpoint(spec: Mapping[str, Any]) -> Checkpoint | None:
    raw = spec.get("checkpoint")
    if not raw:
        return None
    if not isinstance(raw, Mapping) or not raw.get("url"):
        raise SpecError(f"spec.checkpoint: needs a url, got {raw!r}")
    url = str(raw["url"])
    if "://" not in url:
        raise SpecError(f"spec.checkpoint.url: {url!r} is not a URL such as s3://bucket/prefix")
    s3 = _obj(raw, "s3", "spec.checkpoint")
    creds = None
    if s3.get("credentialsSecret"):
        cs = s3["credentialsSecret"]
        if not isinstance(cs, Mapping) or not cs.get("name"):
            raise SpecError(f"spec.checkpoint.s3.credentialsSecret: needs a name, got {cs!r}")
        creds = {"name": str(cs["name"]),
                 "accessKeyIdKey": str(cs.get("accessKeyIdKey") or "AWS_ACCESS_KEY_ID"),
                 "secretAccessKeyKey": str(cs.get("secretAccessKeyKey") or "AWS_SECRET_ACCESS_KEY")}
    return Checkpoint(url, s3.get("endpoint") or None, s3.get("region") or None, creds)


def parse_job(body: Mapping[str, Any]) -> Job:
    """Parse a StreamJob body (a dict as the API returns it) into a :class:`Job`.

    Raises :class:`SpecError` naming the field when the spec cannot run.
    """
    meta = body.get("metadata") or {}
    name = str(meta.get("name") or "")
    if not _NAME.match(name) or len(name) > MAX_NAME:
        raise SpecError(f"metadata.name: {name!r} must be a DNS label of at most {MAX_NAME} characters "
                        "starting with a letter")
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        raise SpecError("spec: required")
    image = spec.get("image")
    if not isinstance(image, str) or not image.strip():
        raise SpecError("spec.image: required (the dstreams runtime image)")
    pull = spec.get("imagePullPolicy") or "IfNotPresent"
    if pull not in ("Always", "IfNotPresent", "Never"):
        raise SpecError(f"spec.imagePullPolicy: {pull!r} must be Always, IfNotPresent or Never")
    interval_text = str(spec.get("batchInterval") or "1s")
    interval = parse_duration(interval_text)

    drv = _obj(spec, "driver", "spec")
    driver = Driver(dict(_obj(drv, "resources", "spec.driver")),
                    _int(drv.get("uiPort", 4040), "spec.driver.uiPort", 1, 65535),
                    _int(drv.get("terminationGracePeriodSeconds", 60), "spec.driver.terminationGracePeriodSeconds"))
    ex = _obj(spec, "executor", "spec")
    executor = Executor(_int(ex.get("instances", 2), "spec.executor.instances", 0, 1000),
                        _int(ex.get("cores", 1), "spec.executor.cores", 1, 256),
                        dict(_obj(ex, "resources", "spec.executor")))

    redis = _obj(spec, "redis", "spec")
    url = redis.get("url")
    if not isinstance(url, str) or not re.match(r"^rediss?://\S+$", url):
        raise SpecError(f"spec.redis.url: {url!r} must be a URL such as redis://host:6379/0")
    password = None
    if redis.get("passwordSecret"):
        ps = redis["passwordSecret"]
        if not isinstance(ps, Mapping) or not ps.get("name"):
            raise SpecError(f"spec.redis.passwordSecret: needs a name, got {ps!r}")
        password = SecretRef(str(ps["name"]), str(ps.get("key") or "password"))

    rp = _obj(spec, "restartPolicy", "spec")
    rtype = rp.get("type") or "OnFailure"
    if rtype not in ("Always", "OnFailure", "Never"):
        raise SpecError(f"spec.restartPolicy.type: {rtype!r} must be Always, OnFailure or Never")
    restart = RestartPolicy(rtype, _int(rp.get("backoffSeconds", 10), "spec.restartPolicy.backoffSeconds"),
                            _int(rp.get("maxBackoffSeconds", 300), "spec.restartPolicy.maxBackoffSeconds"),
                            _int(rp.get("limit", 5), "spec.restartPolicy.limit"))
    tolerations = spec.get("tolerations") or []
    if not isinstance(tolerations, list):
        raise SpecError(f"spec.tolerations: expected a list, got {tolerations!r}")
    suspend = spec.get("suspend", False)
    if not isinstance(suspend, bool):
        raise SpecError(f"spec.suspend: expected true or false, got {suspend!r}")
    return Job(
        name=name, namespace=str(meta.get("namespace") or "default"), uid=str(meta.get("uid") or ""),
        generation=int(meta.get("generation") or 0), image=image.strip(), image_pull_policy=pull,
        application=_application(spec), batch_interval=interval, batch_interval_text=interval_text,
        driver=driver, executor=executor, redis_url=url, redis_password=password,
        checkpoint=_checkpoint(spec), restart=restart, suspend=suspend,
        service_account=spec.get("serviceAccountName") or None,
        node_selector=_str_map(spec.get("nodeSelector"), "spec.nodeSelector"),
        tolerations=tuple(dict(t) for t in tolerations),
        pod_labels=_str_map(spec.get("podLabels"), "spec.podLabels"),
        pod_annotations=_str_map(spec.get("podAnnotations"), "spec.podAnnotations"),
        spec=dict(spec), deleting=bool(meta.get("deletionTimestamp")),
    )
