"""Pure builders of the objects a StreamJob owns: the driver pod, executor pods, the UI Service.

Each returns a plain dict ready for the API (owner reference included), so what the operator
creates is testable without a cluster.

Every pod gets the same environment contract (the runtime reads it):

==========================  ===============================================================
``DSTREAMS_MASTER``         the Redis URL of the job (no password), also passed as --master
``DSTREAMS_REDIS_PASSWORD`` from ``spec.redis.passwordSecret`` (only when set)
``DSTREAMS_APP_ID``         ``<namespace>.<name>``, stable across driver restarts
``DSTREAMS_ROLE``           ``driver`` or ``executor``
``DSTREAMS_BATCH_INTERVAL`` the batch interval in seconds (``"2"``, ``"0.5"``)
``DSTREAMS_CHECKPOINT_DIR`` ``spec.checkpoint.url`` (only when set)
``DSTREAMS_CONF_dstreams.ui.port``  the driver UI's port (driver only; the runtime's conf)
``DSTREAMS_EXECUTOR_CORES`` tasks per executor (executors only)
``DSTREAMS_JOB_NAME`` / ``DSTREAMS_JOB_NAMESPACE``  the StreamJob
``POD_NAME`` / ``POD_NAMESPACE``                   the pod (downward API)
``AWS_ENDPOINT_URL``        ``spec.checkpoint.s3.endpoint`` (only when set)
``AWS_DEFAULT_REGION``      ``spec.checkpoint.s3.region`` (only when set)
``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``  from ``spec.checkpoint.s3.credentialsSecret``
==========================  ===============================================================

followed by ``spec.application.env`` (which may override any of them).
"""
from __future__ import annotations

from typing import Any

from dstreams.protocol import DEFAULT_HASH_SEED, Env

from .spec import GROUP, KIND, VERSION, Job

__all__ = [
    "LABEL_JOB", "LABEL_ROLE", "LABEL_VERSION", "MANAGED_BY", "driver_name", "service_name",
    "executor_prefix", "owner_reference", "selector_labels", "executor_selector", "pod_env",
    "driver_pod", "executor_pod", "ui_service",
]

LABEL_JOB = "dstreams.io/job"
LABEL_ROLE = "dstreams.io/role"
LABEL_VERSION = "dstreams.io/version"
MANAGED_BY = "dstreams-operator"
APP_MOUNT = "/app"


def driver_name(job: Job) -> str:
    """Return the driver pod's name."""
    return f"{job.name}-driver"


def service_name(job: Job) -> str:
    """Return the name of the Service in front of the driver's UI."""
    return f"{job.name}-ui"


def executor_prefix(job: Job) -> str:
    """Return the prefix of the executor pods' names (a random suffix follows)."""
    return f"{job.name}-exec-"


def owner_reference(job: Job) -> dict[str, Any]:
    """The controller owner reference that makes the garbage collector delete the children
    with the StreamJob."""
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND, "name": job.name, "uid": job.uid,
            "controller": True, "blockOwnerDeletion": True}


def selector_labels(job: Job, role: str | None = None) -> dict[str, str]:
    """Return the labels that select the job's pods (of one role, when given)."""
    labels = {LABEL_JOB: job.name}
    if role:
        labels[LABEL_ROLE] = role
    return labels


def executor_selector(job: Job) -> str:
    """The label selector of the executor pods (``status.executors.selector``, for the scale
    subresource and HPAs)."""
    return ",".join(f"{k}={v}" for k, v in selector_labels(job, "executor").items())


def _labels(job: Job, role: str) -> dict[str, str]:
    return {
        **job.pod_labels,
        "app.kubernetes.io/name": "dstreams",
        "app.kubernetes.io/instance": job.name,
        "app.kubernetes.io/component": role,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        **selector_labels(job, role),
        LABEL_VERSION: job.version,
    }


def _meta(job: Job, name: str, role: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": job.namespace, "labels": _labels(job, role),
                            "ownerReferences": [owner_reference(job)]}
    if job.pod_annotations:
        meta["annotations"] = dict(job.pod_annotations)
    return meta


def _fmt_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


def pod_env(job: Job, role: str) -> list[dict[str, Any]]:
    """The environment of a driver or executor container (see the module docstring)."""
    env: list[dict[str, Any]] = [
        {"name": "DSTREAMS_MASTER", "value": job.redis_url},
    ]
    if job.redis_password:
        env.append({"name": "DSTREAMS_REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {
            "name": job.redis_password.name, "key": job.redis_password.key}}})
    env += [
        {"name": "DSTREAMS_APP_ID", "value": job.app_id},
        {"name": "DSTREAMS_ROLE", "value": role},
        {"name": "DSTREAMS_BATCH_INTERVAL", "value": _fmt_seconds(job.batch_interval)},
        {"name": "DSTREAMS_JOB_NAME", "value": job.name},
        {"name": "DSTREAMS_JOB_NAMESPACE", "value": job.namespace},
        # keys must hash alike in the driver and every executor, whatever image they run
        {"name": Env.HASH_SEED, "value": DEFAULT_HASH_SEED},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
    ]
    if role == "driver":
        env.append({"name": "DSTREAMS_CONF_dstreams.ui.port", "value": str(job.driver.ui_port)})
    else:
        env.append({"name": "DSTREAMS_EXECUTOR_CORES", "value": str(job.executor.cores)})
    cp = job.checkpoint
    if cp is not None:
        env.append({"name": "DSTREAMS_CHECKPOINT_DIR", "value": cp.url})
        if cp.s3_endpoint:
            env.append({"name": "AWS_ENDPOINT_URL", "value": cp.s3_endpoint})
        if cp.s3_region:
            env.append({"name": "AWS_DEFAULT_REGION", "value": cp.s3_region})
        if cp.credentials:
            for var, key in (("AWS_ACCESS_KEY_ID", "accessKeyIdKey"), ("AWS_SECRET_ACCESS_KEY", "secretAccessKeyKey")):
                env.append({"name": var, "valueFrom": {"secretKeyRef": {
                    "name": cp.credentials["name"], "key": cp.credentials[key]}}})
    env += [dict(e) for e in job.application.env]
    return env


def _pod_spec(job: Job, container: dict[str, Any], grace: int) -> dict[str, Any]:
    spec: dict[str, Any] = {
        # the operator restarts and replaces pods itself (restartPolicy, backoff, limit, Events)
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": grace,
        "containers": [container],
    }
    if job.service_account:
        spec["serviceAccountName"] = job.service_account
    if job.node_selector:
        spec["nodeSelector"] = dict(job.node_selector)
    if job.tolerations:
        spec["tolerations"] = [dict(t) for t in job.tolerations]
    return spec


def _container(job: Job, name: str, command: list[str], role: str, resources: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": name, "image": job.image, "imagePullPolicy": job.image_pull_policy,
        "command": command, "env": pod_env(job, role),
    }
    if resources:
        c["resources"] = dict(resources)
    return c


def driver_pod(job: Job) -> dict[str, Any]:
    """The driver pod: ``dstreams driver <file>|-m <module> --master ... --app-id ... -- args``."""
    app = job.application
    target = ["-m", app.module] if app.module else [app.path or ""]
    command = ["dstreams", "driver", *target, "--master", job.redis_url, "--app-id", job.app_id]
    if app.args:
        command += ["--", *app.args]
    c = _container(job, "driver", command, "driver", job.driver.resources)
    c["ports"] = [{"name": "ui", "containerPort": job.driver.ui_port, "protocol": "TCP"}]
    spec = _pod_spec(job, c, job.driver.grace_seconds)
    if app.config_map is not None:
        c["volumeMounts"] = [{"name": "app", "mountPath": APP_MOUNT, "readOnly": True}]
        spec["volumes"] = [{"name": "app", "configMap": {
            "name": app.config_map.name,
            "items": [{"key": app.config_map.key, "path": app.config_map.key}]}}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": _meta(job, driver_name(job), "driver"), "spec": spec}


def executor_pod(job: Job, name: str) -> dict[str, Any]:
    """An executor pod: ``dstreams executor --master ... --app-id ... --executor-id <pod name>``."""
    command = ["dstreams", "executor", "--master", job.redis_url, "--app-id", job.app_id,
               "--executor-id", name, "--cores", str(job.executor.cores)]
    c = _container(job, "executor", command, "executor", job.executor.resources)
    # an executor stops after its running task; the driver reschedules the rest
    return {"apiVersion": "v1", "kind": "Pod", "metadata": _meta(job, name, "executor"),
            "spec": _pod_spec(job, c, 10)}


def ui_service(job: Job) -> dict[str, Any]:
    """The Service in front of the driver's web UI (``<name>-ui``)."""
    meta = _meta(job, service_name(job), "ui")
    meta["labels"].pop(LABEL_VERSION)
    meta.pop("annotations", None)
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": {
        "type": "ClusterIP", "selector": selector_labels(job, "driver"),
        "ports": [{"name": "ui", "port": job.driver.ui_port, "targetPort": "ui", "protocol": "TCP"}]}}
