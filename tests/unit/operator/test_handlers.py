"""The kopf handlers against a fake Kubernetes facade: observe -> reconcile -> act -> status."""
from __future__ import annotations

import asyncio
import copy
import logging

import pytest

kopf = pytest.importorskip("kopf")

from dstreams_operator import handlers  # noqa: E402
from dstreams_operator.kube import ApiError  # noqa: E402
from dstreams_operator.reconcile import RedisView  # noqa: E402

from tests.unit.operator.helpers import body  # noqa: E402

log = logging.getLogger("test")


class FakeKube:
    def __init__(self, job: dict, fail_creates: bool = False) -> None:
        self.job = job
        self.pods: dict[str, dict] = {}
        self.services: set[str] = set()
        self.fail_creates = fail_creates
        self.calls: list[tuple] = []

    def get_job(self, namespace: str, name: str) -> dict | None:
        return copy.deepcopy(self.job)

    def list_pods(self, namespace: str, job: str) -> list[dict]:
        return [copy.deepcopy(p) for p in self.pods.values()]

    def service_exists(self, namespace: str, name: str) -> bool:
        return name in self.services

    def secret_value(self, namespace: str, name: str, key: str) -> str:
        raise ApiError(404, f"secret {namespace}/{name} not found")

    def create(self, manifest: dict) -> bool:
        self.calls.append(("create", manifest["kind"], manifest["metadata"]["name"]))
        if self.fail_creates:
            raise ApiError(403, "forbidden: namespace is being terminated")
        if manifest["kind"] == "Pod":
            pod = copy.deepcopy(manifest)
            pod["metadata"].update(uid="u-" + pod["metadata"]["name"], creationTimestamp="2026-01-01T12:00:00Z")
            pod["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
            self.pods[pod["metadata"]["name"]] = pod
        else:
            self.services.add(manifest["metadata"]["name"])
        return True

    def delete_pod(self, namespace: str, name: str, grace_seconds: int) -> bool:
        self.calls.append(("delete", name, grace_seconds))
        return self.pods.pop(name, None) is not None

    def delete_service(self, namespace: str, name: str) -> bool:
        self.calls.append(("delete-service", name))
        return True

    def patch_status(self, namespace: str, name: str, status: dict) -> None:
        self.calls.append(("status", status.get("phase")))
        merged = dict(self.job.get("status") or {})
        merged.update({k: v for k, v in status.items()})
        self.job["status"] = merged


class FakeProbe:
    def __init__(self, view: RedisView) -> None:
        self.view = view

    def probe(self, url: str, app_id: str, password: str | None = None) -> RedisView:
        return self.view


@pytest.fixture
def events(monkeypatch):
    posted: list[tuple[str, str]] = []
    monkeypatch.setattr(kopf, "event", lambda obj, *, type, reason, message: posted.append((type, reason)))
    monkeypatch.setattr(kopf, "warn", lambda obj, *, reason, message: posted.append(("Warning", reason)))
    return posted


def test_a_pass_creates_the_pods_and_writes_the_status(events):
    kube = FakeKube(body())
    failed = asyncio.run(handlers._reconcile_once(kube, FakeProbe(RedisView(True)), "demo", "wc", log))
    assert failed is False
    assert sorted(c[1] for c in kube.calls if c[0] == "create") == ["Pod", "Pod", "Pod", "Service"]
    assert kube.job["status"]["phase"] == "Pending"
    assert ("Normal", "Started") in events and ("Normal", "ExecutorsCreated") in events
    # the next pass sees them running: no more actions, the status says Running
    kube.calls.clear()
    asyncio.run(handlers._reconcile_once(kube, FakeProbe(RedisView(True)), "demo", "wc", log))
    assert [c for c in kube.calls if c[0] != "status"] == []
    assert kube.job["status"]["phase"] == "Running" and kube.job["status"]["executors"]["summary"] == "2/2"


def test_failed_creations_are_reported_and_back_off(events):
    kube = FakeKube(body(), fail_creates=True)
    failed = asyncio.run(handlers._reconcile_once(kube, FakeProbe(RedisView(True)), "demo", "wc", log))
    assert failed is True
    assert ("Warning", "ActionFailed") in events and ("Normal", "ExecutorsCreated") not in events
    assert kube.job["status"]["executors"]["pods"] == []


def test_a_missing_password_secret_is_a_redis_problem(events):
    kube = FakeKube(body(redis={"url": "redis://r:6379/0", "passwordSecret": {"name": "nope"}}))
    asyncio.run(handlers._reconcile_once(kube, FakeProbe(RedisView(True)), "demo", "wc", log))
    st = kube.job["status"]
    assert st["phase"] == "Failed" and "cannot read the Redis password" in st["message"]
    assert not [c for c in kube.calls if c[0] == "create" and c[1] == "Pod"]


def test_an_unchanged_status_is_not_written_again(events):
    kube = FakeKube(body())
    probe = FakeProbe(RedisView(True))
    for _ in range(3):
        asyncio.run(handlers._reconcile_once(kube, probe, "demo", "wc", log))
    kube.calls.clear()
    asyncio.run(handlers._reconcile_once(kube, probe, "demo", "wc", log))
    assert kube.calls == []


def test_delete_waits_for_the_driver_then_removes_the_rest(events):
    kube = FakeKube(body())
    asyncio.run(handlers._reconcile_once(kube, FakeProbe(RedisView(True)), "demo", "wc", log))
    memo = kopf.Memo(kube=kube)
    with pytest.raises(kopf.TemporaryError):
        asyncio.run(handlers.stop_job(body=kube.job, name="wc", namespace="demo", memo=memo, logger=log))
    assert ("delete", "wc-driver", 60) in kube.calls and len(kube.pods) == 2
    asyncio.run(handlers.stop_job(body=kube.job, name="wc", namespace="demo", memo=memo, logger=log))
    assert kube.pods == {} and ("delete-service", "wc-ui") in kube.calls
