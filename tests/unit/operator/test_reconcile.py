"""Reconcile decisions: spec + observed pods + Redis + previous status -> actions and status."""
from __future__ import annotations

import datetime as dt

from dstreams_operator.manifests import driver_pod, executor_pod
from dstreams_operator.reconcile import (CreatePod, CreateService, DeletePod, DeleteService, Emit, Observed,
                                         RedisView, finalize, invalid, reconcile, set_condition)

from tests.unit.operator.helpers import T0, body, job, observed, pod_view, running, suffixes


def step(j, pods, status=None, now=T0, **kw):
    return reconcile(j, observed(pods, status, **kw), now, suffixes())


def reasons(plan):
    return [a.reason for a in plan.of(Emit)]


def created(plan, role=None):
    return [a.name for a in plan.of(CreatePod)
            if role is None or a.manifest["metadata"]["labels"]["dstreams.io/role"] == role]


def deleted(plan):
    return {a.name: a.grace_seconds for a in plan.of(DeletePod)}


def cond(status, type_):
    return next(c for c in status["conditions"] if c["type"] == type_)


def test_a_new_job_gets_a_driver_executors_and_a_service():
    j = job()
    plan = reconcile(j, Observed(status={}, redis=RedisView(True)), T0, suffixes())
    assert created(plan, "driver") == ["wc-driver"]
    assert created(plan, "executor") == ["wc-exec-x0", "wc-exec-x1"]
    assert len(plan.of(CreateService)) == 1
    assert reasons(plan) == ["Started", "ExecutorsCreated"]
    st = plan.status
    assert st["phase"] == "Pending" and st["observedGeneration"] == 1 and st["appVersion"] == j.version
    assert st["executors"] == {"desired": 2, "current": 2, "ready": 0, "summary": "0/2", "restarts": 0,
                               "selector": "dstreams.io/job=wc,dstreams.io/role=executor",
                               "pods": ["wc-exec-x0", "wc-exec-x1"]}
    assert cond(st, "Ready")["status"] == "False" and cond(st, "RedisReachable")["status"] == "True"


def steady(j, **kw):
    pods = running(j, **kw)
    first = step(j, pods)
    return pods, first.status


def test_a_running_job_is_left_alone():
    j = job()
    pods, status = steady(j)
    plan = step(j, pods, status)
    assert plan.actions == []
    assert plan.status["phase"] == "Running" and plan.status["executors"]["summary"] == "2/2"
    assert cond(plan.status, "Ready")["status"] == "True"


def test_progress_goes_into_the_status():
    j = job()
    pods, status = steady(j)
    progress = {"state": "running", "lastBatchTime": "2026-01-01T12:00:05Z", "processingDelayMs": 120,
                "schedulingDelayMs": 30, "totalDelayMs": 150, "batchesCompleted": 5,
                "updatedAt": "2026-01-01T12:00:05Z"}
    plan = step(j, pods, status, redis=RedisView(True, None, progress))
    assert plan.status["lastBatch"] == {"time": "2026-01-01T12:00:05Z", "processingDelayMs": 120,
                                        "schedulingDelayMs": 30, "totalDelayMs": 150, "batchesCompleted": 5,
                                        "delay": "150ms", "updatedAt": "2026-01-01T12:00:05Z"}


def test_a_deleted_executor_is_replaced_and_counted():
    j = job()
    pods, status = steady(j)
    pods[1] = pod_view(executor_pod(j, pods[1].name), deleting=True)
    plan = step(j, pods, status)
    assert created(plan, "executor") == ["wc-exec-x0"]
    assert "ExecutorLost" in reasons(plan)
    assert plan.status["executors"]["restarts"] == 1
    # once it is gone it is not counted again
    pods2 = [p for p in pods if p.name != pods[1].name] + [pod_view(executor_pod(j, "wc-exec-x0"))]
    plan2 = step(j, pods2, plan.status)
    assert plan2.actions == [] and plan2.status["executors"]["restarts"] == 1


def test_an_executor_that_vanished_is_replaced_and_counted():
    j = job()
    pods, status = steady(j)
    plan = step(j, pods[:2], status)
    assert created(plan, "executor") == ["wc-exec-x0"] and plan.status["executors"]["restarts"] == 1


def test_a_failed_executor_is_deleted_replaced_and_counted():
    j = job()
    pods, status = steady(j)
    pods[2] = pod_view(executor_pod(j, pods[2].name), phase="Failed", exit_code=137, reason="OOMKilled")
    plan = step(j, pods, status)
    assert deleted(plan) == {pods[2].name: 0}
    assert created(plan, "executor") == ["wc-exec-x0"]
    assert plan.status["executors"]["restarts"] == 1
    assert any("exited with code 137 (OOMKilled)" in e.message for e in plan.of(Emit))


def test_scale_up_and_down():
    j = job()
    pods, status = steady(j)
    up = step(job(executor={"instances": 3}), pods, status)
    assert created(up, "executor") == ["wc-exec-x0"] and up.status["executors"]["desired"] == 3
    # down to 1: not-ready pods go first, then the newest
    j3 = job(executor={"instances": 3})
    execs = [pod_view(executor_pod(j3, "wc-exec-old"), created=T0),
             pod_view(executor_pod(j3, "wc-exec-new"), created=T0 + dt.timedelta(seconds=9)),
             pod_view(executor_pod(j3, "wc-exec-pending"), phase="Pending", created=T0)]
    status3 = step(j3, [pods[0], *execs]).status
    down = step(job(executor={"instances": 1}), [pods[0], *execs], status3)
    assert deleted(down) == {"wc-exec-pending": 10, "wc-exec-new": 10}
    assert reasons(down) == ["ExecutorsScaledDown"]
    assert down.status["executors"]["pods"] == ["wc-exec-old"] and down.status["executors"]["restarts"] == 0


def test_a_failed_driver_restarts_after_a_backoff():
    j = job(restartPolicy={"backoffSeconds": 4, "limit": 2})
    pods, status = steady(j)
    failed = [pod_view(driver_pod(j), phase="Failed", exit_code=1), *pods[1:]]
    plan = step(j, failed, status)
    assert deleted(plan) == {"wc-driver": 0} and created(plan) == []
    assert reasons(plan) == ["DriverFailed"]
    d = plan.status["driver"]
    assert (d["restarts"], d["consecutiveFailures"], d["stopping"]) == (1, 1, "Restart")
    assert d["restartAt"] == "2026-01-01T12:00:04Z" and d["lastTermination"]["exitCode"] == 1
    assert plan.status["phase"] == "Recovering"
    # the executors stay through the back-off
    early = step(j, pods[1:], plan.status, now=T0 + dt.timedelta(seconds=2))
    assert early.actions == [] and early.status["phase"] == "Recovering"
    assert cond(early.status, "Ready")["reason"] == "BackOff"
    late = step(j, pods[1:], early.status, now=T0 + dt.timedelta(seconds=4))
    assert created(late) == ["wc-driver"] and reasons(late) == ["DriverRestarted"]
    assert late.status["driver"]["stopping"] is None and late.status["phase"] == "Recovering"
    # recovered once the new driver completes a batch
    new = [pod_view(driver_pod(j), created=T0 + dt.timedelta(seconds=5)), *pods[1:]]
    progress = {"state": "running", "lastBatchTime": "2026-01-01T12:00:06Z", "updatedAt": "2026-01-01T12:00:06Z"}
    ok = step(j, new, late.status, now=T0 + dt.timedelta(seconds=7), redis=RedisView(True, None, progress))
    assert ok.status["phase"] == "Running" and reasons(ok) == ["Recovered"]
    assert ok.status["driver"]["consecutiveFailures"] == 0 and ok.status["driver"]["restarts"] == 1


def test_stale_progress_from_the_old_driver_is_not_recovery():
    j = job()
    pods, status = steady(j)
    status = dict(status, driver=dict(status["driver"], recovering=True, restarts=1))
    progress = {"state": "running", "lastBatchTime": "2026-01-01T11:59:58Z", "updatedAt": "2026-01-01T11:59:58Z"}
    plan = step(j, pods, status, redis=RedisView(True, None, progress))
    assert plan.status["phase"] == "Recovering"


def test_restart_limit():
    j = job(restartPolicy={"limit": 2})
    pods, status = steady(j)
    status = dict(status, driver=dict(status["driver"], consecutiveFailures=2, restarts=2))
    plan = step(j, [pod_view(driver_pod(j), phase="Failed", exit_code=3), *pods[1:]], status)
    assert plan.status["phase"] == "Failed" and cond(plan.status, "Ready")["reason"] == "RestartLimitExceeded"
    assert plan.status["terminalGeneration"] == 1
    assert "wc-driver" not in deleted(plan)                    # kept for its logs
    assert set(deleted(plan)) == {p.name for p in pods[1:]}   # executors go
    assert "RestartLimitExceeded" in reasons(plan)
    # it stays Failed, quietly, until the spec changes
    again = step(j, [pod_view(driver_pod(j), phase="Failed", exit_code=3)], plan.status)
    assert again.actions == [] and again.status["phase"] == "Failed"
    j2 = job(generation=2, image="dstreams-runtime:2", restartPolicy={"limit": 2})
    fixed = step(j2, [pod_view(driver_pod(j), phase="Failed", exit_code=3)], plan.status)
    assert deleted(fixed) == {"wc-driver": 0} and fixed.status["terminalGeneration"] is None


def test_never_means_failed():
    j = job(restartPolicy={"type": "Never"})
    pods, status = steady(j)
    plan = step(j, [pod_view(driver_pod(j), phase="Failed", exit_code=1), *pods[1:]], status)
    assert plan.status["phase"] == "Failed" and cond(plan.status, "Ready")["reason"] == "DriverFailed"


def test_a_driver_that_finishes_succeeds_unless_always():
    j = job()
    pods, status = steady(j)
    done = [pod_view(driver_pod(j), phase="Succeeded", exit_code=0), *pods[1:]]
    plan = step(j, done, status)
    assert plan.status["phase"] == "Succeeded" and reasons(plan) == ["Completed", "ExecutorsStopped"]
    assert "wc-driver" not in deleted(plan)
    ja = job(restartPolicy={"type": "Always", "backoffSeconds": 0})
    always = step(ja, done, status)
    assert deleted(always) == {"wc-driver": 0} and always.status["driver"]["restarts"] == 1
    assert reasons(always) == ["DriverExited"]


def test_a_lost_driver_is_restarted_at_once():
    j = job()
    pods, status = steady(j)
    plan = step(j, pods[1:], status)
    assert created(plan) == ["wc-driver"] and reasons(plan) == ["DriverLost", "DriverRestarted"]
    assert plan.status["driver"]["restarts"] == 1 and plan.status["phase"] == "Recovering"


def test_a_driver_being_deleted_by_hand_holds_the_executors():
    j = job()
    pods, status = steady(j)
    plan = step(j, [pod_view(driver_pod(j), deleting=True), *pods[1:]], status)
    assert plan.actions == []


def test_upgrade_stops_the_driver_gracefully_then_replaces_everything():
    old = job()
    pods, status = steady(old)
    new = job(generation=2, image="dstreams-runtime:2")
    p1 = step(new, pods, status)
    assert deleted(p1) == {"wc-driver": 60} and reasons(p1) == ["Upgrading"]
    assert p1.status["phase"] == "Recovering" and p1.status["driver"]["stopping"] == "Upgrade"
    # while the old driver stops, its executors stay
    p2 = step(new, [pod_view(driver_pod(old), deleting=True), *pods[1:]], p1.status)
    assert p2.actions == []
    # then: new driver, old executors out, new ones in
    p3 = step(new, pods[1:], p2.status)
    assert created(p3, "driver") == ["wc-driver"] and reasons(p3)[0] == "Upgraded"
    assert deleted(p3) == {p.name: 10 for p in pods[1:]}
    assert created(p3, "executor") == ["wc-exec-x0", "wc-exec-x1"]
    assert p3.status["driver"]["restarts"] == 0 and p3.status["executors"]["restarts"] == 0
    assert p3.status["appVersion"] == new.version
    assert all(c.manifest["spec"]["containers"][0]["image"] == "dstreams-runtime:2" for c in p3.of(CreatePod))


def test_suspend_and_resume():
    j = job()
    pods, status = steady(j)
    js = job(generation=2, suspend=True)
    s1 = step(js, pods, status)
    assert deleted(s1) == {"wc-driver": 60} and reasons(s1) == ["Suspending"]
    assert s1.status["phase"] == "Suspended"
    s2 = step(js, [pod_view(driver_pod(j), deleting=True), *pods[1:]], s1.status, redis=None)
    assert s2.actions == []
    s3 = step(js, pods[1:], s2.status, redis=None)
    assert deleted(s3) == {p.name: 10 for p in pods[1:]} and created(s3) == []
    s4 = step(js, [], s3.status, redis=None)
    assert s4.actions == [] and s4.status["phase"] == "Suspended" and s4.status["executors"]["summary"] == "0/0"
    assert cond(s4.status, "Ready")["reason"] == "Suspended"
    r = step(job(generation=3), [], s4.status)
    assert created(r, "driver") == ["wc-driver"] and reasons(r)[0] == "Resumed"
    assert len(created(r, "executor")) == 2 and r.status["driver"]["restarts"] == 0


def test_unreachable_redis_fails_the_job_with_a_condition_and_creates_nothing():
    j = job(redis={"url": "redis://:secret@nowhere:6379/0"})
    err = "cannot reach Redis at redis://:***@nowhere:6379/0: Connection refused"
    plan = step(j, [], {}, service=False, redis=RedisView(False, err))
    assert plan.of(CreatePod) == []
    assert plan.status["phase"] == "Failed" and plan.status["message"] == err
    c = cond(plan.status, "RedisReachable")
    assert (c["status"], c["reason"], c["message"]) == ("False", "RedisUnreachable", err)
    assert reasons(plan) == ["RedisUnreachable"]
    again = step(j, [], plan.status, redis=RedisView(False, err))
    assert again.of(Emit) == []
    assert cond(again.status, "RedisReachable")["lastTransitionTime"] == c["lastTransitionTime"]
    healed = step(j, [], again.status, redis=RedisView(True))
    assert created(healed, "driver") == ["wc-driver"] and healed.status["phase"] == "Pending"


def test_a_redis_blip_under_a_running_driver_keeps_everything():
    j = job()
    pods, status = steady(j)
    plan = step(j, pods, status, redis=RedisView(False, "cannot reach Redis at redis://redis:6379/0: timeout"))
    assert plan.of(CreatePod) == [] and plan.of(DeletePod) == []
    assert plan.status["phase"] == "Running" and cond(plan.status, "RedisReachable")["status"] == "False"


def test_executors_that_exit_after_a_driver_stop_are_replaced_without_counting():
    j = job()
    pods, status = steady(j)
    ended = [pods[0]] + [pod_view(executor_pod(j, p.name), phase="Succeeded", exit_code=0) for p in pods[1:]]
    plan = step(j, ended, status)
    assert set(deleted(plan)) == {p.name for p in pods[1:]} and len(created(plan, "executor")) == 2
    assert plan.status["executors"]["restarts"] == 0


def test_finalize_stops_the_driver_gracefully_first():
    j = job()
    pods = running(j)
    f1 = finalize(j, observed(pods))
    assert deleted(f1) == {"wc-driver": 60} and not f1.done and reasons(f1) == ["Stopping"]
    f2 = finalize(j, observed([pod_view(driver_pod(j), deleting=True), *pods[1:]]))
    assert f2.actions == [] and not f2.done
    f3 = finalize(j, observed(pods[1:]))
    assert f3.done and set(deleted(f3)) == {p.name for p in pods[1:]}
    assert [a.name for a in f3.of(DeleteService)] == ["wc-ui"]


def test_invalid_spec():
    plan = invalid(body(), "spec.batchInterval: 'x' is not a duration", T0)
    assert plan.status["phase"] == "Failed"
    assert cond(plan.status, "Ready")["reason"] == "InvalidSpec" and plan.actions == []


def test_condition_transition_time_moves_only_on_change():
    c1 = set_condition([], "Ready", False, "Starting", "", T0, 1)
    c2 = set_condition(c1, "Ready", False, "Still", "", T0 + dt.timedelta(seconds=5), 1)
    c3 = set_condition(c2, "Ready", True, "Running", "", T0 + dt.timedelta(seconds=9), 1)
    assert c2[0]["lastTransitionTime"] == c1[0]["lastTransitionTime"] == "2026-01-01T12:00:00Z"
    assert c3[0]["lastTransitionTime"] == "2026-01-01T12:00:09Z"


def test_missing_service_is_recreated():
    j = job()
    pods, status = steady(j)
    plan = step(j, pods, status, service=False)
    assert [a.manifest["metadata"]["name"] for a in plan.of(CreateService)] == ["wc-ui"]


def test_pods_that_could_not_be_created_are_not_counted_lost_later():
    from dstreams_operator.reconcile import without_failed
    j = job()
    first = step(j, [])
    failed = set(created(first, "executor"))
    plan = without_failed(first, failed)
    assert plan.status["executors"]["pods"] == [] and plan.status["executors"]["current"] == 0
    assert reasons(plan) == ["Started"]
    again = step(j, [pod_view(driver_pod(j))], plan.status)
    assert again.status["executors"]["restarts"] == 0 and len(created(again, "executor")) == 2


def test_a_new_driver_waits_for_the_previous_ones_lease():
    j = job()
    pods, status = steady(j)
    killed = step(j, pods[1:], status, redis=RedisView(True, None, None, 4200))
    assert created(killed) == [] and killed.status["phase"] == "Recovering"
    assert cond(killed.status, "Ready")["reason"] == "WaitingForDriverLease"
    assert "4.2s left" in killed.status["message"]
    later = step(j, pods[1:], killed.status, redis=RedisView(True, None, None, None))
    assert created(later) == ["wc-driver"] and later.status["driver"]["restarts"] == 1
