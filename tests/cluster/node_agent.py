#!/usr/bin/env python3
"""Test node agent: a stand-in for the kubelet in the loopback test world (never shipped).

It registers a Node, keeps its Lease and Ready condition fresh, and runs every pod scheduled to
it as real containers with podman (runc, host networking, an init process), from the pod's image:

* command/args (with $(VAR) expansion), env, env from ConfigMaps/Secrets (valueFrom, envFrom),
  the downward API (fieldRef), workingDir, runAsUser/runAsGroup;
* volumes: configMap, secret, projected (service account token, configMap, secret, downwardAPI),
  downwardAPI, emptyDir, hostPath and persistentVolumeClaim (a directory per claim);
  the service account token is requested from the TokenRequest API, so in-cluster clients work
  (KUBERNETES_SERVICE_HOST/PORT point at the API server on loopback);
* init containers in order, then the containers; restartPolicy Always/OnFailure/Never with an
  exponential back-off (CrashLoopBackOff); pod phase, conditions, container statuses, restart
  counts, exit codes and reasons are written to the pod's status;
* deletion: containers are stopped with the pod's grace period, then the pod object is removed;
* logs: containers are kept until their pod is deleted, and a small HTTPS endpoint on the node's
  kubelet port serves /containerLogs/..., so `kubectl logs [-f] [--previous]` works. Each
  container's log file also stays under <state-dir>/logs/ for post-mortems.

Readiness/liveness probes, resource limits, exec/attach/port-forward are not implemented: a
running container counts as ready. Only the standard library is used.
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.server
import json
import logging
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

log = logging.getLogger("node-agent")
LABEL_NODE = "dstreams.test/node"
LABEL_UID = "io.kubernetes.pod.uid"
LABEL_CTR = "io.kubernetes.container.name"
LABEL_NAME = "io.kubernetes.pod.name"
LABEL_NS = "io.kubernetes.pod.namespace"
LABEL_ATTEMPT = "dstreams.test/attempt"
LABEL_INIT = "dstreams.test/init"


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(ts: float | None) -> str | None:
    if not ts:
        return None
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ApiError(Exception):
    def __init__(self, code: int, body: str):
        super().__init__(f"HTTP {code}: {body[:500]}")
        self.code = code
        self.body = body


class Api:
    """Minimal Kubernetes REST client (bearer token, CA-verified TLS)."""

    def __init__(self, server: str, token: str, cafile: str):
        self.server = server.rstrip("/")
        self.token = token
        self.ctx = ssl.create_default_context(cafile=cafile)

    def request(self, method: str, path: str, body: Any = None,
                ctype: str = "application/json", timeout: float = 30) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": ctype,
            "Accept": "application/json", "User-Agent": "dstreams-test-node-agent"})
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raise ApiError(e.code, e.read().decode(errors="replace")) from None
        return json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def get_or_none(self, path: str) -> Any:
        try:
            return self.get(path)
        except ApiError as e:
            if e.code == 404:
                return None
            raise


# ---------------------------------------------------------------------------------- podman

class Podman:
    def __init__(self, binary: str, node: str, conf: str | None):
        self.binary = binary
        self.node = node
        self.env = dict(os.environ)
        if conf:
            self.env["CONTAINERS_CONF"] = conf

    def run(self, *args: str, check: bool = False, timeout: float | None = 120) -> subprocess.CompletedProcess:
        cp = subprocess.run([self.binary, *args], capture_output=True, text=True,
                            env=self.env, timeout=timeout)
        if check and cp.returncode != 0:
            raise RuntimeError(f"podman {' '.join(args[:3])}...: {cp.stderr.strip()[-2000:]}")
        return cp

    def ps(self) -> dict[str, dict] | None:
        cp = self.run("ps", "-a", "--filter", f"label={LABEL_NODE}={self.node}", "--format", "json")
        if cp.returncode != 0:
            log.warning("podman ps failed: %s", cp.stderr.strip())
            return None
        out = {}
        for c in json.loads(cp.stdout or "[]"):
            names = c.get("Names") or []
            if names:
                out[names[0]] = c
        return out

    def image_id(self, image: str) -> str | None:
        cp = self.run("image", "inspect", "--format", "{{.Id}}", image)
        return cp.stdout.strip() if cp.returncode == 0 else None


# ----------------------------------------------------------------------------- pod worker

VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.\-]*)\)")


def expand(s: str, env: dict[str, str]) -> str:
    def rep(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env.get(name, m.group(0))
    return VAR_REF.sub(rep, s)


class ConfigError(Exception):
    """A pod refers to a missing ConfigMap/Secret/key (CreateContainerConfigError)."""


class CState:
    """What the agent knows of one container of a pod."""

    def __init__(self, spec: dict, init: bool):
        self.spec = spec
        self.name = spec["name"]
        self.init = init
        self.attempt = -1          # index of the current podman container, -1 = never started
        self.restart_count = 0
        self.cid: str | None = None
        self.image_id = ""
        self.state: dict = {"waiting": {"reason": "ContainerCreating"}}
        self.last_state: dict = {}
        self.finished = False      # terminated and will not be restarted
        self.backoff_until = 0.0
        self.failures = 0
        self.active = False        # the current attempt's container was launched and not yet seen exiting
        self.start_failed = False
        self.start_error = ""
        self.started_wall = 0.0
        self.started_iso = ""

    @property
    def running(self) -> bool:
        return "running" in self.state

    def status(self) -> dict:
        return {
            "name": self.name, "image": self.spec.get("image", ""), "imageID": self.image_id,
            **({"containerID": f"podman://{self.cid}"} if self.cid else {}),
            "ready": self.running, "started": self.running,
            "restartCount": self.restart_count, "state": self.state, "lastState": self.last_state,
        }


class PodWorker(threading.Thread):
    def __init__(self, agent: "Agent", pod: dict):
        md = pod["metadata"]
        super().__init__(name=f"pod-{md['namespace']}/{md['name']}", daemon=True)
        self.agent = agent
        self.pod = pod
        self.uid = md["uid"]
        self.ns = md["namespace"]
        self.name = md["name"]
        self.gone = False
        self.dir = os.path.join(agent.state_dir, "pods", self.uid)
        self.log_dir = os.path.join(agent.state_dir, "logs", f"{self.ns}_{self.name}_{self.uid}")
        spec = pod["spec"]
        self.init = [CState(c, True) for c in spec.get("initContainers") or []]
        self.main = [CState(c, False) for c in spec.get("containers") or []]
        self.start_time = now_iso()
        self.prepared = False
        self.config_error: str | None = None
        self.last_status: dict | None = None
        self.terminal = False
        self.phase = "Pending"
        self.wake = threading.Event()
        self.terminated_ok = False

    # --- helpers
    @property
    def policy(self) -> str:
        return self.pod["spec"].get("restartPolicy", "Always")

    def cname(self, c: CState, attempt: int) -> str:
        return f"k8s_{c.name}_{self.name}_{self.ns}_{self.uid[:8]}_{attempt}"

    def all_states(self) -> list[CState]:
        return self.init + self.main

    def find(self, container: str) -> CState | None:
        for c in self.all_states():
            if c.name == container:
                return c
        return None

    # --- lifecycle
    def run(self) -> None:
        try:
            while True:
                self.wake.wait(timeout=2.0)
                self.wake.clear()
                if self.gone or self.pod["metadata"].get("deletionTimestamp"):
                    self.terminate()
                    return
                try:
                    self.sync()
                except Exception:  # keep the pod alive; report next tick
                    log.exception("sync of %s/%s failed", self.ns, self.name)
        finally:
            self.agent.forget(self.uid, done=self.terminated_ok)

    def sync(self) -> None:
        if self.terminal:
            return
        snap = self.agent.snapshot
        if not self.prepared:
            try:
                self.prepare()
                self.prepared = True
                self.config_error = None
            except ConfigError as e:
                self.config_error = str(e)
                for c in self.all_states():
                    c.state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(e)}}
                self.push_status()
                return
        # init containers, one at a time
        initialized = True
        for c in self.init:
            if c.finished:
                if (c.state.get("terminated") or {}).get("exitCode", 0) != 0:
                    initialized = False  # failed for good: the pod fails (compute_phase)
                    break
                continue
            initialized = False
            self.step(c, snap)
            break
        if initialized:
            for c in self.main:
                if not c.finished:
                    self.step(c, snap)
        self.push_status()

    def step(self, c: CState, snap: dict) -> None:
        """Observe one container and start/restart it as the restart policy says."""
        if c.active:
            info = snap.get(self.cname(c, c.attempt))
            if info is None:
                if not self.agent.snapshot_fresh_after(c.started_wall):
                    return  # launched after the last snapshot; wait for the next one
                info = {"State": "exited", "ExitCode": 128 if c.start_failed else 137, "ExitedAt": time.time()}
            st = info.get("State", "")
            if st == "running":
                if "running" not in c.state:
                    c.state = {"running": {"startedAt": iso(info.get("StartedAt")) or c.started_iso}}
                return
            if not (st in ("exited", "stopped") or (c.start_failed and st in ("created", "configured"))):
                return  # still being created
            code = int(info.get("ExitCode", 0) or 0)
            if c.start_failed and code == 0:
                code = 128
            reason = "Completed" if code == 0 else ("StartError" if c.start_failed else "Error")
            term = {"exitCode": code, "reason": reason,
                    "startedAt": iso(info.get("StartedAt")) or c.started_iso,
                    "finishedAt": iso(info.get("ExitedAt")) or now_iso(),
                    **({"containerID": f"podman://{c.cid}"} if c.cid else {})}
            if c.start_failed and c.start_error:
                term["message"] = c.start_error[-1000:]
            c.state = {"terminated": term}
            c.active = False
            log.info("%s/%s container %s exited %d", self.ns, self.name, c.name, code)
            restart = (self.policy == "Always" and not c.init) or (
                self.policy in ("Always", "OnFailure") and code != 0)
            if not restart:
                c.finished = True
                return
            c.failures += 1
            c.backoff_until = time.monotonic() + min(
                self.agent.backoff * 2 ** (c.failures - 1), self.agent.backoff_max)
        if c.finished:
            return
        if time.monotonic() < c.backoff_until:
            if "terminated" in c.state:
                c.last_state = {"terminated": c.state["terminated"]}
                c.state = {"waiting": {"reason": "CrashLoopBackOff", "message":
                           f"back-off restarting failed container {c.name} in pod {self.name}"}}
            return
        if "terminated" in c.state:
            c.last_state = {"terminated": c.state["terminated"]}
        self.start_container(c)

    def start_container(self, c: CState) -> None:
        image = c.spec.get("image", "")
        iid = self.agent.podman.image_id(image)
        if not iid:
            c.state = {"waiting": {"reason": "ErrImageNeverPull", "message":
                       f"image {image!r} is not present on the node (the test world never pulls)"}}
            return
        c.image_id = iid
        try:
            env = self.container_env(c.spec)
        except ConfigError as e:
            c.state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(e)}}
            return
        if c.attempt >= 0:
            c.restart_count += 1
        c.attempt += 1
        c.active = True
        name = self.cname(c, c.attempt)
        os.makedirs(self.log_dir, exist_ok=True)
        args = ["run", "-d", "--name", name, "--network", "host", "--init", "--pull", "never",
                "--label", f"{LABEL_NODE}={self.agent.instance}", "--label", f"{LABEL_UID}={self.uid}",
                "--label", f"{LABEL_NAME}={self.name}", "--label", f"{LABEL_NS}={self.ns}",
                "--label", f"{LABEL_CTR}={c.name}", "--label", f"{LABEL_ATTEMPT}={c.attempt}",
                "--label", f"{LABEL_INIT}={'1' if c.init else '0'}",
                "--log-driver", "k8s-file", "--log-opt",
                f"path={os.path.join(self.log_dir, f'{c.name}-{c.attempt}.log')}"]
        for k, v in env.items():
            args += ["--env", f"{k}={v}"]
        args += self.mount_args(c.spec)
        sc = {**(self.pod["spec"].get("securityContext") or {}), **(c.spec.get("securityContext") or {})}
        if sc.get("runAsUser") is not None:
            user = str(sc["runAsUser"])
            if sc.get("runAsGroup") is not None:
                user += f":{sc['runAsGroup']}"
            args += ["--user", user]
        if sc.get("privileged"):
            args += ["--privileged"]
        if sc.get("readOnlyRootFilesystem"):
            args += ["--read-only"]
        if c.spec.get("workingDir"):
            args += ["--workdir", c.spec["workingDir"]]
        command = [expand(x, env) for x in c.spec.get("command") or []]
        cargs = [expand(x, env) for x in c.spec.get("args") or []]
        if command:
            args += ["--entrypoint", json.dumps(command)]
        args += [image, *cargs]
        c.start_failed = False
        c.start_error = ""
        c.started_iso = now_iso()
        cp = self.agent.podman.run(*args)
        c.started_wall = time.time()  # the container exists from here on
        if cp.returncode != 0:
            log.warning("%s/%s: podman run %s failed: %s", self.ns, self.name, c.name, cp.stderr.strip())
            c.start_failed = True
            c.start_error = cp.stderr.strip()
            c.cid = None
            insp = self.agent.podman.run("inspect", "--format", "{{.Id}}", name)
            c.cid = insp.stdout.strip() or None
            c.state = {"waiting": {"reason": "ContainerCreating"}}  # resolved to terminated next tick
            self.agent.request_snapshot()
            return
        c.cid = cp.stdout.strip()
        c.state = {"running": {"startedAt": c.started_iso}}
        log.info("%s/%s started container %s (%s, attempt %d)", self.ns, self.name, c.name,
                 c.cid[:12], c.attempt)
        self.agent.request_snapshot()

    # --- configuration
    def get_obj(self, kind: str, name: str, optional: bool) -> dict | None:
        path = f"/api/v1/namespaces/{self.ns}/{'configmaps' if kind == 'ConfigMap' else 'secrets'}/{name}"
        obj = self.agent.api.get_or_none(path)
        if obj is None and not optional:
            raise ConfigError(f'{kind.lower()} "{name}" not found')
        return obj

    @staticmethod
    def obj_data(kind: str, obj: dict | None) -> dict[str, bytes]:
        if not obj:
            return {}
        if kind == "Secret":
            return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
        out = {k: v.encode() for k, v in (obj.get("data") or {}).items()}
        out.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
        return out

    def field_ref(self, path: str) -> str:
        md = self.pod["metadata"]
        m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
        if m:
            return (md.get(m.group(1)) or {}).get(m.group(2), "")
        simple = {
            "metadata.name": md["name"], "metadata.namespace": md["namespace"], "metadata.uid": md["uid"],
            "spec.nodeName": self.agent.node,
            "spec.serviceAccountName": self.pod["spec"].get("serviceAccountName", "default"),
            "status.hostIP": "127.0.0.1", "status.hostIPs": "127.0.0.1",
            "status.podIP": "127.0.0.1", "status.podIPs": "127.0.0.1",
        }
        if path in simple:
            return simple[path]
        if path in ("metadata.labels", "metadata.annotations"):
            d = md.get(path.split(".")[1]) or {}
            return "\n".join(f'{k}="{v}"' for k, v in sorted(d.items()))
        raise ConfigError(f"unsupported fieldRef {path}")

    def container_env(self, spec: dict) -> dict[str, str]:
        env: dict[str, str] = {
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": str(self.agent.api_port),
            "KUBERNETES_SERVICE_PORT_HTTPS": str(self.agent.api_port),
            "KUBERNETES_PORT": f"tcp://127.0.0.1:{self.agent.api_port}",
            "HOSTNAME": self.name,
        }
        for ef in spec.get("envFrom") or []:
            prefix = ef.get("prefix", "")
            for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if key in ef:
                    ref = ef[key]
                    obj = self.get_obj(kind, ref["name"], ref.get("optional", False))
                    for k, v in self.obj_data(kind, obj).items():
                        env[prefix + k] = v.decode(errors="replace")
        for e in spec.get("env") or []:
            if "valueFrom" not in e:
                env[e["name"]] = expand(e.get("value", ""), env)
                continue
            vf = e["valueFrom"]
            if "fieldRef" in vf:
                env[e["name"]] = self.field_ref(vf["fieldRef"]["fieldPath"])
            elif "configMapKeyRef" in vf or "secretKeyRef" in vf:
                kind, ref = ("ConfigMap", vf["configMapKeyRef"]) if "configMapKeyRef" in vf else ("Secret", vf["secretKeyRef"])
                obj = self.get_obj(kind, ref["name"], ref.get("optional", False))
                data = self.obj_data(kind, obj)
                if ref["key"] in data:
                    env[e["name"]] = data[ref["key"]].decode(errors="replace")
                elif not ref.get("optional", False):
                    raise ConfigError(f'couldn\'t find key {ref["key"]} in {kind} {self.ns}/{ref["name"]}')
            elif "resourceFieldRef" in vf:
                res = vf["resourceFieldRef"]["resource"]
                kind, _, what = res.partition(".")
                val = ((spec.get("resources") or {}).get(kind) or {}).get(what)
                env[e["name"]] = str(val) if val is not None else "0"
        return env

    def write_files(self, root: str, files: dict[str, bytes], mode: int) -> None:
        for rel, data in files.items():
            p = os.path.join(root, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
            os.chmod(p, mode)

    def source_files(self, kind: str, src: dict, name_key: str) -> tuple[dict[str, bytes], int | None]:
        obj = self.get_obj(kind, src[name_key], src.get("optional", False))
        data = self.obj_data(kind, obj)
        items = src.get("items")
        if not items:
            return data, None
        out = {}
        for it in items:
            if it["key"] not in data:
                if src.get("optional", False):
                    continue
                raise ConfigError(f'configmap/secret {src[name_key]} has no key {it["key"]}')
            out[it["path"]] = data[it["key"]]
        return out, None

    def token_for(self, src: dict) -> bytes:
        sa = self.pod["spec"].get("serviceAccountName") or "default"
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {
            "audiences": [src["audience"]] if src.get("audience") else [],
            "expirationSeconds": int(src.get("expirationSeconds", 3607)),
            "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": self.name, "uid": self.uid}}}
        try:
            out = self.agent.api.request(
                "POST", f"/api/v1/namespaces/{self.ns}/serviceaccounts/{sa}/token", body)
        except ApiError as e:
            raise ConfigError(f"token request for serviceaccount {sa}: {e}") from None
        return out["status"]["token"].encode()

    def prepare(self) -> None:
        """Materialize the pod's volumes under <state>/pods/<uid>/volumes."""
        vols = os.path.join(self.dir, "volumes")
        os.makedirs(vols, exist_ok=True)
        for v in self.pod["spec"].get("volumes") or []:
            d = os.path.join(vols, v["name"])
            if "emptyDir" in v:
                os.makedirs(d, exist_ok=True)
                os.chmod(d, 0o1777)
            elif "configMap" in v or "secret" in v:
                kind, src, key = (("ConfigMap", v["configMap"], "name") if "configMap" in v
                                  else ("Secret", v["secret"], "secretName"))
                files, _ = self.source_files(kind, src, key)
                shutil.rmtree(d, ignore_errors=True)
                os.makedirs(d)
                self.write_files(d, files, src.get("defaultMode", 0o644))
            elif "downwardAPI" in v:
                shutil.rmtree(d, ignore_errors=True)
                os.makedirs(d)
                files = {it["path"]: self.field_ref(it["fieldRef"]["fieldPath"]).encode()
                         for it in v["downwardAPI"].get("items") or [] if "fieldRef" in it}
                self.write_files(d, files, v["downwardAPI"].get("defaultMode", 0o644))
            elif "projected" in v:
                shutil.rmtree(d, ignore_errors=True)
                os.makedirs(d)
                files: dict[str, bytes] = {}
                for s in v["projected"].get("sources") or []:
                    if "serviceAccountToken" in s:
                        files[s["serviceAccountToken"]["path"]] = self.token_for(s["serviceAccountToken"])
                    elif "configMap" in s:
                        files.update(self.source_files("ConfigMap", s["configMap"], "name")[0])
                    elif "secret" in s:
                        files.update(self.source_files("Secret", s["secret"], "name")[0])
                    elif "downwardAPI" in s:
                        for it in s["downwardAPI"].get("items") or []:
                            if "fieldRef" in it:
                                files[it["path"]] = self.field_ref(it["fieldRef"]["fieldPath"]).encode()
                self.write_files(d, files, v["projected"].get("defaultMode", 0o644))
            elif "hostPath" in v:
                hp = v["hostPath"]
                if hp.get("type") in ("DirectoryOrCreate",) and not os.path.exists(hp["path"]):
                    os.makedirs(hp["path"], exist_ok=True)
            elif "persistentVolumeClaim" in v:
                pd = os.path.join(self.agent.state_dir, "pvc", self.ns, v["persistentVolumeClaim"]["claimName"])
                os.makedirs(pd, exist_ok=True)
                os.chmod(pd, 0o1777)

    def volume_host_path(self, name: str) -> str | None:
        for v in self.pod["spec"].get("volumes") or []:
            if v["name"] != name:
                continue
            if "hostPath" in v:
                return v["hostPath"]["path"]
            if "persistentVolumeClaim" in v:
                return os.path.join(self.agent.state_dir, "pvc", self.ns, v["persistentVolumeClaim"]["claimName"])
            return os.path.join(self.dir, "volumes", name)
        return None

    def mount_args(self, spec: dict) -> list[str]:
        args = []
        for m in spec.get("volumeMounts") or []:
            host = self.volume_host_path(m["name"])
            if host is None:
                continue
            if m.get("subPath"):
                host = os.path.join(host, m["subPath"])
                if not os.path.exists(host):
                    os.makedirs(host, exist_ok=True)
            opts = "ro" if m.get("readOnly") else "rw"
            args += ["--volume", f"{host}:{m['mountPath']}:{opts}"]
        return args

    # --- status
    def compute_phase(self) -> str:
        if self.config_error:
            return "Pending"
        for c in self.init:
            if not c.finished:
                return "Pending"
            term = c.state.get("terminated") or {}
            if term.get("exitCode", 0) != 0:
                return "Failed"
        if not self.main:
            return "Pending"
        if all(c.finished for c in self.main):
            codes = [c.state.get("terminated", {}).get("exitCode", 0) for c in self.main]
            return "Succeeded" if all(x == 0 for x in codes) else "Failed"
        if any(c.attempt >= 0 for c in self.main):
            return "Running"
        return "Pending"

    def push_status(self) -> None:
        phase = self.compute_phase()
        initialized = all(c.finished for c in self.init)
        ready = phase == "Running" and all(c.running for c in self.main)
        cond = lambda t, ok, reason=None: {"type": t, "status": "True" if ok else "False",  # noqa: E731
                                           **({"reason": reason} if reason and not ok else {})}
        status = {
            "phase": phase, "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}],
            "podIP": "127.0.0.1", "podIPs": [{"ip": "127.0.0.1"}], "startTime": self.start_time,
            "qosClass": (self.pod.get("status") or {}).get("qosClass", "BestEffort"),
            "conditions": [
                cond("PodReadyToStartContainers", True),
                cond("Initialized", initialized, "ContainersNotInitialized"),
                cond("Ready", ready, "PodCompleted" if phase in ("Succeeded", "Failed") else "ContainersNotReady"),
                cond("ContainersReady", ready, "PodCompleted" if phase in ("Succeeded", "Failed") else "ContainersNotReady"),
                cond("PodScheduled", True),
            ],
            "containerStatuses": [c.status() for c in self.main],
        }
        if self.init:
            status["initContainerStatuses"] = [c.status() for c in self.init]
        if status == self.last_status:
            return
        body = {"status": status}
        # keep lastTransitionTime stable-ish: set only when the condition list is new
        for c in status["conditions"]:
            c["lastTransitionTime"] = now_iso()
        if self.last_status is not None:
            prev = {c["type"]: c for c in self.last_status["conditions"]}
            for c in status["conditions"]:
                p = prev.get(c["type"])
                if p and p["status"] == c["status"]:
                    c["lastTransitionTime"] = p["lastTransitionTime"]
        try:
            self.agent.api.request("PATCH", f"/api/v1/namespaces/{self.ns}/pods/{self.name}/status",
                                   body, ctype="application/merge-patch+json")
        except ApiError as e:
            if e.code == 404:
                self.gone = True
                return
            raise
        if phase != self.phase:
            log.info("%s/%s phase %s -> %s", self.ns, self.name, self.phase, phase)
        self.phase = phase
        self.last_status = status
        if phase in ("Succeeded", "Failed"):
            self.terminal = True

    # --- deletion
    def terminate(self) -> None:
        md = self.pod["metadata"]
        grace = md.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = self.pod["spec"].get("terminationGracePeriodSeconds", 30)
        names = [n for n, info in self.agent.snapshot.items()
                 if (info.get("Labels") or {}).get(LABEL_UID) == self.uid and info.get("State") == "running"]
        threads = [threading.Thread(target=self.agent.podman.run, args=("stop", "-t", str(int(grace)), n),
                                    kwargs={"timeout": int(grace) + 60}) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if names:
            log.info("%s/%s stopped %d container(s)", self.ns, self.name, len(names))
        if not self.gone:
            try:
                self.agent.api.request("DELETE", f"/api/v1/namespaces/{self.ns}/pods/{self.name}", {
                    "apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                    "preconditions": {"uid": self.uid}})
            except ApiError as e:
                if e.code not in (404, 409):
                    log.warning("delete %s/%s: %s", self.ns, self.name, e)
        self.agent.remove_containers(self.uid)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.terminated_ok = True
        log.info("%s/%s deleted", self.ns, self.name)


# ------------------------------------------------------------------------------ log server

class LogHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    agent: "Agent"

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet
        log.debug("kubelet-api: " + fmt, *args)

    def do_GET(self) -> None:  # noqa: N802
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        parts = [p for p in u.path.split("/") if p]
        if parts in (["healthz"], ["readyz"], ["livez"]):
            return self.reply(200, b"ok")
        if len(parts) != 4 or parts[0] != "containerLogs":
            return self.reply(404, b"not supported by the dstreams test node agent")
        _, ns, pod, ctr = parts
        w = self.agent.worker_by_name(ns, pod)
        c = w.find(ctr) if w else None
        if c is None:
            return self.reply(404, f"container {ctr} of pod {ns}/{pod} not found".encode())
        attempt = c.attempt
        if q.get("previous", ["false"])[0] == "true":
            attempt -= 1
        if attempt < 0:
            what = "previous terminated container" if c.attempt >= 0 else "container"
            return self.reply(400, f'{what} "{ctr}" in pod "{pod}" is waiting to start or not found'.encode())
        args = ["logs"]
        if q.get("follow", ["false"])[0] == "true":
            args.append("--follow")
        if q.get("timestamps", ["false"])[0] == "true":
            args.append("--timestamps")
        if "tailLines" in q:
            args += ["--tail", q["tailLines"][0]]
        if "sinceSeconds" in q:
            args += ["--since", f"{q['sinceSeconds'][0]}s"]
        if "sinceTime" in q:
            args += ["--since", q["sinceTime"][0]]
        args.append(w.cname(c, attempt))
        limit = int(q["limitBytes"][0]) if "limitBytes" in q else None
        p = subprocess.Popen([self.agent.podman.binary, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, env=self.agent.podman.env)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            sent = 0
            assert p.stdout is not None
            while True:
                chunk = p.stdout.read1(65536)
                if not chunk:
                    break
                if limit is not None:
                    chunk = chunk[: max(0, limit - sent)]
                self.wfile.write(chunk)
                self.wfile.flush()
                sent += len(chunk)
                if limit is not None and sent >= limit:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            p.kill()
            p.wait()

    def reply(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# ----------------------------------------------------------------------------------- agent

class Agent:
    def __init__(self, a: argparse.Namespace):
        self.node = a.node_name
        with open(a.token_file) as f:
            token = f.read().strip()
        self.api = Api(a.server, token, a.ca_file)
        self.api_port = urllib.parse.urlsplit(a.server).port or 443
        self.instance = a.instance or self.node
        self.podman = Podman(a.podman, self.instance, a.containers_conf)
        self.state_dir = os.path.abspath(a.state_dir)
        self.kubelet_port = a.kubelet_port
        self.tls = (a.tls_cert, a.tls_key)
        self.kubelet_version = a.kubelet_version
        self.cpu = a.cpu
        self.backoff = a.backoff
        self.backoff_max = a.backoff_max
        self.interval = a.interval
        self.workers: dict[str, PodWorker] = {}
        self.lock = threading.Lock()
        self.snapshot: dict[str, dict] = {}
        self.snapshot_time = 0.0
        self.snap_event = threading.Event()
        self.stop = threading.Event()
        self.node_uid = ""
        self.done: set[str] = set()   # pods whose deletion this agent has carried out

    # --- node registration and heartbeats
    def node_status(self) -> dict:
        mem_kib = 0
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
        t = now_iso()
        cond = lambda typ, st, reason, msg: {"type": typ, "status": st, "reason": reason,  # noqa: E731
                                             "message": msg, "lastHeartbeatTime": t,
                                             "lastTransitionTime": self.started_at}
        res = {"cpu": str(self.cpu), "memory": f"{mem_kib}Ki", "pods": "110",
               "ephemeral-storage": "100Gi"}
        pv = self.podman.run("version", "--format", "{{.Client.Version}}").stdout.strip() or "unknown"
        return {
            "capacity": res, "allocatable": res,
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                cond("Ready", "True", "KubeletReady", "dstreams test node agent is posting ready status"),
            ],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                          {"type": "Hostname", "address": self.node}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": self.kubelet_port}},
            "nodeInfo": {
                "machineID": "dstreams-test", "systemUUID": "dstreams-test", "bootID": self.boot_id,
                "kernelVersion": os.uname().release, "osImage": "dstreams test node agent",
                "containerRuntimeVersion": f"podman://{pv}", "kubeletVersion": self.kubelet_version,
                "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64"},
        }

    def register(self) -> None:
        self.started_at = now_iso()
        self.boot_id = open("/proc/sys/kernel/random/boot_id").read().strip()
        status = self.node_status()
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": self.node, "labels": {
            "kubernetes.io/hostname": self.node, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
            "dstreams.io/test-node": "true"}}, "spec": {}, "status": status}
        try:
            out = self.api.request("POST", "/api/v1/nodes", node)
            log.info("registered node %s", self.node)
        except ApiError as e:
            if e.code != 409:
                raise
            out = self.api.get(f"/api/v1/nodes/{self.node}")
            log.info("node %s already registered", self.node)
        self.node_uid = out["metadata"]["uid"]
        self.update_node_status()
        self.renew_lease()

    def update_node_status(self) -> None:
        self.api.request("PATCH", f"/api/v1/nodes/{self.node}/status", {"status": self.node_status()},
                         ctype="application/merge-patch+json")

    def renew_lease(self) -> None:
        path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{self.node}"
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {
            "name": self.node, "namespace": "kube-node-lease", "ownerReferences": [
                {"apiVersion": "v1", "kind": "Node", "name": self.node, "uid": self.node_uid}]},
            "spec": {"holderIdentity": self.node, "leaseDurationSeconds": 40, "renewTime": micro_now()}}
        try:
            self.api.request("PATCH", path, {"spec": lease["spec"]}, ctype="application/merge-patch+json")
        except ApiError as e:
            if e.code != 404:
                raise
            self.api.request("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease)

    def heartbeat_loop(self) -> None:
        last_status = time.monotonic()
        while not self.stop.wait(10):
            try:
                self.renew_lease()
                if time.monotonic() - last_status >= 30:
                    self.update_node_status()
                    last_status = time.monotonic()
            except Exception as e:  # keep trying; the node goes NotReady if this persists
                log.warning("heartbeat failed: %s", e)

    # --- pods
    def worker_by_name(self, ns: str, name: str) -> PodWorker | None:
        with self.lock:
            for w in self.workers.values():
                if w.ns == ns and w.name == name:
                    return w
        return None

    def forget(self, uid: str, done: bool = False) -> None:
        with self.lock:
            self.workers.pop(uid, None)
            if done:
                self.done.add(uid)

    def request_snapshot(self) -> None:
        self.snap_event.set()

    def snapshot_fresh_after(self, t: float) -> bool:
        return self.snapshot_time > t + 0.05

    def remove_containers(self, uid: str) -> None:
        cp = self.podman.run("ps", "-aq", "--filter", f"label={LABEL_UID}={uid}",
                             "--filter", f"label={LABEL_NODE}={self.instance}")
        ids = cp.stdout.split()
        if ids:
            self.podman.run("rm", "-f", "-t", "0", *ids)

    def list_pods(self) -> list[dict]:
        sel = urllib.parse.quote(f"spec.nodeName={self.node}")
        return self.api.get(f"/api/v1/pods?fieldSelector={sel}")["items"]

    def loop(self) -> None:
        while not self.stop.is_set():
            try:
                pods = self.list_pods()
                t = time.time()
                snapshot = self.podman.ps()
                if snapshot is not None:
                    self.snapshot, self.snapshot_time = snapshot, t
                seen = set()
                with self.lock:
                    for pod in pods:
                        uid = pod["metadata"]["uid"]
                        seen.add(uid)
                        if uid in self.done:
                            continue
                        w = self.workers.get(uid)
                        if w is None:
                            if pod["status"].get("phase") in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp"):
                                continue  # finished before this agent started
                            w = PodWorker(self, pod)
                            self.workers[uid] = w
                            log.info("pod %s/%s assigned", w.ns, w.name)
                            w.start()
                        w.pod = pod
                        w.wake.set()
                    for uid, w in list(self.workers.items()):
                        if uid not in seen:
                            w.gone = True
                            w.wake.set()
                    known = set(self.workers)
                    self.done &= seen
                orphans = {(i.get("Labels") or {}).get(LABEL_UID) for i in self.snapshot.values()} - known - seen
                for uid in orphans:
                    if uid:
                        threading.Thread(target=self.remove_containers, args=(uid,), daemon=True).start()
            except Exception as e:
                log.warning("sync loop: %s", e)
            self.snap_event.wait(self.interval)
            self.snap_event.clear()

    def serve_logs(self) -> None:
        handler = type("H", (LogHandler,), {"agent": self})
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", self.kubelet_port), handler)
        srv.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, name="kubelet-api", daemon=True).start()

    def shutdown(self, *_: Any) -> None:
        self.stop.set()
        self.snap_event.set()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--server", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--ca-file", required=True)
    p.add_argument("--node-name", default=socket.gethostname())
    p.add_argument("--instance", default=None,
                   help="label value marking this agent's containers (unique per test world)")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--kubelet-port", type=int, required=True)
    p.add_argument("--tls-cert", required=True)
    p.add_argument("--tls-key", required=True)
    p.add_argument("--podman", default=shutil.which("podman") or "podman")
    p.add_argument("--containers-conf", default=os.environ.get("CONTAINERS_CONF"))
    p.add_argument("--kubelet-version", default="v0.0.0")
    p.add_argument("--cpu", default="32", help="CPU capacity to advertise (overcommitted on purpose)")
    p.add_argument("--backoff", type=float, default=1.0, help="first restart back-off (s)")
    p.add_argument("--backoff-max", type=float, default=20.0)
    p.add_argument("--interval", type=float, default=0.5, help="pod sync period (s)")
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(threadName)s: %(message)s")
    agent = Agent(a)
    signal.signal(signal.SIGTERM, agent.shutdown)
    signal.signal(signal.SIGINT, agent.shutdown)
    agent.serve_logs()
    deadline = time.monotonic() + 60
    while True:
        try:
            agent.register()
            break
        except Exception as e:
            if time.monotonic() > deadline:
                raise
            log.info("waiting for the API server: %s", e)
            time.sleep(1)
    threading.Thread(target=agent.heartbeat_loop, name="heartbeat", daemon=True).start()
    agent.loop()
    log.info("stopping: removing this node's containers")
    cp = agent.podman.run("ps", "-aq", "--filter", f"label={LABEL_NODE}={agent.instance}")
    if cp.stdout.split():
        agent.podman.run("rm", "-f", "-t", "2", *cp.stdout.split())


if __name__ == "__main__":
    main()
