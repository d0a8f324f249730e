"""The ``dstreams`` command: ``dstreams run app.py [--master M] [-- args]`` and friends."""
from __future__ import annotations

import argparse
import logging
import os
import runpy
import sys

from .master import parse_master
from .errors import MasterURLError

__all__ = ["main"]


def _run(ns: argparse.Namespace) -> int:
    if ns.master:
        try:
            parse_master(ns.master)
        except MasterURLError as exc:
            print(f"dstreams: {exc}", file=sys.stderr)
            return 2
        os.environ["DSTREAMS_MASTER"] = ns.master
    if ns.name:
        os.environ["DSTREAMS_APP_NAME"] = ns.name
    for item in ns.conf or []:
        key, _, value = item.partition("=")
        os.environ["DSTREAMS_CONF_" + key] = value
    app = ns.app
    if not os.path.exists(app):
        print(f"dstreams: application file not found: {app}", file=sys.stderr)
        return 2
    args = list(ns.args)
    if args and args[0] == "--":
        args = args[1:]
    sys.argv = [app, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(app)))
    try:
        runpy.run_path(app, run_name="__main__")
    except KeyboardInterrupt:
        return 130
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dstreams", description="Run DStream programs.")
    parser.add_argument("--log-level", default=os.environ.get("DSTREAMS_LOG_LEVEL", "WARNING"),
                        help="log level of dstreams' own messages (default WARNING)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an application file (as __main__)")
    run.add_argument("app", help="the Python file to run")
    run.add_argument("--master", help="local[N], local[*], local-cluster[N] or redis://host:port/db")
    run.add_argument("--name", help="application name")
    run.add_argument("--conf", action="append", metavar="KEY=VALUE", help="configuration entry")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the application (after --)")
    ns = parser.parse_args(argv)
    logging.basicConfig(level=ns.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if ns.command == "run":
        return _run(ns)
    parser.error(f"unknown command {ns.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
