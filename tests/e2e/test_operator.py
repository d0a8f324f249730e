"""The StreamJob operator end to end: installed with ``helm install``, driven with ``kubectl``,
running the example apps of ``examples/k8s`` in real driver and executor pods, with Redis and
S3 (MinIO) of the test world. Every wait is on a condition with a deadline."""
from __future__ import annotations

import collections
import datetime
import json

import pytest

from tests.e2e.streamjobs import (
    CHART, CRD, EXAMPLES, Bucket, app_configmap, condition, diagnose, free_port, install_operator, kill_container,
    latest, pods, running_pods, s3_secret, status, streamjob, total, uninstall_operator, wait_running, wait_status,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def operator(kube):
    if kube.redis_url is None:
        pytest.skip("this cluster has no Redis of the test world")
    op = install_operator(kube)
    try:
        yield op
    finally:
        uninstall_operator(kube, op)


@pytest.fixture
def ns(kube, operator, namespace):
    """The test's namespace; its StreamJobs are deleted while the operator still runs (their
    finalizer needs it), before the namespace goes."""
    yield namespace
    kube.kubectl_run("delete", "streamjobs", "--all", "-n", namespace, "--timeout=90s", check=False, timeout=120)


@pytest.fixture
def job(kube, operator, ns):
    """Set up a namespace for a job of an example app: a bucket, the S3 Secret, the app's ConfigMap."""
    bucket = Bucket(kube, ns)
    s3_secret(kube, ns, bucket)

    def make(name: str, example: str, **kw):
        app = example.removesuffix(".py").replace("_", "-")
        if kube.get("configmap", app, ns) is None:
            app_configmap(kube, ns, app, example)
        kube.apply(streamjob(kube, name, ns, app, bucket, **kw))
        return bucket
    return make


def counts(text: str) -> collections.Counter:
    return collections.Counter(text.split())


def wait_output(kube, operator, namespace, name, read, expected, what, timeout=90):
    seen: list = [None]

    def check() -> bool:
        seen[0] = read()
        return seen[0] == expected

    def explain() -> str:
        got = seen[0] or collections.Counter()
        return (f"expected {dict(expected)}\ngot {dict(got)}\n"
                f"missing {dict(expected - got)} extra {dict(got - expected)}\n"
                + diagnose(kube, operator, namespace, name)())
    return kube.wait_until(check, timeout, what, interval=0.5, diagnose=explain)


def events(kube, namespace: str, name: str) -> list[str]:
    items = kube.list("events", namespace)
    return [e.get("reason", "") for e in items
            if (e.get("involvedObject") or {}).get("kind") == "StreamJob" and e["involvedObject"]["name"] == name]


def json_objects(text: str) -> list[dict]:
    """The JSON objects kubectl prints one after the other."""
    decoder, out, i = json.JSONDecoder(), [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        obj, i = decoder.raw_decode(text, i)
        out.append(obj)
    return out


def batch_since_driver_start(st: dict) -> bool:
    """The current driver completed a batch (its progress is newer than its pod)."""
    from dstreams_operator.reconcile import parse_time
    updated = parse_time((st.get("lastBatch") or {}).get("updatedAt"))
    started = parse_time((st.get("driver") or {}).get("startedAt"))
    return bool(updated and started and updated >= started + datetime.timedelta(seconds=1))


# ------------------------------------------------------------------------------------ (1)

def test_wordcount_reaches_running_and_writes_exact_per_batch_output(kube, operator, ns, job):
    b = job("wc", "wordcount.py")
    st = wait_running(kube, operator, ns, "wc", 2)
    assert st["observedGeneration"] == 1 and condition(st, "Ready")["status"] == "True"
    last = st["lastBatch"]
    assert isinstance(last["processingDelayMs"], int) and isinstance(last["schedulingDelayMs"], int)
    assert last["delay"].endswith(("ms", "s"))

    # kubectl get sj: the printer columns
    header, row = kube.kubectl_run("get", "sj", "-n", ns).stdout.splitlines()[:2]
    assert header.split() == ["NAME", "PHASE", "EXECUTORS", "LAST", "BATCH", "DELAY", "AGE"]
    assert row.split()[:3] == ["wc", "Running", "2/2"]

    # what the operator owns
    owner = kube.get("streamjob", "wc", ns)["metadata"]["uid"]
    svc = kube.get("service", "wc-ui", ns)
    assert svc["spec"]["selector"] == {"dstreams.io/job": "wc", "dstreams.io/role": "driver"}
    for obj in [svc, *pods(kube, ns, "wc", "driver"), *pods(kube, ns, "wc", "executor")]:
        assert [r["uid"] for r in obj["metadata"]["ownerReferences"]] == [owner]
    assert {"Started", "ExecutorsCreated"} <= set(events(kube, ns, "wc"))

    files = {"a.txt": "apple banana apple\ncherry apple\n", "b.txt": "banana durian\nelder\n"}
    for name, text in files.items():
        b.put(f"in/{name}", text)
    expected = counts(" ".join(files.values()))
    wait_output(kube, operator, ns, "wc", lambda: total(b.batches("counts")), expected,
                "the per-batch word counts to add up to the input")
    batches = b.batches("counts")
    assert total(batches) == expected                       # nothing counted twice
    assert sum(1 for c in batches.values() if c) <= len(files)  # each file in one batch


# ------------------------------------------------------------------------------------ (2)

def test_deleted_executor_is_replaced_and_output_stays_exact(kube, operator, ns, job):
    b = job("wc", "wordcount.py", executors=2)
    wait_running(kube, operator, ns, "wc", 2)
    expected = collections.Counter()
    big = "\n".join(f"w{i % 50} x{i % 7}" for i in range(3000)) + "\n"
    b.put("in/1.txt", big)
    expected += counts(big)
    victim = running_pods(kube, ns, "wc", "executor")[0]
    kube.kubectl_run("delete", "pod", victim, "-n", ns, "--wait=false")   # mid-stream
    b.put("in/2.txt", "after the loss\n")
    expected += counts("after the loss")

    st = wait_status(kube, operator, ns, "wc",
                     lambda s: s.get("executors", {}).get("restarts", 0) >= 1
                     and victim not in s["executors"].get("pods", []) and s["executors"].get("summary") == "2/2",
                     "the lost executor replaced and counted")
    assert st["phase"] == "Running"
    assert victim not in running_pods(kube, ns, "wc", "executor")
    assert "ExecutorLost" in events(kube, ns, "wc")
    b.put("in/3.txt", "replaced and running\n")
    expected += counts("replaced and running")
    wait_output(kube, operator, ns, "wc", lambda: total(b.batches("counts")), expected,
                "the word counts to be exact after the executor loss")
    assert total(b.batches("counts")) == expected


# ------------------------------------------------------------------------------------ (3)

def test_killed_driver_restarts_and_recovers_state_from_the_checkpoint(kube, operator, ns, job):
    b = job("totals", "running_totals.py", executors=2)
    wait_running(kube, operator, ns, "totals", 2)
    a = "apple banana apple\n"
    b.put("in/a.txt", a)
    expected = counts(a)
    wait_output(kube, operator, ns, "totals", lambda: latest(b.batches("totals")), expected,
                "the running totals of the first file")
    assert b.checkpoints(), "no checkpoint in S3"
    old = pods(kube, ns, "totals", "driver")[0]["metadata"]["uid"]

    kill_container(kube, ns, "totals-driver")
    more = "banana cherry\napple\n"
    b.put("in/b.txt", more)              # arrives while the driver is down or restarting
    expected += counts(more)

    st = wait_status(kube, operator, ns, "totals",
                     lambda s: s.get("driver", {}).get("restarts", 0) >= 1 and s.get("phase") == "Running"
                     and batch_since_driver_start(s), "the driver restarted and recovered", timeout=180)
    assert st["driver"]["restarts"] == 1 and st["driver"]["lastTermination"]["exitCode"] in (137, -9)
    assert pods(kube, ns, "totals", "driver")[0]["metadata"]["uid"] != old
    assert {"DriverFailed", "DriverRestarted"} & set(events(kube, ns, "totals"))
    wait_output(kube, operator, ns, "totals", lambda: latest(b.batches("totals")), expected,
                "the running totals to carry on exactly after the restart")
    for t, c in b.batches("totals").items():  # never more than the input: nothing counted twice
        assert all(c[w] <= expected[w] for w in c), (t, c, expected)


# ------------------------------------------------------------------------------------ (4)

def test_scale_executors_live(kube, operator, ns, job):
    b = job("wc", "wordcount.py", executors=2)
    wait_running(kube, operator, ns, "wc", 2)
    kube.kubectl_run("scale", "sj/wc", "--replicas=3", "-n", ns)
    wait_running(kube, operator, ns, "wc", 3, batch=False)
    kube.wait_until(lambda: len(running_pods(kube, ns, "wc", "executor")) == 3, 60, "3 executor pods")
    b.put("in/1.txt", "one two three\n")
    expected = counts("one two three")

    kube.kubectl_run("scale", "sj/wc", "--replicas=1", "-n", ns)
    st = wait_running(kube, operator, ns, "wc", 1, batch=False)
    kube.wait_until(lambda: len(pods(kube, ns, "wc", "executor")) == 1, 60, "1 executor pod")
    scale = json.loads(kube.kubectl_run("get", "--raw",
                                        f"/apis/dstreams.io/v1alpha1/namespaces/{ns}/streamjobs/wc/scale").stdout)
    assert scale["spec"]["replicas"] == 1
    assert scale["status"]["selector"] == "dstreams.io/job=wc,dstreams.io/role=executor"
    b.put("in/2.txt", "four five\n")
    expected += counts("four five")
    wait_output(kube, operator, ns, "wc", lambda: total(b.batches("counts")), expected,
                "the word counts to be exact across the scaling")
    st = status(kube, ns, "wc")
    assert st["phase"] == "Running" and st["executors"]["restarts"] == 0 and st["driver"]["restarts"] == 0
    assert {"ExecutorsCreated", "ExecutorsScaledDown"} <= set(events(kube, ns, "wc"))


# ------------------------------------------------------------------------------------ (5)

def test_suspend_keeps_the_checkpoint_and_resume_carries_on(kube, operator, ns, job):
    b = job("totals", "running_totals.py", executors=1)
    wait_running(kube, operator, ns, "totals", 1)
    b.put("in/a.txt", "apple apple banana\n")
    expected = counts("apple apple banana")
    wait_output(kube, operator, ns, "totals", lambda: latest(b.batches("totals")), expected,
                "the running totals before the suspend")

    kube.kubectl_run("patch", "sj/totals", "-n", ns, "--type=merge", "-p", '{"spec":{"suspend":true}}')
    wait_status(kube, operator, ns, "totals",
                lambda s: s.get("phase") == "Suspended" and condition(s, "Ready").get("reason") == "Suspended",
                "Suspended")
    kube.wait_until(lambda: not kube.list("pods", ns, "dstreams.io/job=totals"), 60, "no pods left")
    assert b.checkpoints(), "the checkpoint is gone"
    assert "Suspending" in events(kube, ns, "totals")

    kube.kubectl_run("patch", "sj/totals", "-n", ns, "--type=merge", "-p", '{"spec":{"suspend":false}}')
    wait_status(kube, operator, ns, "totals",
                lambda s: s.get("phase") == "Running" and batch_since_driver_start(s), "Running again")
    assert "Resumed" in events(kube, ns, "totals")
    b.put("in/b.txt", "banana cherry\n")
    expected += counts("banana cherry")
    wait_output(kube, operator, ns, "totals", lambda: latest(b.batches("totals")), expected,
                "the running totals to carry on from the checkpoint")


# ------------------------------------------------------------------------------------ (6)

@pytest.mark.parametrize("change,message", [
    ({"batchInterval": "2x"}, "spec.batchInterval"),
    ({"batchInterval": "0s"}, "batchInterval must be a positive duration"),
    ({"executor": {"instances": -1}}, "spec.executor.instances"),
    ({"image": None}, "spec.image: Required value"),
])
def test_invalid_manifests_are_rejected_by_the_api_server(kube, operator, ns, change, message):
    body = streamjob(kube, "bad", ns, "wordcount", None)
    for k, v in change.items():
        if v is None:
            body["spec"].pop(k)
        else:
            body["spec"][k] = v
    cp = kube.kubectl_run("apply", "-f", "-", input=json.dumps(body), check=False)
    assert cp.returncode != 0
    assert message in cp.stderr and 'The StreamJob "bad" is invalid' in cp.stderr, cp.stderr
    assert kube.get("streamjob", "bad", ns) is None


def test_unreachable_redis_fails_the_job_with_a_condition(kube, operator, ns):
    port = free_port()
    body = streamjob(kube, "noredis", ns, "wordcount", None, redis_url=f"redis://:hunter2@127.0.0.1:{port}/0")
    kube.apply(body)
    st = wait_status(kube, operator, ns, "noredis",
                     lambda s: s.get("phase") == "Failed" and condition(s, "RedisReachable").get("status") == "False",
                     "phase Failed with RedisReachable False", timeout=60)
    c = condition(st, "RedisReachable")
    assert c["reason"] == "RedisUnreachable"
    assert f"cannot reach Redis at redis://:***@127.0.0.1:{port}/0" in c["message"]
    assert condition(st, "Ready")["reason"] == "RedisUnreachable"
    assert "hunter2" not in json.dumps(st)
    assert kube.list("pods", ns, "dstreams.io/job=noredis") == []
    kube.wait_until(lambda: "RedisUnreachable" in events(kube, ns, "noredis"), 30, "a RedisUnreachable Event")
    row = kube.kubectl_run("get", "sj", "noredis", "-n", ns, "--no-headers").stdout.split()
    assert row[:2] == ["noredis", "Failed"]


# ------------------------------------------------------------------------------------ (7)

def test_delete_stops_gracefully_and_removes_everything(kube, operator, ns, job):
    job("wc", "wordcount.py", executors=2)
    wait_running(kube, operator, ns, "wc", 2)
    kube.kubectl_run("delete", "sj", "wc", "-n", ns, "--timeout=120s", timeout=150)
    assert kube.get("streamjob", "wc", ns) is None
    kube.wait_until(lambda: not kube.list("pods", ns, "dstreams.io/job=wc")
                    and not kube.list("services", ns, "dstreams.io/job=wc"), 90,
                    "the job's pods and Service to be gone", diagnose=lambda: kube.diagnostics(ns))
    # the driver was stopped gracefully (SIGTERM, final checkpoint), not killed
    import redis
    progress = redis.Redis.from_url(kube.redis_url).get(f"dstreams:{ns}.wc:progress")
    assert progress is not None and json.loads(progress)["state"] == "stopped"
    assert "Stopping" in events(kube, ns, "wc")


# ------------------------------------------------------------------------- upgrades

def test_spec_change_upgrades_after_a_final_checkpoint(kube, operator, ns, job):
    b = job("totals", "running_totals.py", executors=1)
    st0 = wait_running(kube, operator, ns, "totals", 1)
    b.put("in/a.txt", "apple banana apple\n")
    expected = counts("apple banana apple")
    wait_output(kube, operator, ns, "totals", lambda: latest(b.batches("totals")), expected,
                "the running totals before the upgrade")

    patch = [{"op": "add", "path": "/spec/application/env/-", "value": {"name": "APP_RELEASE", "value": "2"}}]
    kube.kubectl_run("patch", "sj/totals", "-n", ns, "--type=json", "-p", json.dumps(patch))
    st = wait_status(kube, operator, ns, "totals",
                     lambda s: s.get("appVersion") != st0["appVersion"] and s.get("phase") == "Running"
                     and batch_since_driver_start(s), "Running on the new version", timeout=180)
    for role in ("driver", "executor"):
        for p in pods(kube, ns, "totals", role):
            assert p["metadata"]["labels"]["dstreams.io/version"] == st["appVersion"]
            env = {e["name"]: e.get("value") for e in p["spec"]["containers"][0]["env"]}
            assert env["APP_RELEASE"] == "2"
    assert {"Upgrading", "Upgraded"} <= set(events(kube, ns, "totals"))
    assert st["driver"]["restarts"] == 0, st["driver"]   # an upgrade is not a failure
    b.put("in/b.txt", "cherry apple\n")
    expected += counts("cherry apple")
    wait_output(kube, operator, ns, "totals", lambda: latest(b.batches("totals")), expected,
                "the running totals to carry on through the upgrade")


# ------------------------------------------------------------------------------ chart

def test_chart_lints_renders_least_privilege_and_validates_the_examples(kube, operator, ns):
    kube.helm_run("lint", "--strict", str(CHART))
    kube.helm_run("lint", "--strict", str(CHART), "--set", "redis.enabled=true,minio.enabled=true,redis.password=pw",
                  "--set", "operator.watchNamespaces={team-a,team-b}")
    out = kube.helm_run("template", "r", str(CHART), "-n", "ops",
                        "--set", "operator.watchNamespaces={team-a,team-b}").stdout
    docs = json_objects(kube.kubectl_run("create", "--dry-run=client", "-o", "json", "-f", "-", input=out).stdout)
    kinds = collections.Counter(d["kind"] for d in docs)
    assert kinds["Role"] == 2 and kinds["RoleBinding"] == 2 and kinds["ClusterRole"] == 1
    cluster_role = next(d for d in docs if d["kind"] == "ClusterRole")
    assert all(set(r["verbs"]) <= {"list", "watch"} for r in cluster_role["rules"])   # discovery only
    role = next(d for d in docs if d["kind"] == "Role")
    rules = {(tuple(r["apiGroups"]), tuple(r["resources"])): set(r["verbs"]) for r in role["rules"]}
    assert rules[(("",), ("secrets",))] == {"get"}
    assert rules[(("",), ("pods",))] == {"get", "list", "watch", "create", "delete"}
    dep = next(d for d in docs if d["kind"] == "Deployment")
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert "--namespace=team-a" in c["args"] and "--all-namespaces" not in c["args"]
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert dep["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    bad = kube.helm_run("template", "r", str(CHART), "--set", "operator.logLevel=loud", check=False)
    assert bad.returncode != 0 and "logLevel" in bad.stderr
    # the chart's CRD is the CRD (never drifts), and the example manifests pass its validation
    assert kube.helm_run("show", "crds", str(CHART)).stdout.strip() == CRD.read_text().strip()
    for example in sorted(EXAMPLES.glob("*.yaml")):
        kube.kubectl_run("apply", "--dry-run=server", "-n", ns, "-f", str(example))


# ------------------------------------------------------------------ operator restarts

def test_a_restarted_operator_converges_on_what_changed_while_it_was_down(kube, operator, ns, job):
    job("wc", "wordcount.py", executors=2)
    wait_running(kube, operator, ns, "wc", 2)
    deployment = ["deployment", operator.release, "-n", operator.namespace]
    kube.kubectl_run("scale", *deployment, "--replicas=0")
    kube.wait_until(lambda: not kube.list("pods", operator.namespace), 60, "the operator pod to stop")
    try:
        victim = running_pods(kube, ns, "wc", "executor")[0]
        kube.kubectl_run("delete", "pod", victim, "-n", ns, "--wait=true", "--timeout=60s", timeout=90)
        kube.kubectl_run("scale", "sj/wc", "--replicas=3", "-n", ns)
    finally:
        kube.kubectl_run("scale", *deployment, "--replicas=1")
    kube.kubectl_run("rollout", "status", *deployment, "--timeout=120s", timeout=150)
    st = wait_status(kube, operator, ns, "wc",
                     lambda s: s.get("executors", {}).get("summary") == "3/3" and s["executors"].get("restarts") == 1
                     and victim not in s["executors"].get("pods", []), "3/3 executors, the lost one counted")
    assert st["phase"] == "Running" and st["driver"]["restarts"] == 0
    assert len(running_pods(kube, ns, "wc", "executor")) == 3
