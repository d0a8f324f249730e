"""Real servers for integration tests, started on loopback ports and stopped afterwards.

Nothing here mocks: ``RedisServer`` runs Debian's redis-server. A missing binary fails the
test with the reason and the install command (tests/setup-system.sh installs it)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile

import pytest

from dstreams.testing import wait_until  # noqa: F401  (the one wait_until; tests import it from here too)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server without persistence on a free loopback port."""

    def __init__(self, port: int | None = None, password: str | None = None) -> None:
        self.password = password
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.fail("redis-server is not installed: run `bash tests/setup-system.sh` "
                        "(apt-get install redis-server)", pytrace=False)
        self.exe = exe
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="dstreams-test-redis-")
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = os.path.join(self.dir, "redis.log")
        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--logfile", log, *(["--requirepass", self.password] if self.password else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2, password=self.password)

        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"redis-server exited: {open(log).read()[-2000:]}")
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_until(up, 10, f"redis-server on port {self.port}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self) -> None:
        """Kill and start again on the same port, losing every key (no persistence)."""
        self.kill()
        self.start()

    def client(self):
        import redis
        return redis.Redis(port=self.port, password=self.password)

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def minio_binary() -> str:
    """Return the path of the project's MinIO build (built once by tests/cluster/build-tools.sh)."""
    script = os.path.join(REPO, "tests", "cluster", "build-tools.sh")
    build = subprocess.run(["bash", script, "minio"], capture_output=True, text=True)
    if build.returncode != 0:
        pytest.fail(f"building MinIO failed:\n{build.stdout[-2000:]}\n{build.stderr[-4000:]}", pytrace=False)
    env = subprocess.run(["bash", script, "--print-env"], capture_output=True, text=True, check=True).stdout
    path = dict(line.split("=", 1) for line in env.split() if "=" in line)["MINIO"]
    if not os.access(path, os.X_OK):
        pytest.fail(f"MinIO binary missing at {path} after the build", pytrace=False)
    return path


class S3Server:
    """A real S3-compatible server (MinIO) on a free loopback port, with a fresh data dir."""

    access_key = "dstreams-test"
    secret_key = "dstreams-test-secret"

    def __init__(self) -> None:
        self.binary = minio_binary()
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="dstreams-test-minio-")
        self.log = os.path.join(self.dir, "minio.log")
        env = dict(os.environ, MINIO_ROOT_USER=self.access_key, MINIO_ROOT_PASSWORD=self.secret_key,
                   MINIO_BROWSER="off", MINIO_UPDATE="off")
        self.proc = subprocess.Popen(
            [self.binary, "server", os.path.join(self.dir, "data"), "--address", f"127.0.0.1:{self.port}",
             "--console-address", f"127.0.0.1:{free_port()}", "--quiet"],
            stdout=open(self.log, "wb"), stderr=subprocess.STDOUT, env=env)
        import urllib.request

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"minio exited: {open(self.log).read()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/minio/health/ready", timeout=1) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_until(ready, 60, f"MinIO on port {self.port}", interval=0.1)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The standard AWS variables a dstreams process uses to reach this server."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_ENDPOINT_URL": self.endpoint, "AWS_DEFAULT_REGION": "us-east-1"}

    def make_bucket(self, name: str) -> None:
        import s3fs
        fs = s3fs.S3FileSystem(key=self.access_key, secret=self.secret_key,
                               client_kwargs={"endpoint_url": self.endpoint}, skip_instance_cache=True)
        fs.mkdir(name)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def postgres_bindir() -> str:
    """Return the directory of PostgreSQL's server binaries (Debian keeps them off PATH, in
    /usr/lib/postgresql/<version>/bin); fail with the install command when there is none."""
    import glob
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    exe = shutil.which("initdb")
    if exe:
        return os.path.dirname(os.path.realpath(exe))
    pytest.fail("PostgreSQL is not installed: run `bash tests/setup-system.sh` (apt-get install postgresql)",
                pytrace=False)


class PostgresServer:
    """A private PostgreSQL cluster: ``initdb`` into a fresh directory, then ``postgres`` on a free
    loopback port (trust authentication). ``fsync=off`` costs nothing a killed server process
    would keep (the OS still has the data); commits stay synchronous, so a server killed with
    SIGKILL keeps every committed transaction, as a real one does. As root
    it runs as the ``postgres`` user (the server refuses to run as root)."""

    def __init__(self) -> None:
        import pwd
        self.bindir = postgres_bindir()
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="dstreams-test-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        self.run_as: dict = {}
        if os.getuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail("running as root needs the 'postgres' user to run the server "
                            "(Debian's postgresql package creates it: bash tests/setup-system.sh)", pytrace=False)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.run_as = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        init = subprocess.run([os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "postgres",
                               "--auth=trust", "-E", "UTF8", "--no-instructions"],
                              capture_output=True, text=True, **self.run_as)
        if init.returncode != 0:
            pytest.fail(f"initdb failed:\n{init.stdout[-2000:]}\n{init.stderr[-2000:]}", pytrace=False)
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [os.path.join(self.bindir, "postgres"), "-D", self.data, "-h", "127.0.0.1", "-p", str(self.port),
             "-k", self.dir, "-c", "fsync=off", "-c", "full_page_writes=off",
             "-c", "max_connections=50"],
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, **self.run_as)
        import psycopg

        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"postgres exited: {open(self.log).read()[-2000:]}")
            try:
                with psycopg.connect(self.url, connect_timeout=1) as c:
                    c.execute("SELECT 1")
                return True
            except psycopg.OperationalError:
                return False

        wait_until(up, 60, f"postgres on port {self.port}", interval=0.1)

    def connect(self):
        import psycopg
        return psycopg.connect(self.url, autocommit=True)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.connect() as c:
            return c.execute(sql, params).fetchall()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown: disconnects clients
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
