"""Helpers of the StreamJob e2e tests: the operator installed with Helm, StreamJob manifests,
S3 outputs of the example apps, and waits on the StreamJob's status (never on the clock)."""
from __future__ import annotations

import collections
import json
import os
import re
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Callable

import pytest

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "dstreams"
CRD = REPO / "crds" / "streamjob.yaml"
EXAMPLES = REPO / "examples" / "k8s"
OPERATOR_SELECTOR = "app.kubernetes.io/name=dstreams,app.kubernetes.io/component=operator"
RELEASE_PREFIX = "dstreams-e2e-"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def split_image(image: str) -> tuple[str, str]:
    """'localhost/dstreams-operator:dev' -> ('localhost/dstreams-operator', 'dev')."""
    name, sep, tag = image.rpartition(":")
    if not sep or "/" in tag:
        return image, "latest"
    return name, tag


# ----------------------------------------------------------------------------- the operator

@dataclass
class Operator:
    release: str
    namespace: str

    def logs(self, kube: Any, tail: int = 60) -> str:
        cp = kube.kubectl_run("logs", "-n", self.namespace, f"deployment/{self.release}", f"--tail={tail}",
                              check=False)
        return cp.stdout + cp.stderr


def install_operator(kube: Any) -> Operator:
    """``helm install`` the chart as a user would (with the test world's operator image)."""
    # a leftover of an earlier run of these tests would fight over the StreamJobs: remove it
    found = json.loads(kube.kubectl_run("get", "deployments", "-A", "-l", OPERATOR_SELECTOR, "-o", "json").stdout)
    for dep in found["items"]:
        ns = dep["metadata"]["namespace"]
        if ns.startswith(RELEASE_PREFIX):
            kube.helm_run("uninstall", dep["metadata"]["labels"].get("app.kubernetes.io/instance", ns), "-n", ns,
                          "--wait", check=False)
            kube.kubectl_run("delete", "namespace", ns, "--wait=false", check=False)
        else:
            pytest.fail(f"another dstreams operator runs in namespace {ns} of this cluster; it would reconcile "
                        "the tests' StreamJobs too: uninstall it first", pytrace=False)
    # Helm installs a chart's CRDs only when they are missing: refresh one a reused world has
    if kube.kubectl_run("get", "crd", "streamjobs.dstreams.io", check=False).returncode == 0:
        kube.kubectl_run("apply", "--server-side", "--force-conflicts", "-f", str(CRD))
    name = RELEASE_PREFIX + uuid.uuid4().hex[:5]
    repo, tag = split_image(kube.operator_image)
    kube.helm_run(
        "install", name, str(CHART), "-n", name, "--create-namespace",
        "--set", f"image.repository={repo}", "--set", f"image.tag={tag}",
        "--set", f"image.pullPolicy={'Never' if kube.kind == 'loopback' else 'IfNotPresent'}",
        # the loopback node runs pods in the host's network: give the health endpoint a free port
        "--set", f"operator.healthPort={free_port()}",
        "--set", "operator.reconcileInterval=1",
        "--wait", "--timeout", "180s", timeout=240)
    kube.wait_until(lambda: kube.get("crd", "streamjobs.dstreams.io"), 30, "the StreamJob CRD")
    kube.kubectl_run("wait", "--for=condition=Established", "crd/streamjobs.dstreams.io", "--timeout=60s")
    return Operator(release=name, namespace=name)


def uninstall_operator(kube: Any, op: Operator) -> None:
    kube.helm_run("uninstall", op.release, "-n", op.namespace, "--wait", check=False)
    kube.kubectl_run("delete", "namespace", op.namespace, "--wait=false", check=False)


# ------------------------------------------------------------------------------------ S3

class Bucket:
    """A fresh bucket of the test world's S3 server, read and written with s3fs (as the pods do)."""

    def __init__(self, kube: Any, name: str) -> None:
        if not kube.s3_endpoint:
            pytest.skip("this cluster has no S3 server of the test world")
        import s3fs
        self.name = name
        self.endpoint = kube.s3_endpoint
        self.key, self.secret = kube.s3_access_key, kube.s3_secret_key
        self.fs = s3fs.S3FileSystem(key=self.key, secret=self.secret, use_listings_cache=False,
                                    client_kwargs={"endpoint_url": self.endpoint})
        self.fs.mkdir(name)

    def url(self, path: str) -> str:
        return f"s3://{self.name}/{path}"

    def put(self, path: str, text: str) -> None:
        """Upload a file (an S3 upload appears atomically, as textFileStream wants)."""
        self.fs.pipe(f"{self.name}/{path}", text.encode())

    def ls(self, path: str) -> list[str]:
        self.fs.invalidate_cache()
        try:
            return [p.rstrip("/") for p in self.fs.ls(f"{self.name}/{path}", detail=False)]
        except FileNotFoundError:
            return []

    def batches(self, prefix: str) -> dict[int, collections.Counter]:
        """``{batch time ms: Counter}`` of the per-batch directories ``<prefix>-<ms>`` under
        ``out/``, parsed from PySpark's ``('word', n)`` lines."""
        out: dict[int, collections.Counter] = {}
        for d in self.ls("out"):
            m = re.search(rf"/{re.escape(prefix)}-(\d+)$", d)
            if not m:
                continue
            counts: collections.Counter = collections.Counter()
            for f in self.ls(d.split("/", 1)[1]):
                if f.rsplit("/", 1)[-1].startswith("part-"):
                    for line in self.fs.cat(f).decode().splitlines():
                        if line.strip():
                            word, n = parse_pair(line)
                            counts[word] += n
            out[int(m.group(1))] = counts
        return out

    def checkpoints(self) -> list[str]:
        return [p for p in self.ls("checkpoint") if re.search(r"/checkpoint-\d+$", p)]


def parse_pair(line: str) -> tuple[str, int]:
    m = re.fullmatch(r"\('(.*)', (\d+)\)", line.strip())
    assert m, f"not a ('word', n) line: {line!r}"
    return m.group(1), int(m.group(2))


def total(batches: dict[int, collections.Counter]) -> collections.Counter:
    out: collections.Counter = collections.Counter()
    for c in batches.values():
        out.update(c)
    return out


def latest(batches: dict[int, collections.Counter]) -> collections.Counter:
    return batches[max(batches)] if batches else collections.Counter()


# ----------------------------------------------------------------------------- StreamJobs

def app_configmap(kube: Any, namespace: str, name: str, example: str) -> None:
    kube.kubectl_run("create", "configmap", name, "-n", namespace, f"--from-file=app.py={EXAMPLES / example}")


def s3_secret(kube: Any, namespace: str, bucket: Bucket) -> None:
    kube.kubectl_run("create", "secret", "generic", "s3", "-n", namespace,
                     f"--from-literal=AWS_ACCESS_KEY_ID={bucket.key}",
                     f"--from-literal=AWS_SECRET_ACCESS_KEY={bucket.secret}")


def streamjob(kube: Any, name: str, namespace: str, app: str, bucket: Bucket | None, executors: int = 2,
              checkpoint: bool = True, redis_url: str | None = None, **spec: Any) -> dict[str, Any]:
    """A StreamJob running the example ``app`` (a ConfigMap of the same name) on ``bucket``."""
    args = ["--input", bucket.url("in"), "--output", bucket.url("out")] if bucket else []
    body: dict[str, Any] = {
        "apiVersion": "dstreams.io/v1alpha1", "kind": "StreamJob",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "image": kube.runtime_image,
            "imagePullPolicy": "Never" if kube.kind == "loopback" else "IfNotPresent",
            "application": {"configMap": {"name": app}, "args": args,
                            "env": [{"name": "DSTREAMS_LOG_LEVEL", "value": "INFO"}]},
            "batchInterval": "1s",
            "executor": {"instances": executors},
            "redis": {"url": redis_url or kube.redis_url},
            "restartPolicy": {"backoffSeconds": 1, "limit": 10},
            "driver": {"terminationGracePeriodSeconds": 30},
        },
    }
    if checkpoint and bucket:
        body["spec"]["checkpoint"] = {"url": bucket.url("checkpoint"),
                                      "s3": {"endpoint": bucket.endpoint, "credentialsSecret": {"name": "s3"}}}
    elif bucket:  # the pods still read and write S3
        body["spec"]["application"]["env"] += [
            {"name": "AWS_ENDPOINT_URL", "value": bucket.endpoint},
            {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "AWS_ACCESS_KEY_ID"}}},
            {"name": "AWS_SECRET_ACCESS_KEY",
             "valueFrom": {"secretKeyRef": {"name": "s3", "key": "AWS_SECRET_ACCESS_KEY"}}}]
    for k, v in spec.items():
        body["spec"][k] = v
    return body


def sj(kube: Any, namespace: str, name: str) -> dict[str, Any]:
    return kube.get("streamjob", name, namespace) or {}


def status(kube: Any, namespace: str, name: str) -> dict[str, Any]:
    return sj(kube, namespace, name).get("status") or {}


def condition(st: dict[str, Any], type_: str) -> dict[str, Any]:
    return next((c for c in st.get("conditions") or [] if c.get("type") == type_), {})


def pods(kube: Any, namespace: str, name: str, role: str) -> list[dict[str, Any]]:
    """The job's pods of ``role`` that are not being deleted."""
    return [p for p in kube.list("pods", namespace, f"dstreams.io/job={name},dstreams.io/role={role}")
            if not p["metadata"].get("deletionTimestamp")]


def running_pods(kube: Any, namespace: str, name: str, role: str) -> list[str]:
    return sorted(p["metadata"]["name"] for p in pods(kube, namespace, name, role)
                  if p.get("status", {}).get("phase") == "Running")


def diagnose(kube: Any, op: Operator, namespace: str, name: str) -> Callable[[], str]:
    def run() -> str:
        parts = [kube.diagnostics(namespace)]
        parts.append("streamjob status:\n" + json.dumps(status(kube, namespace, name), indent=1))
        for p in kube.list("pods", namespace, f"dstreams.io/job={name},dstreams.io/role=driver"):
            cp = kube.kubectl_run("logs", p["metadata"]["name"], "-n", namespace, "--tail=40", check=False)
            parts.append(f"driver {p['metadata']['name']} log (tail):\n{cp.stdout}{cp.stderr}")
        parts.append("operator log (tail):\n" + op.logs(kube))
        return "\n".join(parts)
    return run


def wait_status(kube: Any, op: Operator, namespace: str, name: str, pred: Callable[[dict], Any], what: str,
                timeout: float = 120) -> dict[str, Any]:
    def check() -> dict | None:
        st = status(kube, namespace, name)
        return st if pred(st) else None
    return kube.wait_until(check, timeout, f"StreamJob {namespace}/{name}: {what}", interval=0.5,
                           diagnose=diagnose(kube, op, namespace, name))


def wait_running(kube: Any, op: Operator, namespace: str, name: str, executors: int, timeout: float = 120,
                 batch: bool = True) -> dict[str, Any]:
    """Running with all executors ready, and (``batch``) a completed batch reported since."""
    return wait_status(
        kube, op, namespace, name,
        lambda st: st.get("phase") == "Running" and st.get("executors", {}).get("summary") == f"{executors}/{executors}"
        and (not batch or st.get("lastBatch", {}).get("time")),
        f"Running with {executors}/{executors} executors" + (" and a completed batch" if batch else ""), timeout)


def kill_container(kube: Any, namespace: str, pod: str) -> None:
    """Kill a pod's process as a crash would: SIGKILL its container (loopback world), or force-delete
    the pod elsewhere."""
    p = kube.get("pod", pod, namespace)
    assert p, f"pod {namespace}/{pod} not found"
    if kube.kind != "loopback":
        kube.kubectl_run("delete", "pod", pod, "-n", namespace, "--grace-period=0", "--force")
        return
    env = {**os.environ, "CONTAINERS_CONF": kube.env.get("CONTAINERS_CONF", "")}
    ids = subprocess.run(["podman", "ps", "-q", "--filter", f"label=io.kubernetes.pod.uid={p['metadata']['uid']}"],
                         capture_output=True, text=True, env=env, check=True).stdout.split()
    assert ids, f"no running container of pod {namespace}/{pod}"
    subprocess.run(["podman", "kill", "--signal", "KILL", *ids], capture_output=True, text=True, env=env, check=True)
