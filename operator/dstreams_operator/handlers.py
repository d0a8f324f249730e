"""The kopf handlers: thin glue between Kubernetes and the pure decisions in :mod:`.reconcile`.

Run with ``kopf run -m dstreams_operator.handlers`` (``python -m dstreams_operator`` does that).

* one daemon per StreamJob converges its pods level-triggered: observe (pods, Service, Redis),
  :func:`~.reconcile.reconcile`, carry out the actions, write the status; every few seconds and
  at once when one of its pods or its spec changes;
* create/update/resume handlers check the spec (``kopf.PermanentError`` with the reason in the
  status when it cannot run) and wake the daemon;
* the delete handler (behind the finalizer) stops the driver gracefully before the pods go.

Blocking calls (the Kubernetes client, Redis) run in threads; the event loop never waits.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from typing import Any
from collections.abc import Mapping

import kopf

from .kube import ApiError, Kube
from .manifests import LABEL_JOB, MANAGED_BY, service_name
from .progress import RedisProbe
from .reconcile import (CreatePod, CreateService, DeletePod, DeleteService, Emit, Observed, Plan, PodView,
                        RedisView, finalize, invalid, reconcile, without_failed)
from .spec import GROUP, PLURAL, VERSION, Job, SpecError, parse_job

INTERVAL = float(os.environ.get("DSTREAMS_OPERATOR_INTERVAL", "2"))
_wakers: dict[tuple[str, str], asyncio.Event] = {}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ----------------------------------------------------------------------------- start-up

@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, logger: kopf.Logger, **_: Any) -> None:
    """Set kopf's settings at start-up: progress storage, posting of Events, the Redis probe."""
    settings.persistence.finalizer = f"{GROUP}/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration")
    settings.posting.level = logging.WARNING          # our own Events are posted explicitly
    settings.posting.reporting_component = "dstreams-operator"
    settings.posting.reporting_instance = os.environ.get("HOSTNAME", "dstreams-operator")
    settings.watching.server_timeout = 270
    settings.watching.client_timeout = 300
    settings.networking.request_timeout = 60
    logging.getLogger("kopf.objects").addFilter(_QuietPodEvents())
    memo.kube = Kube()
    memo.redis = RedisProbe()
    logger.info("dstreams operator ready (reconcile every %ss)", INTERVAL)


class _QuietPodEvents(logging.Filter):
    """Drop kopf's "Handler 'pod_changed' succeeded." line, logged for every pod event."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno <= logging.INFO and "'pod_changed' succeeded" in record.getMessage())


@kopf.on.cleanup()
def cleanup(memo: kopf.Memo, **_: Any) -> None:
    """Close the Redis clients when the operator stops."""
    if getattr(memo, "redis", None) is not None:
        memo.redis.close()


def _wake(namespace: str | None, name: str | None) -> None:
    event = _wakers.get((namespace or "", name or ""))
    if event is not None:
        event.set()


# ------------------------------------------------------------------------ spec checks

@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
async def check_spec(body: kopf.Body, name: str, namespace: str | None, patch: kopf.Patch, **_: Any) -> None:
    """Reject a spec that cannot run (the CRD's schema catches most), and wake the daemon."""
    try:
        parse_job(body)
    except SpecError as e:
        plan = invalid(body, str(e), _now())
        patch.status.update(plan.status)
        raise kopf.PermanentError(str(e)) from None
    finally:
        _wake(namespace, name)


@kopf.on.event("", "v1", "pods", labels={"app.kubernetes.io/managed-by": MANAGED_BY})
async def pod_changed(labels: Mapping[str, str], namespace: str | None, **_: Any) -> None:
    """A pod of a StreamJob changed: reconcile that job now rather than at its next tick."""
    _wake(namespace, labels.get(LABEL_JOB))


# ------------------------------------------------------------------------ observe, act

async def _observe(kube: Kube, probe: RedisProbe, job: Job, status: Mapping[str, Any], check_redis: bool) -> Observed:
    pods, service = await asyncio.gather(
        asyncio.to_thread(kube.list_pods, job.namespace, job.name),
        asyncio.to_thread(kube.service_exists, job.namespace, service_name(job)))
    redis: RedisView | None = None
    if check_redis:
        password = None
        if job.redis_password is not None:
            try:
                password = await asyncio.to_thread(kube.secret_value, job.namespace, job.redis_password.name,
                                                   job.redis_password.key)
            except ApiError as e:
                redis = RedisView(False, f"cannot read the Redis password: {e}")
        if redis is None:
            redis = await asyncio.to_thread(probe.probe, job.redis_url, job.app_id, password)
    return Observed(tuple(PodView.from_pod(p) for p in pods), service, redis, status)


async def _execute(kube: Kube, body: Any, plan: Plan, logger: kopf.Logger) -> Plan:
    """Carry out the plan's actions (Events last); return the plan as it stands after failures."""
    namespace = body["metadata"]["namespace"]
    failed: set[str] = set()
    for a in plan.actions:
        try:
            if isinstance(a, (CreatePod, CreateService)):
                await asyncio.to_thread(kube.create, a.manifest)
            elif isinstance(a, DeletePod):
                await asyncio.to_thread(kube.delete_pod, namespace, a.name, a.grace_seconds)
            elif isinstance(a, DeleteService):
                await asyncio.to_thread(kube.delete_service, namespace, a.name)
        except ApiError as e:
            if isinstance(a, (CreatePod, CreateService)):
                failed.add(a.manifest["metadata"]["name"])
            kopf.warn(body, reason="ActionFailed", message=str(e))
            logger.warning("%s", e)
    plan = without_failed(plan, failed)
    for a in plan.of(Emit):
        kopf.event(body, type=a.type, reason=a.reason, message=a.message)
        (logger.warning if a.type == "Warning" else logger.info)("%s: %s", a.reason, a.message)
    if failed:
        plan.failed = True
    return plan


def _changed(current: Mapping[str, Any], patch: Mapping[str, Any]) -> bool:
    for k, v in patch.items():
        if v is None:
            if current.get(k) is not None:
                return True
        elif isinstance(v, Mapping) and isinstance(current.get(k), Mapping):
            if _changed(current[k], v):
                return True
        elif current.get(k) != v:
            return True
    return False


async def _reconcile_once(kube: Kube, probe: RedisProbe, namespace: str, name: str, logger: kopf.Logger) -> bool:
    """One pass; True when an action failed (the caller backs off)."""
    body = await asyncio.to_thread(kube.get_job, namespace, name)
    if body is None or (body.get("metadata") or {}).get("deletionTimestamp"):
        return False
    status = body.get("status") or {}
    try:
        job = parse_job(body)
    except SpecError as e:
        plan = invalid(body, str(e), _now())
    else:
        terminal = status.get("terminalGeneration") == job.generation and status.get("phase") in ("Succeeded", "Failed")
        observed = await _observe(kube, probe, job, status, check_redis=not job.suspend and not terminal)
        plan = await _execute(kube, body, reconcile(job, observed, _now()), logger)
    if _changed(status, plan.status):
        await asyncio.to_thread(kube.patch_status, namespace, name, plan.status)
    return plan.failed


@kopf.daemon(GROUP, VERSION, PLURAL, id="reconcile", cancellation_backoff=1.0, cancellation_timeout=10.0)
async def run_job(name: str, namespace: str | None, memo: kopf.Memo, stopped: kopf.DaemonStopped,
                  logger: kopf.Logger, **_: Any) -> None:
    """Converge one StreamJob's pods, Service and status, for as long as the StreamJob exists."""
    namespace = namespace or "default"   # StreamJobs are namespaced
    wake = _wakers.setdefault((namespace, name), asyncio.Event())
    lock = memo.setdefault("lock", asyncio.Lock())
    try:
        while not stopped:
            wake.clear()
            failed = True
            async with lock:
                try:
                    failed = await _reconcile_once(memo.kube, memo.redis, namespace, name, logger)
                except ApiError as e:
                    logger.warning("reconcile failed, retrying: %s", e)
                except Exception:  # noqa: BLE001 - keep converging; the next tick retries
                    logger.exception("reconcile failed, retrying")
            if failed:  # back off: pod events must not spin a failing pass
                await asyncio.sleep(min(30.0, 5 * INTERVAL))
                continue
            try:
                await asyncio.wait_for(wake.wait(), timeout=INTERVAL)
            except TimeoutError:
                pass
            # coalesce bursts of pod events into one pass
            await asyncio.sleep(0.2)
    finally:
        if _wakers.get((namespace, name)) is wake:
            _wakers.pop((namespace, name), None)


# ---------------------------------------------------------------------------- delete

@kopf.on.delete(GROUP, VERSION, PLURAL)
async def stop_job(body: kopf.Body, name: str, namespace: str | None, memo: kopf.Memo, logger: kopf.Logger,
                   **_: Any) -> None:
    """Stop the driver gracefully (final checkpoint), then delete the executors and the Service."""
    namespace = namespace or "default"   # StreamJobs are namespaced
    kube: Kube = memo.kube
    lock = memo.setdefault("lock", asyncio.Lock())
    async with lock:
        raw = dict(body)
        try:
            job = parse_job(raw)
        except SpecError:
            return  # it never ran: the garbage collector removes whatever it owns
        pods, service = await asyncio.gather(
            asyncio.to_thread(kube.list_pods, namespace, name),
            asyncio.to_thread(kube.service_exists, namespace, service_name(job)))
        plan = finalize(job, Observed(tuple(PodView.from_pod(p) for p in pods), service, None, raw.get("status") or {}))
        plan = await _execute(kube, body, plan, logger)
    if not plan.done:
        raise kopf.TemporaryError("waiting for the driver to stop gracefully", delay=1)
