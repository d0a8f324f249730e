"""``python -m dstreams_operator [kopf run options]``: run the operator with kopf.

Defaults: ``--standalone`` (one replica, no peering objects) and ``--all-namespaces`` unless
``--namespace`` is given, e.g. ``python -m dstreams_operator --namespace team-a --namespace team-b
--liveness http://0.0.0.0:8080/healthz``.
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the operator (kopf, standalone) with these arguments; return the exit code."""
    from kopf.cli import main as kopf_main
    args = list(sys.argv[1:] if argv is None else argv)
    if not any(a in ("-n", "--namespace", "-A", "--all-namespaces") or a.startswith("--namespace=")
               for a in args):
        args.append("--all-namespaces")
    if "--standalone" not in args and "--peering" not in args:
        args.append("--standalone")
    try:
        kopf_main.main(args=["run", "-m", "dstreams_operator.handlers", *args], prog_name="dstreams-operator")
    except SystemExit as e:
        return int(e.code or 0) if not isinstance(e.code, str) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
