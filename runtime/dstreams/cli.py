"""The ``dstreams`` command: ``dstreams run app.py [--master M] [-- args]`` and friends."""
from __future__ import annotations

import argparse
import logging
import os
import runpy
import signal
import sys
import threading
import time

from .config import set_launch_settings
from .protocol import DEFAULT_HASH_SEED
from .master import parse_master
from .errors import MasterURLError

__all__ = ["main"]


def _graceful_stop_on_sigterm() -> None:
    """SIGTERM (a pod being deleted) stops an active StreamingContext gracefully, so its last
    batches finish and a final checkpoint is written; without one it exits with status 143."""

    def stop_streaming(ssc) -> None:
        try:
            ssc.stop(stopSparkContext=True, stopGraceFully=True)
        except Exception:  # noqa: BLE001
            logging.getLogger("dstreams").exception("graceful stop failed")

    def on_term(signum: int, frame) -> None:
        from .streaming.context import StreamingContext
        ssc = StreamingContext.getActive()
        if ssc is None:
            raise SystemExit(143)
        logging.getLogger("dstreams").warning("SIGTERM: stopping the streaming context gracefully")
        t = threading.Thread(target=stop_streaming, args=(ssc,), name="dstreams-sigterm", daemon=True)
        ssc._stopper = t  # awaitTermination joins it, so the process exits only once stopped
        t.start()

    signal.signal(signal.SIGTERM, on_term)


def _run(ns: argparse.Namespace) -> int:
    if ns.master is not None:
        try:
            parse_master(ns.master)
        except MasterURLError as exc:
            print(f"dstreams: {exc}", file=sys.stderr)
            return 2
    launch: dict[str, str] = {}
    if "DSTREAMS_CONF_dstreams.ui.enabled" not in os.environ:
        launch["dstreams.ui.enabled"] = "true"  # apps run by the CLI get the UI
    if ns.master is not None:
        launch["dstreams.master"] = ns.master
    if ns.name:
        launch["dstreams.app.name"] = ns.name
    if ns.app_id:
        launch["dstreams.app.id"] = ns.app_id
    for item in ns.conf or []:
        key, _, value = item.partition("=")
        if not key or not _:
            print(f"dstreams: --conf expects KEY=VALUE, got {item!r}", file=sys.stderr)
            return 2
        launch[key] = value
    app, module = ns.app, ns.module
    if bool(app) == bool(module):
        print("dstreams: give either an application file or -m MODULE", file=sys.stderr)
        return 2
    if app and not os.path.exists(app):
        print(f"dstreams: application file not found: {app}", file=sys.stderr)
        return 2
    args = list(ns.args)
    set_launch_settings(launch)
    if ns.pyspark:
        from .compat import install
        install()
    try:
        if module:
            sys.argv = [module, *args]
            sys.path.insert(0, os.getcwd())
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            sys.argv = [app, *args]
            sys.path.insert(0, os.path.dirname(os.path.abspath(app)))
            runpy.run_path(app, run_name="__main__")
    except KeyboardInterrupt:
        return 130
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        set_launch_settings({})
    return 0


def _status(master: str, app_id: str) -> int:
    """Print the progress document and the live executors of an application as JSON."""
    import json
    import pickle

    from .protocol import Keys
    from .executor.redisconn import RedisUnavailableError, connect
    try:
        r = connect(master)
    except RedisUnavailableError as exc:
        print(f"dstreams status: {exc}", file=sys.stderr)
        return 2
    keys = Keys(app_id)
    raw = r.get(keys.progress)
    ids = sorted(i.decode() for i in r.smembers(keys.executors))
    beats = r.mget([keys.heartbeat(i) for i in ids]) if ids else []
    executors = [vars(pickle.loads(b)) for b in beats if b is not None]
    doc = {"appId": app_id, "driver": bool(r.exists(keys.driver)),
           "progress": json.loads(raw) if raw else None, "executors": executors}
    print(json.dumps(doc, indent=2))
    return 0 if raw or ids else 1


class JsonFormatter(logging.Formatter):
    """One JSON object per log line (``--log-format json``), for log collectors in clusters."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        import json
        doc = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
               "level": record.levelname, "logger": record.name, "msg": record.getMessage()}
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc)


def _configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def main(argv: list[str] | None = None) -> int:
    """Run the ``dstreams`` command with ``argv`` (default sys.argv); return the exit code."""
    from_command_line = argv is None
    parser = argparse.ArgumentParser(
        prog="dstreams", description="Run DStream programs.",
        epilog="Application arguments go after '--': dstreams run app.py --master local[4] -- --batches 5")
    parser.add_argument("--log-level", default=os.environ.get("DSTREAMS_LOG_LEVEL", "WARNING"),
                        help="log level (default WARNING, or $DSTREAMS_LOG_LEVEL)")
    parser.add_argument("--log-format", choices=["text", "json"], default=os.environ.get("DSTREAMS_LOG_FORMAT", "text"),
                        help="text lines or one JSON object per line (default text, or $DSTREAMS_LOG_FORMAT)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an application file (as __main__)")
    run.add_argument("app", nargs="?", help="the Python file to run")
    run.add_argument("-m", dest="module", help="run a module of the image/environment instead of a file")
    run.add_argument("--master", help="local[N], local[*], local-cluster[N] or redis://host:port/db")
    run.add_argument("--name", help="application name")
    run.add_argument("--conf", action="append", metavar="KEY=VALUE", help="configuration entry")
    run.add_argument("--pyspark", action="store_true",
                     help="run an unmodified PySpark program: `import pyspark...` resolves to dstreams")
    run.set_defaults(app_id=None)
    drv = sub.add_parser("driver", help="run an application file as the driver of a cluster app")
    drv.add_argument("app", nargs="?", help="the Python file to run")
    drv.add_argument("-m", dest="module", help="run a module of the image/environment instead of a file")
    drv.add_argument("--master", required=True, help="redis://host:port/db (or local-cluster[N])")
    drv.add_argument("--app-id", help="application id shared with the executors (default: generated)")
    drv.add_argument("--name", help="application name")
    drv.add_argument("--conf", action="append", metavar="KEY=VALUE", help="configuration entry")
    drv.add_argument("--pyspark", action="store_true",
                     help="run an unmodified PySpark program: `import pyspark...` resolves to dstreams")
    ex = sub.add_parser("executor", help="run an executor serving one application")
    ex.add_argument("--master", required=True, help="redis://host:port/db")
    ex.add_argument("--app-id", required=True, help="the application id of the driver")
    ex.add_argument("--executor-id", help="executor id (default: host-pid-random)")
    ex.add_argument("--cores", type=int, default=int(os.environ.get("DSTREAMS_EXECUTOR_CORES", "1")),
                    help="tasks run at once (default 1: one Python process per core scales best)")
    sh = sub.add_parser("shell", help="an interactive Python shell with a Context 'sc' (like pyspark)")
    sh.add_argument("--master", help="local[N], local[*], local-cluster[N] or redis://host:port/db")
    sh.add_argument("--pyspark", action="store_true", help="make the pyspark module names resolve to dstreams")
    sh.add_argument("--no-ipython", dest="ipython", action="store_false", default=None,
                    help="the standard Python REPL even when IPython is installed")
    argv = list(sys.argv[1:] if argv is None else argv)
    app_args: list[str] = []
    if "--" in argv:  # everything after "--" belongs to the application
        i = argv.index("--")
        argv, app_args = argv[:i], argv[i + 1:]
    st = sub.add_parser("status", help="print a cluster application's progress and executors (from Redis)")
    st.add_argument("--master", required=True, help="redis://host:port/db of the application")
    st.add_argument("--app-id", required=True, help="the application id")
    ns, extra = parser.parse_known_args(argv)
    if extra and ns.command not in ("run", "driver"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    ns.args = extra + app_args
    _configure_logging(ns.log_level, ns.log_format)
    if ns.command == "run":
        return _run(ns)
    if ns.command == "driver":
        _graceful_stop_on_sigterm()
        return _run(ns)
    if ns.command == "shell":
        if ns.master:
            try:
                parse_master(ns.master)
            except MasterURLError as exc:
                print(f"dstreams: {exc}", file=sys.stderr)
                return 2
        from .shell import main as shell_main
        return shell_main(ns.master, ns.pyspark, ns.ipython)
    if ns.command == "status":
        return _status(ns.master, ns.app_id)
    if ns.command == "executor":
        if not os.environ.get("PYTHONHASHSEED", "").isdigit() and from_command_line:
            # keys must hash alike in every executor (PySpark fixes its workers' seed too): run
            # again with the seed the application's drivers give their executors
            env = dict(os.environ, PYTHONHASHSEED=DEFAULT_HASH_SEED)
            os.execve(sys.executable, [sys.executable, "-m", "dstreams.cli", *sys.argv[1:]], env)
        from .executor.redisconn import RedisUnavailableError
        from .executor.worker import main as executor_main
        try:
            return executor_main(ns.master, ns.app_id, ns.executor_id, ns.cores)
        except RedisUnavailableError as exc:
            print(f"dstreams executor: {exc}", file=sys.stderr)
            return 2
    parser.error(f"unknown command {ns.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
