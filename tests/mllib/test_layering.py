"""dstreams.mllib sits on top of the engine: the engine never imports it (nor numpy), and
without numpy importing it fails with NumpyMissingError naming the extra to install."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_engine_does_not_import_mllib():
    for path in (ROOT / "runtime" / "dstreams").rglob("*.py"):
        rel = path.relative_to(ROOT / "runtime" / "dstreams")
        if rel.parts[0] == "mllib" or rel.name in ("shell.py", "compat.py"):  # compat: a name table
            continue
        assert not re.search(r"(dstreams\.mllib|from \.+mllib|import numpy)", path.read_text()), rel


def test_core_imports_without_numpy_and_mllib_says_what_to_install():
    code = (
        "import sys; sys.modules['numpy'] = None\n"          # as if numpy were not installed
        "import dstreams, dstreams.streaming\n"
        "try:\n"
        "    from dstreams.mllib.clustering import StreamingKMeans\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert "NumpyMissingError" in out.stdout and "pip install 'dstreams[ml]'" in out.stdout
