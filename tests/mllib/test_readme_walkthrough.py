"""The README's "Machine learning on streams" program runs exactly as written."""
from __future__ import annotations

import os
import re
import subprocess
import sys

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def test_readme_walkthrough_runs_as_written(tmp_path):
    text = open(README).read()
    section = text[text.index("## Machine learning on streams"):]
    program = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "ml.py").write_text(program)
    proc = subprocess.run([sys.executable, "ml.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "offline [[0.0, 0.5], [9.0, 9.5]]" in out
    assert "('offline', True)" in out and "('offline', False)" in out
    assert out.rstrip().endswith("online [[0.75, 0.5], [9.333, 9.667]]"), out
