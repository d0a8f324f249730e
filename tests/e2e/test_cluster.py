"""The test world itself: a real API server, scheduler, garbage collector and a node that runs
pods from the project's runtime image, driven with kubectl and helm as users drive them."""
from __future__ import annotations

import json
import subprocess
import textwrap
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def pod(name: str, image: str, command: list[str], restart: str = "Never", **container) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": restart, "terminationGracePeriodSeconds": 5,
                     "containers": [{"name": "main", "image": image, "command": command, **container}]}}


def test_pod_from_runtime_image_prints_hi(kube, namespace):
    kube.apply(pod("hi", kube.runtime_image, ["python", "-c", "print('hi')"]), namespace)
    p = kube.wait_pod_phase("hi", namespace, ("Succeeded", "Failed"))
    assert p["status"]["phase"] == "Succeeded", json.dumps(p["status"], indent=1)
    st = p["status"]["containerStatuses"][0]
    assert st["state"]["terminated"]["exitCode"] == 0
    assert st["restartCount"] == 0
    assert p["spec"]["nodeName"]  # placed by the real scheduler
    assert kube.logs("hi", namespace) == "hi\n"


def test_failed_pod_reports_exit_code(kube, namespace):
    kube.apply(pod("boom", kube.runtime_image, ["python", "-c", "import sys; print('bye'); sys.exit(7)"]), namespace)
    p = kube.wait_pod_phase("boom", namespace, ("Succeeded", "Failed"))
    assert p["status"]["phase"] == "Failed"
    term = p["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (7, "Error")
    assert kube.logs("boom", namespace) == "bye\n"


def test_deleting_the_owner_garbage_collects_its_pods(kube, namespace):
    kube.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}, "data": {}}, namespace)
    owner = kube.get("configmap", "owner", namespace)
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    names = ["owned-a", "owned-b"]
    for n in names:
        p = pod(n, kube.runtime_image, ["python", "-c", "import time; time.sleep(3600)"], restart="Always")
        p["metadata"]["ownerReferences"] = [ref]
        kube.apply(p, namespace)
    for n in names:
        kube.wait_pod_phase(n, namespace, ("Running",))
    uids = [kube.get("pod", n, namespace)["metadata"]["uid"] for n in names]

    kube.kubectl_run("delete", "configmap", "owner", "-n", namespace)
    kube.wait_until(lambda: not kube.list("pods", namespace), 90, "the garbage collector to delete the owned pods",
                    diagnose=lambda: kube.diagnostics(namespace))
    if kube.kind == "loopback":  # and the node agent killed their containers
        def containers_left() -> list[str]:
            out = []
            for uid in uids:
                cp = subprocess.run(["podman", "ps", "-aq", "--filter", f"label=io.kubernetes.pod.uid={uid}"],
                                    capture_output=True, text=True, env={**kube.tool_env(),
                                    "CONTAINERS_CONF": kube.env.get("CONTAINERS_CONF", "")})
                out += cp.stdout.split()
            return out
        kube.wait_until(lambda: not containers_left(), 60, "the pods' containers to be removed")


def test_deployment_is_rolled_out_and_scaled(kube, namespace):
    kube.kubectl_run("create", "deployment", "web", "-n", namespace, f"--image={kube.runtime_image}",
                     "--replicas=2", "--", "python", "-c", "import time; time.sleep(3600)")
    kube.kubectl_run("rollout", "status", "deployment/web", "-n", namespace, "--timeout=120s", timeout=150)
    kube.kubectl_run("scale", "deployment/web", "-n", namespace, "--replicas=1")
    kube.wait_until(lambda: len(kube.list("pods", namespace, "app=web")) == 1, 90, "the deployment to scale to 1",
                    diagnose=lambda: kube.diagnostics(namespace))


def test_configmap_volume_env_and_secret_env(kube, namespace):
    script = textwrap.dedent("""\
        import os
        print("mode", os.environ["MODE"])
        print("password", os.environ["PASSWORD"])
        print("user", os.environ["DB_USER"])
        print("pod", os.environ["POD_NAME"], os.environ["POD_NAMESPACE"])
        print("expanded", os.environ["GREETING"])
        print("file", open("/etc/app/settings.ini").read().strip())
        print("ns", open("/var/run/secrets/kubernetes.io/serviceaccount/namespace").read())
        """)
    kube.apply([
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"},
         "data": {"main.py": script, "settings.ini": "[s]\nx = 1", "mode": "fast"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
         "stringData": {"PASSWORD": "s3cret", "user": "alice"}},
    ], namespace)
    p = pod("cfg", kube.runtime_image, ["python", "/etc/app/main.py"],
            env=[{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "mode"}}},
                 {"name": "DB_USER", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "user"}}},
                 {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                 {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                 {"name": "GREETING", "value": "hello $(DB_USER)"}],
            envFrom=[{"secretRef": {"name": "creds"}}],
            volumeMounts=[{"name": "app", "mountPath": "/etc/app", "readOnly": True}])
    p["spec"]["volumes"] = [{"name": "app", "configMap": {"name": "app"}}]
    kube.apply(p, namespace)
    done = kube.wait_pod_phase("cfg", namespace, ("Succeeded", "Failed"))
    out = kube.logs("cfg", namespace)
    assert done["status"]["phase"] == "Succeeded", out
    assert out.splitlines() == [
        "mode fast", "password s3cret", "user alice", f"pod cfg {namespace}",
        "expanded hello alice", "file [s]", "x = 1", f"ns {namespace}"]


def test_in_cluster_service_account_reaches_the_api_server(kube, namespace):
    """The token, CA and KUBERNETES_SERVICE_* env let a pod call the API as the operator will."""
    script = textwrap.dedent("""\
        import json, os, ssl, urllib.request
        sa = "/var/run/secrets/kubernetes.io/serviceaccount"
        url = "https://%s:%s/api/v1/namespaces/%s/pods" % (
            os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"], open(sa + "/namespace").read())
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + open(sa + "/token").read()})
        ctx = ssl.create_default_context(cafile=sa + "/ca.crt")
        try:
            urllib.request.urlopen(req, context=ctx)
        except urllib.error.HTTPError as e:
            print("status", e.code)   # authenticated, but the default account may not list pods
        else:
            print("status", 200)
        """)
    kube.apply(pod("incluster", kube.runtime_image, ["python", "-c", script]), namespace)
    done = kube.wait_pod_phase("incluster", namespace, ("Succeeded", "Failed"))
    out = kube.logs("incluster", namespace)
    assert done["status"]["phase"] == "Succeeded", out
    assert out.strip() in ("status 403", "status 200"), out


def test_restart_policy_on_failure_counts_restarts(kube, namespace):
    # fails twice, then succeeds: the attempt count lives on an emptyDir, which survives restarts
    script = textwrap.dedent("""\
        import os, sys
        path = "/work/attempts"
        n = int(open(path).read()) if os.path.exists(path) else 0
        open(path, "w").write(str(n + 1))
        print("attempt", n)
        sys.exit(3 if n < 2 else 0)
        """)
    p = pod("flaky", kube.runtime_image, ["python", "-c", script], restart="OnFailure",
            volumeMounts=[{"name": "work", "mountPath": "/work"}])
    p["spec"]["volumes"] = [{"name": "work", "emptyDir": {}}]
    kube.apply(p, namespace)
    done = kube.wait_pod_phase("flaky", namespace, ("Succeeded", "Failed"), timeout=180)
    st = done["status"]["containerStatuses"][0]
    assert done["status"]["phase"] == "Succeeded", json.dumps(done["status"], indent=1)
    assert st["restartCount"] == 2
    assert st["lastState"]["terminated"]["exitCode"] == 3
    assert kube.logs("flaky", namespace) == "attempt 2\n"
    assert kube.logs("flaky", namespace, previous=True) == "attempt 1\n"


def test_restart_policy_always_restarts_a_completed_container(kube, namespace):
    kube.apply(pod("again", kube.runtime_image, ["python", "-c", "print('run')"], restart="Always"), namespace)

    def restarted() -> bool:
        p = kube.get("pod", "again", namespace)
        sts = (p or {}).get("status", {}).get("containerStatuses") or []
        return bool(sts) and sts[0]["restartCount"] >= 1
    kube.wait_until(restarted, 90, "pod again to be restarted", diagnose=lambda: kube.diagnostics(namespace))
    assert kube.get("pod", "again", namespace)["status"]["phase"] == "Running"


def test_helm_version(kube):
    out = kube.helm_run("version", "--short").stdout
    assert out.startswith("v3."), out


def test_helm_lint_template_install(kube, namespace, tmp_path: Path):
    chart = tmp_path / "probe"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\ndescription: e2e probe chart\n")
    (chart / "values.yaml").write_text("message: hello\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  message: {{ .Values.message | quote }}\n")
    kube.helm_run("lint", str(chart))
    rendered = kube.helm_run("template", "rel", str(chart), "--set", "message=hi").stdout
    assert "name: rel-cm" in rendered and 'message: "hi"' in rendered
    kube.helm_run("install", "rel", str(chart), "-n", namespace, "--set", "message=installed", "--wait", "--timeout", "120s")
    cm = kube.get("configmap", "rel-cm", namespace)
    assert cm["data"]["message"] == "installed"
    kube.helm_run("uninstall", "rel", "-n", namespace, "--wait")
    assert kube.get("configmap", "rel-cm", namespace) is None


def test_s3_and_redis_servers_answer(kube):
    if kube.s3_endpoint is None or kube.redis_url is None:
        pytest.skip("this cluster has no S3/Redis of the test world")
    with urllib.request.urlopen(kube.s3_endpoint + ("/minio/health/live" if kube.env.get("S3_KIND") == "minio"
                                                    else "/moto-api/"), timeout=10) as r:
        assert r.status == 200
    import redis
    assert redis.Redis.from_url(kube.redis_url).ping()


def test_init_containers_run_first(kube, namespace):
    p = pod("withinit", kube.runtime_image, ["python", "-c", "print(open('/shared/msg').read())"],
            volumeMounts=[{"name": "shared", "mountPath": "/shared"}])
    p["spec"]["initContainers"] = [{
        "name": "prepare", "image": kube.runtime_image,
        "command": ["python", "-c", "open('/shared/msg', 'w').write('prepared')"],
        "volumeMounts": [{"name": "shared", "mountPath": "/shared"}]}]
    p["spec"]["volumes"] = [{"name": "shared", "emptyDir": {}}]
    kube.apply(p, namespace)
    done = kube.wait_pod_phase("withinit", namespace, ("Succeeded", "Failed"))
    assert done["status"]["phase"] == "Succeeded", json.dumps(done["status"], indent=1)
    assert done["status"]["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 0
    assert kube.logs("withinit", namespace) == "prepared\n"
