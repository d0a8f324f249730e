"""A task that kills its executor (os._exit in user code) fails its job after the usual number
of attempts, with the cause, instead of being retried without end."""
from __future__ import annotations

import os
import time

import pytest

from dstreams import Context
from dstreams.errors import TaskLostError

pytestmark = pytest.mark.integration


def _exit_on_three(x):
    if x == 3:
        os._exit(7)
    return x


@pytest.mark.parametrize("master", ["local-processes[2]", "local-cluster[2]"])
def test_a_task_that_kills_its_executor_fails_the_job(master):
    conf = {"dstreams.executor.heartbeatTimeout": "1.5s"}
    with Context(master, "suicidal-task", conf=conf) as ctx:
        started = time.monotonic()
        with pytest.raises(TaskLostError, match="lost 4 times in a row: the task may be killing it"):
            ctx.parallelize(range(6), 3).map(_exit_on_three).collect()
        assert time.monotonic() - started < 120
        assert ctx.parallelize(range(6), 3).sum() == 15  # replacements took over
