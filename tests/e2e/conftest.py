"""The e2e test world: a real Kubernetes API server on loopback, brought up once per test run.

``kube`` (session-scoped) yields a :class:`KubeWorld`. Where it comes from, in order:

1. ``DSTREAMS_E2E_KUBECONFIG`` is set (``make e2e-kind`` does this): an existing cluster, used as is
   (images from ``DSTREAMS_E2E_RUNTIME_IMAGE`` / ``DSTREAMS_E2E_OPERATOR_IMAGE``, no S3/Redis unless
   ``DSTREAMS_E2E_S3_ENDPOINT`` / ``DSTREAMS_E2E_REDIS_URL`` say so); never torn down here.
2. A healthy world started by ``make cluster-up`` in ``~/.cache/dstreams/cluster``: reused, left
   running (set ``DSTREAMS_E2E_REUSE=0`` to ignore it; CI=true does too).
3. Otherwise ``tests/cluster/up.sh`` starts a private world in a temp dir (building the tools once,
   cached under ~/.cache/dstreams, and the images), and ``down.sh`` stops it at session end; its
   logs are copied to ~/.cache/dstreams/e2e-logs/last. If it cannot start, every e2e test fails
   with the tail of the start-up log.

Set ``DSTREAMS_SKIP_E2E=1`` to skip the e2e tests on a machine without the test world's tools.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

REPO = Path(__file__).resolve().parents[2]
CLUSTER = REPO / "tests" / "cluster"
CACHE = Path(os.environ.get("DSTREAMS_CACHE", Path.home() / ".cache" / "dstreams"))
# a cold start builds Kubernetes, etcd, helm and MinIO from source (~10 min on 2 cores)
SETUP_TIMEOUT = int(os.environ.get("DSTREAMS_E2E_SETUP_TIMEOUT", "2400"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    skip = os.environ.get("DSTREAMS_SKIP_E2E") == "1"
    for item in items:
        if here not in Path(str(item.fspath)).parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if skip:
            item.add_marker(pytest.mark.skip(reason="DSTREAMS_SKIP_E2E=1"))
        # the first test to use `kube` pays for the world's start-up (a cold build included)
        if "kube" in getattr(item, "fixturenames", ()):
            m = item.get_closest_marker("timeout")
            if m is None or (m.args and m.args[0] and m.args[0] < SETUP_TIMEOUT):
                item.add_marker(pytest.mark.timeout(SETUP_TIMEOUT + 300), append=False)


class WorldError(Exception):
    pass


def read_env(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


@dataclass
class KubeWorld:
    kubeconfig: str
    kubectl: str
    helm: str
    runtime_image: str
    operator_image: str
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    redis_url: str | None = None
    node_name: str | None = None
    cluster_dir: str | None = None
    logs_dir: str | None = None
    kind: str = "loopback"          # "loopback" (our control plane + podman node agent) or "external"
    env: dict[str, str] = field(default_factory=dict)

    # --- running the tools as users do
    def tool_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KUBECONFIG"] = self.kubeconfig
        env["PATH"] = os.pathsep.join([str(Path(self.kubectl).parent), str(Path(self.helm).parent), env.get("PATH", "")])
        env.setdefault("HELM_CACHE_HOME", str(CACHE / "helm" / "cache"))
        env.setdefault("HELM_CONFIG_HOME", str(CACHE / "helm" / "config"))
        env.setdefault("HELM_DATA_HOME", str(CACHE / "helm" / "data"))
        return env

    def _run(self, argv: list[str], input: str | None, check: bool, timeout: float) -> subprocess.CompletedProcess:
        cp = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout, env=self.tool_env())
        if check and cp.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {cp.returncode}:\n{cp.stdout[-3000:]}\n{cp.stderr[-3000:]}")
        return cp

    def kubectl_run(self, *args: str, input: str | None = None, check: bool = True,
                    timeout: float = 60) -> subprocess.CompletedProcess:
        return self._run([self.kubectl, *args], input, check, timeout)

    def helm_run(self, *args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
        return self._run([self.helm, *args], None, check, timeout)

    def apply(self, manifest: str | dict | list, namespace: str | None = None) -> None:
        if not isinstance(manifest, str):
            docs = manifest if isinstance(manifest, list) else [manifest]
            manifest = "\n---\n".join(json.dumps(d) for d in docs)
        ns = ["-n", namespace] if namespace else []
        self.kubectl_run("apply", *ns, "-f", "-", input=manifest)

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict | None:
        ns = ["-n", namespace] if namespace else []
        cp = self.kubectl_run("get", kind, name, *ns, "-o", "json", check=False)
        if cp.returncode != 0:
            if "NotFound" in cp.stderr or "not found" in cp.stderr:
                return None
            raise AssertionError(f"kubectl get {kind} {name}: {cp.stderr}")
        return json.loads(cp.stdout)

    def list(self, kind: str, namespace: str | None = None, selector: str | None = None) -> list[dict]:
        args = ["get", kind, "-o", "json"]
        if namespace:
            args += ["-n", namespace]
        if selector:
            args += ["-l", selector]
        return json.loads(self.kubectl_run(*args).stdout)["items"]

    def logs(self, pod: str, namespace: str, container: str | None = None, previous: bool = False) -> str:
        args = ["logs", pod, "-n", namespace]
        if container:
            args += ["-c", container]
        if previous:
            args.append("--previous")
        return self.kubectl_run(*args).stdout

    # --- waiting on conditions, never on the clock
    def wait_until(self, cond: Callable[[], Any], timeout: float, what: str,
                   interval: float = 0.25, diagnose: Callable[[], str] | None = None) -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            last = cond()
            if last:
                return last
            if time.monotonic() > deadline:
                extra = ""
                try:
                    extra = diagnose() if diagnose else self.diagnostics()
                except Exception as e:  # diagnostics must not hide the timeout
                    extra = f"(diagnostics failed: {e})"
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value {last!r}\n{extra}")
            time.sleep(interval)

    def wait_pod_phase(self, name: str, namespace: str, phases: tuple[str, ...], timeout: float = 120) -> dict:
        def check() -> dict | None:
            pod = self.get("pod", name, namespace)
            return pod if pod and pod.get("status", {}).get("phase") in phases else None
        return self.wait_until(check, timeout, f"pod {namespace}/{name} to reach {'/'.join(phases)}",
                               diagnose=lambda: self.diagnostics(namespace))

    def diagnostics(self, namespace: str | None = None) -> str:
        parts = []
        if namespace:
            cp = self.kubectl_run("get", "pods,events", "-n", namespace, "-o", "wide", check=False)
            parts.append(cp.stdout + cp.stderr)
        if self.logs_dir:
            agent = Path(self.logs_dir) / "node-agent.log"
            if agent.exists():
                parts.append("node agent log (tail):\n" + "\n".join(agent.read_text(errors="replace").splitlines()[-40:]))
        return "\n".join(parts)

    def namespace(self, prefix: str = "e2e") -> str:
        """Create a fresh namespace and wait until pods can be created in it."""
        name = f"{prefix}-{uuid.uuid4().hex[:6]}"
        self.kubectl_run("create", "namespace", name)
        self.wait_until(lambda: self.get("serviceaccount", "default", name), 60,
                        f"the default service account of namespace {name}")
        return name


def _tail(path: Path, n: int = 80) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def _external_world() -> KubeWorld:
    kc = os.environ["DSTREAMS_E2E_KUBECONFIG"]
    built = {}
    try:
        out = subprocess.run(["bash", str(CLUSTER / "build-tools.sh"), "--print-env"], capture_output=True, text=True).stdout
        built = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    except OSError:
        pass

    def tool(name: str, key: str) -> str:
        env = os.environ.get(f"DSTREAMS_E2E_{key}")
        if env:
            return env
        if built.get(key) and os.access(built[key], os.X_OK):
            return built[key]
        found = shutil.which(name)
        if not found:
            pytest.fail(f"{name} not found for the external e2e cluster", pytrace=False)
        return found
    return KubeWorld(
        kubeconfig=kc, kubectl=tool("kubectl", "KUBECTL"), helm=tool("helm", "HELM"),
        runtime_image=os.environ.get("DSTREAMS_E2E_RUNTIME_IMAGE", "dstreams-runtime:dev"),
        operator_image=os.environ.get("DSTREAMS_E2E_OPERATOR_IMAGE", "dstreams-operator:dev"),
        s3_endpoint=os.environ.get("DSTREAMS_E2E_S3_ENDPOINT"),
        s3_access_key=os.environ.get("DSTREAMS_E2E_S3_ACCESS_KEY"),
        s3_secret_key=os.environ.get("DSTREAMS_E2E_S3_SECRET_KEY"),
        redis_url=os.environ.get("DSTREAMS_E2E_REDIS_URL"), kind="external")


def _world_from_env(env: dict[str, str]) -> KubeWorld:
    return KubeWorld(
        kubeconfig=env["KUBECONFIG"], kubectl=env["KUBECTL"], helm=env["HELM"],
        runtime_image=env["RUNTIME_IMAGE"], operator_image=env["OPERATOR_IMAGE"],
        s3_endpoint=env.get("S3_ENDPOINT") or None, s3_access_key=env.get("S3_ACCESS_KEY"),
        s3_secret_key=env.get("S3_SECRET_KEY"), redis_url=env.get("REDIS_URL") or None,
        node_name=env.get("NODE_NAME"), cluster_dir=env.get("CLUSTER_DIR"), logs_dir=env.get("LOGS"),
        env=env)


def _healthy(world: KubeWorld) -> bool:
    try:
        return world.kubectl_run("get", "--raw", "/readyz", check=False, timeout=10).returncode == 0 and bool(
            world.kubectl_run("get", "node", world.node_name or "dstreams-node", check=False, timeout=10).returncode == 0)
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def kube() -> KubeWorld:
    if os.environ.get("DSTREAMS_E2E_KUBECONFIG"):
        yield _external_world()
        return

    shared = CACHE / "cluster" / "cluster.env"
    # CI (CI=true) always starts its own world from the checkout under test
    reuse = os.environ.get("DSTREAMS_E2E_REUSE", "0" if os.environ.get("CI") else "1") != "0"
    if reuse and shared.exists():
        world = _world_from_env(read_env(shared))
        if _healthy(world):
            # images may be stale: rebuild them (cached layers make this quick)
            cp = subprocess.run(["bash", str(CLUSTER / "build-images.sh"), "all"], capture_output=True, text=True)
            if cp.returncode != 0:
                pytest.fail(f"building the images failed:\n{cp.stdout[-4000:]}\n{cp.stderr[-4000:]}", pytrace=False)
            yield world
            return

    state = Path(tempfile.mkdtemp(prefix="dstreams-e2e-"))
    # dynamic ports: never collide with a `make cluster-up` world or another run
    env = dict(os.environ, DSTREAMS_CLUSTER_DIR=str(state), DSTREAMS_CACHE=str(CACHE), DSTREAMS_DYNAMIC_PORTS="1")
    venv_py = REPO / ".venv" / "bin" / "python"
    if venv_py.exists():
        env.setdefault("PYTHON", str(venv_py))
    log = state / "up.log"
    started = time.monotonic()
    failure = None
    try:
        with open(log, "w") as out:
            cp = subprocess.run(["bash", str(CLUSTER / "up.sh")], stdout=out, stderr=subprocess.STDOUT,
                                env=env, timeout=SETUP_TIMEOUT)
        if cp.returncode != 0:
            raise WorldError(f"tests/cluster/up.sh exited {cp.returncode}")
        world = _world_from_env(read_env(state / "cluster.env"))
    except (WorldError, subprocess.TimeoutExpired, OSError) as e:
        details = _tail(log, 60)
        for extra in ("build-tools.log", "build-images.log"):
            p = state / "logs" / extra
            if p.exists():
                details += f"\n----- {p} -----\n" + _tail(p, 40)
        _teardown(state, env)
        failure = (f"the e2e test world could not start ({e}); its logs are kept in {CACHE / 'e2e-logs' / 'last'}; "
                   f"start-up log:\n{details}")
    except BaseException:
        _teardown(state, env)
        raise
    if failure:
        pytest.fail(failure, pytrace=False)
    print(f"\n[e2e] test world up in {time.monotonic() - started:.0f}s (state {state})")
    try:
        yield world
    finally:
        _teardown(state, env)


def _teardown(state: Path, env: dict[str, str]) -> None:
    subprocess.run(["bash", str(CLUSTER / "down.sh")], env=env, capture_output=True, timeout=180)
    keep = CACHE / "e2e-logs" / "last"
    shutil.rmtree(keep, ignore_errors=True)
    if (state / "logs").exists():
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(state / "logs", keep, ignore=shutil.ignore_patterns("*.sock"), dirs_exist_ok=True)
        if (state / "up.log").exists():
            shutil.copy(state / "up.log", keep / "up.log")
        if (state / "node" / "logs").exists():  # the pods' container logs
            shutil.copytree(state / "node" / "logs", keep / "containers", dirs_exist_ok=True)
    subprocess.run(["rm", "-rf", str(state)], capture_output=True)


@pytest.fixture
def namespace(kube: KubeWorld):
    """A fresh namespace per test, deleted afterwards (without waiting)."""
    ns = kube.namespace()
    yield ns
    kube.kubectl_run("delete", "namespace", ns, "--wait=false", check=False)
