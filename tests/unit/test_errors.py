"""Errors say what went wrong and where: the unpicklable variable, the missing path, the master forms."""
from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from dstreams import (Context, ContextStoppedError, InputPathNotFoundError, MasterURLError,
                      NotSerializableError)
from dstreams.master import parse_master

MODULE_LOCK = threading.Lock()


class Holder:
    def __init__(self) -> None:
        self.factor = 2
        self.lock = threading.Lock()

    def scale(self, x: int) -> int:
        return x * self.factor


# -- non-picklable closures -------------------------------------------------------------------------
def test_closure_variable_is_named(ctx: Context) -> None:
    conn_lock = threading.Lock()
    with pytest.raises(NotSerializableError) as info:
        ctx.parallelize([1, 2]).map(lambda x: (x, conn_lock))
    msg = str(info.value)
    assert "'conn_lock'" in msg
    assert "_thread.lock" in msg
    assert "test_errors.py" in msg  # where the function is defined
    assert isinstance(info.value, TypeError)


def test_global_variable_is_named(ctx: Context) -> None:
    with pytest.raises(NotSerializableError, match="'MODULE_LOCK'"):
        ctx.parallelize([1]).filter(lambda x: MODULE_LOCK.locked() or x > 0)


def test_attribute_of_a_captured_object_is_named(ctx: Context) -> None:
    holder = Holder()
    with pytest.raises(NotSerializableError) as info:
        ctx.parallelize([1]).map(lambda x: holder.scale(x))
    msg = str(info.value)
    assert "holder" in msg and "'lock'" in msg


def test_bound_method_of_an_unpicklable_object_is_named(ctx: Context) -> None:
    holder = Holder()
    with pytest.raises(NotSerializableError, match="lock"):
        ctx.parallelize([1]).map(holder.scale)


def test_actions_and_keyed_operators_check_their_functions(ctx: Context) -> None:
    sock = socket.socket()
    try:
        rdd = ctx.parallelize([(1, 2)])
        with pytest.raises(NotSerializableError, match="'sock'"):
            rdd.foreach(lambda x: sock.fileno())
        with pytest.raises(NotSerializableError, match="'sock'"):
            rdd.reduceByKey(lambda a, b: sock and a + b)
        with pytest.raises(NotSerializableError, match="'sock'"):
            rdd.reduce(lambda a, b: sock and a)
    finally:
        sock.close()


def test_referencing_the_context_in_a_task_is_refused(ctx: Context) -> None:
    with pytest.raises(NotSerializableError, match="Context"):
        ctx.parallelize([1]).map(lambda x: ctx.defaultParallelism)


def test_picklable_closures_pass(ctx: Context) -> None:
    holder_state = {"factor": 3}
    assert ctx.parallelize([1, 2]).map(lambda x: x * holder_state["factor"]).collect() == [3, 6]


# -- bad paths -----------------------------------------------------------------------------------------
def test_missing_text_file_names_the_path(ctx: Context, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "input.txt"
    with pytest.raises(InputPathNotFoundError) as info:
        ctx.textFile(str(missing)).count()
    assert str(missing) in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_comma_list_names_the_missing_member(ctx: Context, tmp_path: Path) -> None:
    present = tmp_path / "present.txt"
    present.write_text("x\n")
    with pytest.raises(InputPathNotFoundError, match="absent.txt"):
        ctx.textFile(f"{present},{tmp_path / 'absent.txt'}").collect()


def test_glob_matching_nothing_names_the_pattern(ctx: Context, tmp_path: Path) -> None:
    with pytest.raises(InputPathNotFoundError, match=r"\*\.parquet"):
        ctx.textFile(str(tmp_path / "*.parquet")).collect()


def test_missing_whole_text_files_dir_names_the_path(ctx: Context, tmp_path: Path) -> None:
    with pytest.raises(InputPathNotFoundError, match="missing-dir"):
        ctx.wholeTextFiles(str(tmp_path / "missing-dir")).collect()


# -- master strings -----------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["spark://host:7077", "local[two]", "lokal[2]", "yarn", "local[0]", "local-cluster[0]"])
def test_bad_master_lists_the_accepted_forms(bad: str) -> None:
    with pytest.raises(MasterURLError) as info:
        Context(bad, "bad-master")
    msg = str(info.value)
    assert repr(bad) in msg
    if bad not in ("local[0]", "local-cluster[0]"):
        for form in ("local[N]", "local[*]", "local-cluster[N]", "redis://"):
            assert form in msg
    assert isinstance(info.value, ValueError)
    assert Context._active is None  # nothing was left half-started



@pytest.mark.parametrize("bad,problem", [
    ("", "empty"),
    ("   ", "empty"),
    ("local[99999]", "99999 threads is more than the 4096"),
    ("local[4097]", "4097 threads is more than the 4096"),
    ("local-processes[513]", "513 workers is more than the 512"),
    ("local-cluster[99999]", "99999 executors is more than the 512"),
    ("local[2, 0]", "maxFailures must be at least 1"),
])
def test_empty_and_oversized_masters_are_rejected_naming_the_problem(bad: str, problem: str) -> None:
    for make in (lambda: Context(bad, "bad-master"), lambda: Context(conf={"spark.master": bad})):
        with pytest.raises(MasterURLError) as info:
            make()
        msg = str(info.value)
        assert problem in msg and repr(bad) in msg
        for form in ("local[N]", "local[*]", "local-processes[N]", "local-cluster[N]", "redis://"):
            assert form in msg
        assert Context._active is None


@pytest.mark.parametrize("form,cap", [("local[{}]", 4096), ("local-processes[{}]", 512), ("local-cluster[{}]", 512)])
def test_local_masters_are_capped_at_their_limit(form: str, cap: int) -> None:
    assert parse_master(form.format(cap)).cores == cap
    with pytest.raises(MasterURLError, match=f"{cap + 1} .* is more than the {cap}"):
        parse_master(form.format(cap + 1))

@pytest.mark.parametrize("url,kind,cores,max_failures", [
    ("local", "local", 1, None),
    ("local[3]", "local", 3, None),
    ("local[ 2 , 5 ]", "local", 2, 5),
    ("local-cluster[2]", "local-cluster", 2, None),
    ("redis://localhost:6379/0", "redis", 0, None),
])
def test_accepted_masters(url: str, kind: str, cores: int, max_failures: int | None) -> None:
    m = parse_master(url)
    assert (m.kind, m.cores, m.max_failures) == (kind, cores, max_failures)


def test_master_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSTREAMS_MASTER", "local[3]")
    with Context(appName="env") as c:
        assert c.master == "local[3]" and c.defaultParallelism == 3
    monkeypatch.setenv("DSTREAMS_MASTER", "nonsense")
    with pytest.raises(MasterURLError, match="nonsense"):
        Context()


def test_using_a_stopped_context(tmp_path: Path) -> None:
    c = Context("local[1]")
    c.stop()
    with pytest.raises(ContextStoppedError, match="stopped"):
        c.textFile(str(tmp_path))
