"""The README's "SQL on streams" walkthrough runs exactly as written and prints what it shows."""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## SQL on streams")
    return text[start:text.index("\n## ", start + 1)]


def test_readme_sql_walkthrough_prints_what_it_shows(tmp_path):
    blocks = re.findall(r"```(\w*)\n(.*?)```", section(), re.S)
    program = blocks[0][1]
    shown = blocks[1][1]
    assert blocks[0][0] == "python" and "spark.sql(" in program
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == shown


@pytest.mark.integration
def test_readme_sink_snippet_writes_batches_once(ctx, postgres, pg_table):
    """The sink snippet, run on a stream of two batches against the test database."""
    from tests.sql.kit import BatchRunner
    snippet = re.findall(r"```python\n(.*?)```", section(), re.S)[1]
    snippet = snippet.replace("postgresql://app@db:5432/metrics", postgres.url).replace('"word_counts"', repr(pg_table))
    runner = BatchRunner(ctx)
    try:
        pairs = runner.ssc.queueStream([[("a", 1), ("b", 2), ("a", 3)], [("b", 1)]])
        exec(compile(snippet, "README.md", "exec"), {"pairs": pairs})
        runner.run(2)
    finally:
        runner.stop()
    rows = postgres.query(f'SELECT word, n FROM "{pg_table}" ORDER BY batch_time, word')
    assert rows == [("a", 4), ("b", 2), ("b", 1)]
