"""show(), printSchema(), column names and types against PySpark 3.5.9's own output for the same
DataFrames (tests/sql/spark_shapes.py; the golden file was printed by PySpark 3.5.9)."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def cases(text: str) -> dict[str, str]:
    out, name = {}, None
    for line in text.splitlines(keepends=True):
        if line.startswith("=== "):
            name = line[4:].strip()
            out[name] = ""
        elif name is not None:
            out[name] += line
    return out


def test_same_text_as_pyspark():
    golden = cases((HERE / "data" / "pyspark-3.5.9-show.txt").read_text())
    proc = subprocess.run([sys.executable, str(HERE / "spark_shapes.py"), "dstreams"], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, TZ="UTC"))
    assert proc.returncode == 0, proc.stderr
    mine = cases(proc.stdout)
    assert len(golden) >= 30 and list(mine) == list(golden)
    different = {name: (mine[name], golden[name]) for name in golden if mine[name] != golden[name]}
    assert not different, "\n".join(f"--- {n}\nours:\n{a}spark:\n{b}" for n, (a, b) in different.items())
