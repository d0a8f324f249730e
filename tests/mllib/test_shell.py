"""``dstreams shell`` driven through a pseudo-terminal (pexpect), as a user types into it."""
from __future__ import annotations

import os
import sys

import pexpect
import pytest

from dstreams.shell import STOPPED_MESSAGE

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
PROMPT = ">>> "


@pytest.fixture
def shell():
    env = dict(os.environ, PYTHONUNBUFFERED="1", TERM="dumb")
    env["DSTREAMS_CONF_dstreams.ui.enabled"] = "false"  # no web UI port taken by the test
    child = pexpect.spawn(sys.executable, ["-m", "dstreams.cli", "shell", "--master", "local[2]", "--no-ipython",
                                           "--pyspark"], env=env, encoding="utf-8", timeout=60, cwd=ROOT)
    child.expect_exact("Context available as 'sc' (master = local[2]")
    child.expect_exact(PROMPT)
    yield child
    if child.isalive():
        child.terminate(force=True)


_marks = iter(range(1_000_000))


def run(child, line: str) -> str:
    """Run one line; return what it printed (up to a marker it prints last, so that a prompt
    redrawn by a Ctrl-C or a batch's output cannot be mistaken for the end of the line)."""
    n = next(_marks)
    child.sendline(f"{line}; print('<' + 'done {n}>')")   # the echo of the line has no "<done n>"
    child.expect_exact(f"<done {n}>")
    return child.before


def test_shell_has_sc_and_pyspark_names(shell):
    assert "sum: 45" in run(shell, "print('sum:', sc.parallelize(range(10), 2).sum())")
    out = run(shell, "from pyspark.mllib.clustering import StreamingKMeans; print(StreamingKMeans.__module__)")
    assert "dstreams.mllib.clustering" in out
    assert "same: True" in run(shell, "import pyspark; print('same:', pyspark.SparkContext is type(sc))")
    shell.sendeof()
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0


def test_ctrl_c_stops_the_stream_not_the_shell(shell):
    run(shell, "ssc = streamingContext(0.2)")
    run(shell, "ssc.queueStream([], default=sc.parallelize([7])).map(lambda x: x * 6).pprint()")
    shell.sendline("ssc.start()")
    shell.expect_exact("Time: ")        # batches print while the prompt waits
    shell.expect_exact("42")
    shell.sendintr()                    # Ctrl-C at the prompt
    shell.expect_exact(STOPPED_MESSAGE)
    assert "active: None" in run(shell, "print('active:', StreamingContext.getActive())")
    assert "sum: 3" in run(shell, "print('sum:', sc.parallelize([1, 2]).sum())")   # the Context is still up
    # a second stream, and Ctrl-C while the shell blocks in awaitTermination()
    run(shell, "ssc = streamingContext(0.2)")
    run(shell, "ssc.queueStream([], default=sc.parallelize([1])).map(lambda x: x + 100).pprint()")
    run(shell, "ssc.start()")
    shell.sendline("print('blocked ' + 'in await'); ssc.awaitTermination()")
    shell.expect_exact("blocked in await")   # printed only once the line runs
    shell.expect_exact("101")
    shell.sendintr()
    shell.expect_exact(STOPPED_MESSAGE)
    assert "active: None" in run(shell, "print('active:', StreamingContext.getActive())")
    shell.sendintr()                    # no stream running: an ordinary KeyboardInterrupt
    shell.expect_exact("KeyboardInterrupt")
    assert "still here" in run(shell, "print('still ' + 'here')")
    shell.sendline("exit()")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0


def test_bad_master_is_rejected_before_the_shell_starts():
    child = pexpect.spawn(sys.executable, ["-m", "dstreams.cli", "shell", "--master", "lokal[2]"], encoding="utf-8",
                          timeout=60, cwd=ROOT)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2 and "lokal[2]" in child.before and PROMPT not in child.before


@pytest.mark.parametrize("term", ["xterm", "dumb"])
def test_ipython_shell_ctrl_c_stops_the_stream(term):
    """With IPython installed it is the shell; Ctrl-C stops a stream both at the prompt (a key
    binding, or the exception of a dumb terminal) and while a cell blocks in awaitTermination."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", TERM=term)
    env["DSTREAMS_CONF_dstreams.ui.enabled"] = "false"
    child = pexpect.spawn(sys.executable, ["-m", "dstreams.cli", "shell", "--master", "local[2]"], env=env,
                          encoding="utf-8", timeout=60, cwd=ROOT, dimensions=(40, 200))
    try:
        child.expect_exact("Context available as 'sc'")
        child.expect(r"In \[")
        child.sendline("sc.parallelize(range(10)).sum() + 1000")
        child.expect_exact("1045")
        child.sendline("ssc = streamingContext(0.2)")
        child.sendline("ssc.queueStream([], default=sc.parallelize([7])).map(lambda x: x * 6).pprint()")
        child.sendline("ssc.start()")
        child.expect_exact("42")
        child.sendintr()                                   # at the prompt
        child.expect_exact(STOPPED_MESSAGE)
        child.sendline("print('active:', StreamingContext.getActive())")
        child.expect_exact("active: None")
        child.sendline("ssc = streamingContext(0.2)")
        child.sendline("ssc.queueStream([], default=sc.parallelize([1])).map(lambda x: x + 100).pprint()")
        child.sendline("ssc.start()")
        child.expect_exact("101")
        child.sendline("print('blocked ' + 'in await'); ssc.awaitTermination()")
        child.expect_exact("blocked in await")
        child.sendintr()                                   # while the cell runs
        child.expect_exact(STOPPED_MESSAGE)
        child.sendline("print('active:', StreamingContext.getActive())")
        child.expect_exact("active: None")
        child.sendline("exit()")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    finally:
        if child.isalive():
            child.terminate(force=True)
