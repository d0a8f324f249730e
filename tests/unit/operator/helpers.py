"""Builders of StreamJob bodies and observed pods for the operator's pure unit tests."""
from __future__ import annotations

import copy
import datetime as dt
import itertools
from typing import Any

from dstreams_operator.manifests import driver_pod, executor_pod
from dstreams_operator.reconcile import Observed, PodView, RedisView
from dstreams_operator.spec import Job, parse_job

T0 = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def body(name: str = "wc", namespace: str = "demo", generation: int = 1, status: dict | None = None,
         **spec: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"image": "dstreams-runtime:1", "application": {"configMap": {"name": "wc-app"}},
                         "redis": {"url": "redis://redis:6379/0"}, "batchInterval": "1s"}
    for k, v in spec.items():
        s[k] = v
    b = {"apiVersion": "dstreams.io/v1alpha1", "kind": "StreamJob",
         "metadata": {"name": name, "namespace": namespace, "uid": "uid-1", "generation": generation},
         "spec": s}
    if status is not None:
        b["status"] = status
    return b


def job(**kw: Any) -> Job:
    return parse_job(body(**kw))


def pod_view(manifest: dict, phase: str = "Running", ready: bool | None = None, deleting: bool = False,
             created: dt.datetime = T0, exit_code: int | None = None, reason: str | None = None,
             uid: str | None = None) -> PodView:
    """A PodView as the API would report the pod built from ``manifest``."""
    pod = copy.deepcopy(manifest)
    meta = pod["metadata"]
    meta["uid"] = uid or f"uid-{meta['name']}"
    meta["creationTimestamp"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    if deleting:
        meta["deletionTimestamp"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    ready = (phase == "Running") if ready is None else ready
    status: dict[str, Any] = {"phase": phase, "conditions": [{"type": "Ready", "status": str(ready)}]}
    if exit_code is not None:
        status["containerStatuses"] = [{"name": "main", "state": {"terminated": {
            "exitCode": exit_code, "reason": reason or ("Completed" if exit_code == 0 else "Error"),
            "finishedAt": "2026-01-01T12:00:00Z"}}}]
    pod["status"] = status
    return PodView.from_pod(pod)


_names = itertools.count()


def suffixes():
    counter = itertools.count()
    return lambda: f"x{next(counter)}"


def running(j: Job, executors: int | None = None, **kw: Any) -> list[PodView]:
    """A running driver and ``executors`` running executors of ``j``."""
    n = j.executor.instances if executors is None else executors
    return [pod_view(driver_pod(j), **kw)] + [pod_view(executor_pod(j, f"{j.name}-exec-r{i}")) for i in range(n)]


REACHABLE = RedisView(True)


def observed(pods: list[PodView], status: dict | None = None, service: bool = True,
             redis: RedisView | None = REACHABLE) -> Observed:
    return Observed(tuple(pods), service, redis, status or {})


def step_plan(j: Job, pods: list[PodView], status: dict, **kw: Any):
    from dstreams_operator.reconcile import reconcile
    return reconcile(j, observed(pods, status, **kw), T0, suffixes())
