"""User code that would end a partition early or end the process fails its task instead, on
every master: StopIteration inside map/filter/flatMap, sys.exit() in a task."""
from __future__ import annotations

import sys

import pytest

from dstreams import Context, JobAbortedError
from dstreams.errors import TaskExitError, UserStopIterationError

MASTERS = ["local[2]", "local-processes[2]"]


@pytest.mark.parametrize("master", MASTERS)
def test_stopiteration_from_user_code_fails_the_task(master: str) -> None:
    with Context(master, "stopiteration", conf={"dstreams.task.maxFailures": 2}) as ctx:
        rdd = ctx.parallelize(range(6), 1)
        with pytest.raises(UserStopIterationError, match="Caught StopIteration thrown from user's code"):
            rdd.map(lambda x: next(iter([])) if x == 2 else x).collect()
        with pytest.raises(UserStopIterationError):
            rdd.filter(lambda x: next(iter([])) if x == 3 else True).count()
        with pytest.raises(UserStopIterationError):
            rdd.flatMap(lambda x: [next(iter([]))] if x == 4 else [x]).collect()
        assert rdd.map(lambda x: x + 1).collect() == [1, 2, 3, 4, 5, 6]  # no guard, same result


@pytest.mark.parametrize("master", MASTERS)
def test_sys_exit_in_a_task_is_a_task_failure(master: str) -> None:
    with Context(master, "sys-exit", conf={"dstreams.task.maxFailures": 2}) as ctx:
        with pytest.raises(TaskExitError, match=r"sys.exit\(3\)"):
            ctx.parallelize(range(4), 2).foreach(lambda x: sys.exit(3) if x == 1 else None)
        assert ctx.parallelize(range(4), 2).sum() == 6  # the Context still works


def test_errors_are_named() -> None:
    assert issubclass(UserStopIterationError, RuntimeError) and not issubclass(TaskExitError, JobAbortedError)
