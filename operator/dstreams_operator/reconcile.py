"""Reconcile decisions as pure functions: (spec, observed pods, Redis, previous status, now) -> Plan.

A :class:`Plan` is a list of actions (create/delete a pod or Service, record an Event) and the
new ``status``. The handlers observe, call :func:`reconcile` (or :func:`finalize` on delete),
carry out the actions and write the status; nothing here does I/O, so every decision is tested
without a cluster (``tests/unit/operator``).

The operator runs pods with ``restartPolicy: Never`` and restarts them itself, so each restart
is a decision here, with its Event and its count in the status:

* a failed driver is restarted under ``spec.restartPolicy`` after a back-off that doubles with
  each consecutive failure; after ``limit`` consecutive restarts without a completed batch the job
  is Failed (``RestartLimitExceeded``). A driver pod that disappears is restarted at once.
* a failed, finished or deleted executor is replaced (its work is recomputed by the driver).
* a change of the pod-shaping spec (image, application, ...) stops the driver gracefully (it
  writes a final checkpoint on SIGTERM), then replaces the driver and the executors.
* ``suspend: true`` stops the driver gracefully, then the executors; ``false`` starts them again.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Iterable, Mapping

from .manifests import (LABEL_ROLE, LABEL_VERSION, driver_name, driver_pod, executor_pod, executor_prefix,
                        executor_selector, service_name, ui_service)
from .spec import Job, redact_url

__all__ = [
    "PodView", "RedisView", "Observed", "CreatePod", "DeletePod", "CreateService", "DeleteService", "Emit",
    "Action", "Plan", "reconcile", "finalize", "invalid", "format_time", "parse_time", "format_delay",
    "set_condition", "random_suffix", "without_failed",
]

ACTIVE = ("Pending", "Running", "Unknown")
ENDED = ("Succeeded", "Failed")


# ------------------------------------------------------------------------------- observations

def parse_time(value: Any) -> dt.datetime | None:
    """Parse an RFC 3339 time (as Kubernetes and the driver write them); None if absent/bad."""
    if not value:
        return None
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def format_time(t: dt.datetime) -> str:
    """RFC 3339 in UTC with second precision, as Kubernetes writes times."""
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_delay(ms: Any) -> str:
    """A delay for the ``Delay`` column: ``850ms``, ``1.2s``, ``3m4s``.

    >>> format_delay(850), format_delay(1234), format_delay(184000)
    ('850ms', '1.2s', '3m4s')
    """
    try:
        ms = int(ms)
    except (TypeError, ValueError):
        return ""
    if ms < 1000:
        return f"{ms}ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f}s"
    return f"{ms // 60_000}m{(ms % 60_000) // 1000}s"


@dataclass(frozen=True)
class PodView:
    """What the reconciler needs to know about one pod."""

    name: str
    role: str
    version: str = ""
    phase: str = "Pending"
    uid: str = ""
    deleting: bool = False
    ready: bool = False
    created: dt.datetime | None = None
    exit_code: int | None = None
    reason: str | None = None
    message: str | None = None
    finished_at: str | None = None

    @classmethod
    def from_pod(cls, pod: Mapping[str, Any]) -> PodView:
        meta = pod.get("metadata") or {}
        status = pod.get("status") or {}
        labels = meta.get("labels") or {}
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
        exit_code = reason = message = finished = None
        for cs in status.get("containerStatuses") or []:
            term = (cs.get("state") or {}).get("terminated")
            if term:
                exit_code, reason = term.get("exitCode"), term.get("reason")
                message, finished = term.get("message"), term.get("finishedAt")
        return cls(name=meta.get("name", ""), role=labels.get(LABEL_ROLE, ""), version=labels.get(LABEL_VERSION, ""),
                   phase=status.get("phase") or "Pending", uid=meta.get("uid", ""),
                   deleting=bool(meta.get("deletionTimestamp")), ready=ready,
                   created=parse_time(meta.get("creationTimestamp")), exit_code=exit_code,
                   reason=reason or status.get("reason"), message=message or status.get("message"),
                   finished_at=finished)


@dataclass(frozen=True)
class RedisView:
    """The operator's own look at the job's Redis: reachable? and the driver's progress record."""

    reachable: bool
    error: str | None = None
    progress: Mapping[str, Any] | None = None
    driver_lease_ms: int | None = None      # time left on a (previous) driver's lease, if any


@dataclass(frozen=True)
class Observed:
    """What the operator sees of a job: its status, its pods, its Service and its Redis."""
    pods: tuple[PodView, ...] = ()
    service: bool = False
    redis: RedisView | None = None          # None: not checked (suspended, finished)
    status: Mapping[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------ actions

@dataclass(frozen=True)
class CreatePod:
    """Action: create this pod (owned by the StreamJob)."""
    manifest: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.manifest["metadata"]["name"]


@dataclass(frozen=True)
class DeletePod:
    """Action: delete a pod, with a grace period, for a reason shown in the log."""
    name: str
    grace_seconds: int
    reason: str = ""


@dataclass(frozen=True)
class CreateService:
    """Action: create the driver UI's Service."""
    manifest: Mapping[str, Any]


@dataclass(frozen=True)
class DeleteService:
    """Action: delete the driver UI's Service."""
    name: str


@dataclass(frozen=True)
class Emit:
    """A Kubernetes Event on the StreamJob."""

    type: str       # Normal | Warning
    reason: str
    message: str


Action = CreatePod | DeletePod | CreateService | DeleteService | Emit


@dataclass
class Plan:
    """What reconcile() decided: actions to carry out and the status to patch."""
    actions: list[Action] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)
    done: bool = False          # finalize(): the job may go
    failed: bool = False        # set by the handler when an action failed

    def of(self, kind: type) -> list[Any]:
        return [a for a in self.actions if isinstance(a, kind)]


def random_suffix() -> str:
    """Return a short random suffix for an executor pod's name."""
    return secrets.token_hex(3)[:5]


# --------------------------------------------------------------------------------- conditions

def set_condition(conditions: Iterable[Mapping[str, Any]], type_: str, status: bool | str, reason: str,
                  message: str, now: dt.datetime, generation: int) -> list[dict[str, Any]]:
    """Return ``conditions`` with ``type_`` set; ``lastTransitionTime`` moves only when the
    status changes."""
    value = status if isinstance(status, str) else ("True" if status else "False")
    out: list[dict[str, Any]] = []
    found = False
    for c in conditions:
        c = dict(c)
        if c.get("type") == type_:
            found = True
            changed = c.get("status") != value
            c.update(status=value, reason=reason, message=message, observedGeneration=generation)
            if changed or not c.get("lastTransitionTime"):
                c["lastTransitionTime"] = format_time(now)
        out.append(c)
    if not found:
        out.append({"type": type_, "status": value, "reason": reason, "message": message,
                    "lastTransitionTime": format_time(now), "observedGeneration": generation})
    return out


def _condition(status: Mapping[str, Any], type_: str) -> Mapping[str, Any] | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == type_), None)


# -------------------------------------------------------------------------------------- plans

def invalid(body: Mapping[str, Any], error: str, now: dt.datetime) -> Plan:
    """The plan for a spec that cannot run: phase Failed, reason InvalidSpec (until it changes)."""
    status = dict(body.get("status") or {})
    gen = int((body.get("metadata") or {}).get("generation") or 0)
    plan = Plan()   # the Event comes from the handler's kopf.PermanentError
    plan.status = {"phase": "Failed", "message": error, "observedGeneration": gen,
                   "conditions": set_condition(status.get("conditions") or [], "Ready", False, "InvalidSpec",
                                               error, now, gen)}
    return plan


def _termination(pod: PodView) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if pod.exit_code is not None:
        out["exitCode"] = int(pod.exit_code)
    out["reason"] = pod.reason or pod.phase
    if pod.message:
        out["message"] = pod.message[-500:]
    if pod.finished_at:
        out["finishedAt"] = pod.finished_at
    return out


def _describe_exit(pod: PodView) -> str:
    what = f"exited with code {pod.exit_code}" if pod.exit_code is not None else f"ended ({pod.phase})"
    return what + (f" ({pod.reason})" if pod.reason else "")


def _last_batch(progress: Mapping[str, Any] | None, previous: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not progress or not progress.get("lastBatchTime"):
        return dict(previous) if previous else None
    out: dict[str, Any] = {"time": progress["lastBatchTime"]}
    for key in ("processingDelayMs", "schedulingDelayMs", "totalDelayMs", "batchesCompleted"):
        if isinstance(progress.get(key), (int, float)):
            out[key] = int(progress[key])
    if "totalDelayMs" not in out and "processingDelayMs" in out:
        out["totalDelayMs"] = out["processingDelayMs"] + out.get("schedulingDelayMs", 0)
    out["delay"] = format_delay(out.get("totalDelayMs"))
    if progress.get("updatedAt"):
        out["updatedAt"] = progress["updatedAt"]
    return out


def _progress_since(progress: Mapping[str, Any] | None, since: dt.datetime | None) -> bool:
    """Did the driver complete a batch after ``since`` (the current driver pod's creation)?

    Creation times have whole seconds: a record of the same second may be the previous driver's.
    """
    if not progress or since is None or progress.get("state") not in (None, "running"):
        return False
    updated = parse_time(progress.get("updatedAt"))
    return (updated is not None and progress.get("lastBatchTime") is not None
            and updated >= since + dt.timedelta(seconds=1))


def reconcile(job: Job, obs: Observed, now: dt.datetime,
              new_suffix: Callable[[], str] = random_suffix) -> Plan:
    """Decide what to do about ``job`` given what is observed; see the module docstring."""
    plan = Plan()
    act = plan.actions.append
    st = dict(obs.status or {})
    gen = job.generation
    version = job.version
    drv: dict[str, Any] = dict(st.get("driver") or {})
    drv.setdefault("restarts", 0)
    drv.setdefault("consecutiveFailures", 0)
    terminal_gen = st.get("terminalGeneration")
    if terminal_gen is not None and terminal_gen != gen:  # the spec changed after the end: run it again
        terminal_gen = None
        drv.update(consecutiveFailures=0, restartAt=None, stopping=None, recovering=False)
    terminal = terminal_gen is not None and st.get("phase") in ENDED
    end: tuple[str, str, str] | None = None      # (phase, reason, message) when the job ends now

    redis_ok = obs.redis is None or obs.redis.reachable
    progress = obs.redis.progress if obs.redis is not None else None
    want_run = not job.suspend and not terminal
    policy = job.restart

    drivers = [p for p in obs.pods if p.role == "driver" and p.name == driver_name(job)]
    driver = drivers[0] if drivers else None
    reason, message = "", ""

    def fail_or_restart(why: str, detail: str, immediate: bool) -> None:
        """Count a driver failure; restart it under the policy or end the job."""
        nonlocal end
        if policy.type == "Never":
            end = ("Failed", why, f"the driver {detail}; restartPolicy is Never")
            return
        if drv["consecutiveFailures"] >= policy.limit:
            end = ("Failed", "RestartLimitExceeded",
                   f"the driver {detail}; {drv['consecutiveFailures']} consecutive restarts without a completed "
                   f"batch reached restartPolicy.limit {policy.limit}")
            return
        drv["consecutiveFailures"] += 1
        drv["restarts"] += 1
        drv["recovering"] = True
        drv["stopping"] = "Restart"
        delay = 0 if immediate else policy.backoff(drv["consecutiveFailures"])
        drv["restartAt"] = format_time(now + dt.timedelta(seconds=delay)) if delay else None
        when = f"in {delay:g}s" if delay else "now"
        in_a_row = f"{drv['consecutiveFailures']} of {policy.limit} in a row"
        act(Emit("Warning", why, f"the driver {detail}; restarting it {when} (restart {drv['restarts']}, {in_a_row})"))

    # ---------------------------------------------------------------- the driver
    if driver is None:
        if drv.get("uid") and not drv.get("stopping") and want_run:
            drv["lastTermination"] = {"reason": "Deleted", "message": f"pod {drv.get('pod')} disappeared"}
            fail_or_restart("DriverLost", f"pod {drv.get('pod')} disappeared", immediate=True)
        drv.update(uid=None, phase=None, ready=False, startedAt=None)
        restart_at = parse_time(drv.get("restartAt"))
        if end is None and want_run and redis_ok:
            lease = obs.redis.driver_lease_ms if obs.redis is not None else None
            if restart_at is not None and now < restart_at:
                reason = "BackOff"
                message = f"restarting the driver in {(restart_at - now).total_seconds():.0f}s"
            elif lease:
                # the previous driver's lease has not expired yet: a new driver would be refused
                reason = "WaitingForDriverLease"
                message = ("waiting for the previous driver's lease in Redis to expire"
                           + (f" ({lease / 1000:.1f}s left)" if lease > 0 else " (it has no expiry)"))
            else:
                act(CreatePod(driver_pod(job)))
                why = drv.get("stopping")
                labels = {"Upgrade": "Upgraded", "Restart": "DriverRestarted", "Suspend": "Resumed"}
                label = labels.get(why or "", "Started")
                act(Emit("Normal", label, f"created driver pod {driver_name(job)} (version {version})"))
                drv.update(pod=driver_name(job), stopping=None, restartAt=None)
    elif driver.deleting:
        drv.update(pod=driver.name, phase=driver.phase, ready=False)
    elif driver.phase in ACTIVE:
        drv.update(pod=driver.name, uid=driver.uid, phase=driver.phase, ready=driver.ready,
                   startedAt=format_time(driver.created) if driver.created else drv.get("startedAt"))
        if not want_run:
            if not terminal:
                act(DeletePod(driver.name, job.driver.grace_seconds, "Suspend"))
                act(Emit("Normal", "Suspending", "stopping the driver gracefully (final checkpoint); "
                                                 "the checkpoint is kept for the resume"))
                drv["stopping"] = "Suspend"
        elif driver.version != version:
            act(DeletePod(driver.name, job.driver.grace_seconds, "Upgrade"))
            act(Emit("Normal", "Upgrading", f"the spec changed (version {driver.version} -> {version}): "
                                            "stopping the driver gracefully after a final checkpoint"))
            drv.update(stopping="Upgrade", recovering=True)
        elif _progress_since(progress, driver.created):
            if drv.get("recovering"):
                act(Emit("Normal", "Recovered", "the driver completed a batch after its restart"))
            drv.update(recovering=False, consecutiveFailures=0)
    else:  # the driver pod ended
        drv.update(pod=driver.name, uid=driver.uid, phase=driver.phase, ready=False,
                   lastTermination=_termination(driver))
        if drv.get("stopping") or not want_run:
            if not terminal:
                act(DeletePod(driver.name, 0, drv.get("stopping") or "Stopped"))
        elif driver.phase == "Succeeded" and policy.type != "Always":
            end = ("Succeeded", "Completed", "the driver finished (exit code 0)")
        else:
            fail_or_restart("DriverFailed" if driver.phase == "Failed" else "DriverExited",
                            _describe_exit(driver), immediate=False)
            if end is None:          # restarting: the new pod takes the name (an ended one keeps its logs)
                act(DeletePod(driver.name, 0, "Restart"))

    if end is not None:
        terminal = True
        terminal_gen = gen
        want_run = False
        act(Emit("Normal" if end[0] == "Succeeded" else "Warning", end[1], end[2]))

    # ---------------------------------------------------------------- executors
    ex_prev = dict(st.get("executors") or {})
    known = set(ex_prev.get("pods") or [])
    ex_restarts = int(ex_prev.get("restarts") or 0)
    # hold the executors as they are while a driver stops (its last batch may need them), while an
    # old-version driver still runs, and while Redis cannot be reached (a blip must not cost them)
    stopping_driver = any(isinstance(a, DeletePod) and a.name == driver_name(job) and a.grace_seconds
                          for a in plan.actions)
    hold = driver is not None and (driver.deleting or stopping_driver
                                   or (driver.version != version and driver.phase in ACTIVE))
    hold = hold or (want_run and not redis_ok)
    want_execs = want_run and redis_ok and not hold
    desired = job.executor.instances if want_execs else 0
    keep: list[PodView] = []
    held: list[PodView] = []
    seen = set()
    for e in (p for p in obs.pods if p.role == "executor"):
        seen.add(e.name)
        if e.deleting:
            if e.name in known and want_execs:
                ex_restarts += 1
                act(Emit("Warning", "ExecutorLost", f"executor pod {e.name} is being deleted; replacing it"))
            continue
        if e.phase in ENDED:
            act(DeletePod(e.name, 0, "Ended"))
            if e.name in known and want_execs and e.phase == "Failed":
                ex_restarts += 1
                act(Emit("Warning", "ExecutorFailed", f"executor pod {e.name} {_describe_exit(e)}; replacing it"))
            continue
        if hold:
            held.append(e)
            continue
        if e.version != version:
            act(DeletePod(e.name, 10, "Upgrade"))
            continue
        keep.append(e)
    if want_execs:
        for name in sorted(known - seen):
            ex_restarts += 1
            act(Emit("Warning", "ExecutorLost", f"executor pod {name} disappeared; replacing it"))
    created: list[str] = []
    if not hold and len(keep) < desired:
        for _ in range(desired - len(keep)):
            pod = executor_pod(job, executor_prefix(job) + new_suffix())
            act(CreatePod(pod))
            created.append(pod["metadata"]["name"])
        act(Emit("Normal", "ExecutorsCreated", f"created executor pods {', '.join(created)} "
                                               f"({len(keep)} -> {desired})"))
    elif not hold and len(keep) > desired:
        # scale down: pods not yet ready first, then the newest
        order = sorted(keep, key=lambda p: (p.ready, -(p.created.timestamp() if p.created else 0), p.name))
        surplus = order[:len(keep) - desired]
        for p in surplus:
            act(DeletePod(p.name, 10, "ScaleDown" if want_execs else "Stop"))
        act(Emit("Normal", "ExecutorsScaledDown" if want_execs else "ExecutorsStopped",
                 f"deleted executor pods {', '.join(p.name for p in surplus)} ({len(keep)} -> {desired})"))
        gone = {p.name for p in surplus}
        keep = [p for p in keep if p.name not in gone]
    ready = sum(1 for p in keep + held if p.ready or p.phase == "Running")

    # ---------------------------------------------------------------- the Service
    if not obs.service and not terminal:
        act(CreateService(ui_service(job)))

    # ---------------------------------------------------------------- phase, status
    conditions = list(st.get("conditions") or [])
    redis_message = (obs.redis.error if obs.redis and obs.redis.error
                     else f"cannot reach Redis at {redact_url(job.redis_url)}")
    if end is not None:
        phase, reason, message = end
    elif terminal:
        phase = str(st.get("phase"))
        reason = str((_condition(st, "Ready") or {}).get("reason") or phase)
        message = str(st.get("message") or "")
    elif job.suspend:
        phase = "Suspended"
        if driver is not None or keep:
            reason, message = "Suspending", "stopping the pods; the checkpoint is kept"
        else:
            reason, message = "Suspended", "suspended; set spec.suspend to false to resume from the checkpoint"
    elif not redis_ok and not (driver is not None and driver.phase == "Running" and not driver.deleting):
        phase, reason, message = "Failed", "RedisUnreachable", redis_message
    elif drv.get("recovering") or drv.get("stopping"):
        phase = "Recovering"
        if not reason:
            reason = {"Upgrade": "Upgrading"}.get(drv.get("stopping") or "", "Recovering")
            message = {"Upgrade": "stopping the old driver (final checkpoint) to start the new version"}.get(
                drv.get("stopping") or "", "the driver restarts and recovers from the checkpoint")
    elif driver is None and reason:
        phase = "Pending"
    elif driver is None or driver.phase != "Running":
        phase, reason, message = "Pending", "Starting", "waiting for the driver pod to run"
    else:
        phase, reason, message = "Running", "Running", ""
    if progress and progress.get("state") == "failed" and progress.get("message") and phase not in ("Succeeded",):
        message = (message + "; " if message else "") + f"driver reported: {progress['message']}"[:1000]

    if obs.redis is not None:
        if obs.redis.reachable:
            conditions = set_condition(conditions, "RedisReachable", True, "RedisReachable",
                                       f"Redis at {redact_url(job.redis_url)} answers", now, gen)
        else:
            prev = _condition(st, "RedisReachable")
            if not prev or prev.get("status") != "False":
                act(Emit("Warning", "RedisUnreachable", redis_message))
            conditions = set_condition(conditions, "RedisReachable", False, "RedisUnreachable", redis_message,
                                       now, gen)
    all_ready = phase == "Running" and ready >= desired
    ready_reason = "Running" if all_ready else (reason if phase != "Running" else "ExecutorsNotReady")
    ready_message = message if phase != "Running" or all_ready else f"{ready} of {desired} executors ready"
    conditions = set_condition(conditions, "Ready", all_ready, ready_reason or phase or "Unknown", ready_message,
                               now, gen)

    drv["restarts"] = int(drv.get("restarts") or 0)
    status: dict[str, Any] = {
        "phase": phase,
        "message": message,
        "observedGeneration": gen,
        "terminalGeneration": terminal_gen,
        "appVersion": version,
        "driver": {k: v for k, v in drv.items()},
        "executors": {
            "desired": job.executor.instances if not terminal and not job.suspend else 0,
            "current": len(keep) + len(created) + len(held),
            "ready": ready,
            "summary": f"{ready}/{job.executor.instances if not terminal and not job.suspend else 0}",
            "selector": executor_selector(job),
            "restarts": ex_restarts,
            "pods": sorted([p.name for p in keep + held] + created),
        },
        "conditions": conditions,
    }
    last = _last_batch(progress, st.get("lastBatch"))
    if last:
        status["lastBatch"] = last
    plan.status = status
    return plan


CREATION_EVENTS = frozenset({"Started", "DriverRestarted", "Upgraded", "Resumed", "ExecutorsCreated"})


def without_failed(plan: Plan, failed: set[str]) -> Plan:
    """The plan's status as it is after the creation of the pods in ``failed`` failed: those
    executors are not known (so the next pass creates them again rather than counting them
    lost), and the creation Events are not posted."""
    if not failed:
        return plan
    status = dict(plan.status)
    ex = dict(status.get("executors") or {})
    if ex:
        pods = [p for p in ex.get("pods") or [] if p not in failed]
        ex.update(pods=pods, current=max(0, int(ex.get("current") or 0) - (len(ex.get("pods") or []) - len(pods))))
        status["executors"] = ex
    actions = [a for a in plan.actions if not (isinstance(a, Emit) and a.reason in CREATION_EVENTS
                                                and any(name in a.message for name in failed))]
    return Plan(actions, status, plan.done, plan.failed)


def finalize(job: Job, obs: Observed) -> Plan:
    """The StreamJob is being deleted: stop the driver gracefully (final checkpoint), then delete
    the executors and the Service. ``plan.done`` once the driver is gone."""
    plan = Plan()
    act = plan.actions.append
    driver = next((p for p in obs.pods if p.role == "driver" and p.name == driver_name(job)), None)
    if driver is not None and driver.phase in ACTIVE and not driver.deleting:
        act(DeletePod(driver.name, job.driver.grace_seconds, "Delete"))
        act(Emit("Normal", "Stopping", "the StreamJob is being deleted: stopping the driver gracefully"))
    if driver is not None and driver.phase in ACTIVE:
        plan.status = {"phase": (obs.status or {}).get("phase"), "message": "stopping the driver before deletion"}
        return plan
    for p in obs.pods:
        if not p.deleting:
            act(DeletePod(p.name, 0 if p.phase in ENDED else 10, "Delete"))
    if obs.service:
        act(DeleteService(service_name(job)))
    plan.done = True
    return plan
