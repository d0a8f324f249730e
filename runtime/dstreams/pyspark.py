"""``python -m dstreams.pyspark app.py [args]``: run an unmodified PySpark program on dstreams
(the same as ``dstreams run --pyspark app.py -- args``)."""
from __future__ import annotations

import sys

from .cli import main as _cli_main

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run ``argv`` (``app.py [args...]``) with PySpark's module names; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m dstreams.pyspark app.py [args...]", file=sys.stderr)
        return 2
    return _cli_main(["run", "--pyspark", args[0], "--", *args[1:]])


if __name__ == "__main__":
    sys.exit(main())
