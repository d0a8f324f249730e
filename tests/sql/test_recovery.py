"""Exactly-once into PostgreSQL across driver crashes: a driver killed with SIGKILL (right after
a batch committed, and at an arbitrary moment) and restarted with getOrCreate leaves the table
with exactly the rows of an undisturbed run, and running totals in Redis count the re-run batch
once; a database that goes away fails the batch with a clear error and loses nothing."""
from __future__ import annotations

import os
import pathlib
import re
import signal
import subprocess
import sys
from collections import Counter

import pytest

from tests.servers import wait_until

pytestmark = pytest.mark.integration

DRIVER = pathlib.Path(__file__).with_name("pg_wordcount_driver.py")
ROOT = pathlib.Path(__file__).resolve().parents[2]
FILES = ["apple pear apple", "fig pear", "kiwi apple kiwi", "plum", "fig fig apple"]


def expected_rows(n: int) -> list[tuple[str, int]]:
    """The rows an undisturbed run writes for the first n files: one batch per file."""
    return sorted((w, c) for text in FILES[:n] for w, c in Counter(text.split()).items())


class Driver:
    def __init__(self, tmp_path, name: str, url: str, table: str, die: str = "", redis_url: str = "") -> None:
        self.log = tmp_path / f"{name}.log"
        env = dict(os.environ, DSTREAMS_MASTER="local[2]", PYTHONUNBUFFERED="1",
                   PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        cmd = [sys.executable, str(DRIVER), "--checkpoint", str(tmp_path / "ck"), "--input", str(tmp_path / "in"),
               "--url", url, "--table", table]
        if die:
            cmd += ["--die-after-commit", die]
        if redis_url:
            cmd += ["--redis-url", redis_url]
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "w"), stderr=subprocess.STDOUT, env=env, cwd=tmp_path)

    def text(self) -> str:
        return self.log.read_text()

    def wait_started(self) -> None:
        wait_until(lambda: self._alive() and "started" in self.text(), 60, f"the driver to start ({self.log})", 0.05)

    def _alive(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"the driver exited with {self.proc.returncode}:\n{self.text()}")
        return True

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def move_in(tmp_path, i: int) -> None:
    staged = tmp_path / "staging" / f"f{i}.txt"
    staged.write_text(FILES[i] + "\n")
    os.replace(staged, tmp_path / "in" / f"f{i}.txt")


def table_rows(postgres, table) -> list[tuple[str, int]]:
    try:
        return sorted(postgres.query(f'SELECT word, n FROM "{table}"'))
    except Exception:  # noqa: BLE001 - the table is made by the first batch
        return []


def wait_rows(postgres, table, n: int, driver: Driver | None = None) -> None:
    want = expected_rows(n)
    wait_until(lambda: (driver is None or driver._alive()) and table_rows(postgres, table) == want, 90,
               f"the rows of {n} files in {table}", 0.05)


@pytest.fixture
def dirs(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "staging").mkdir()
    return tmp_path


def test_sigkill_after_commit_then_getorcreate_writes_each_batch_once(dirs, postgres, pg_table):
    die = str(dirs / "die")
    a = Driver(dirs, "first", postgres.url, pg_table, die)
    try:
        a.wait_started()
        move_in(dirs, 0)
        wait_rows(postgres, pg_table, 1, a)
        open(die, "w").close()
        move_in(dirs, 1)                      # committed, then the driver dies before the batch completes
        a.proc.wait(60)
    finally:
        if a.proc.poll() is None:
            a.proc.kill()
    assert a.proc.returncode == -signal.SIGKILL, a.text()
    killed_batch = re.findall(r"batch (\d+) written=True", a.text())[-1]
    assert table_rows(postgres, pg_table) == expected_rows(2)
    move_in(dirs, 2)                          # arrives while no driver runs
    b = Driver(dirs, "second", postgres.url, pg_table)
    try:
        b.wait_started()
        wait_rows(postgres, pg_table, 3, b)
        move_in(dirs, 3)
        wait_rows(postgres, pg_table, 4, b)
    finally:
        b.stop()
    # the batch that committed before the kill ran again and wrote nothing
    assert f"batch {killed_batch} written=False" in b.text(), b.text()
    assert table_rows(postgres, pg_table) == expected_rows(4)
    per_batch = postgres.query(f'SELECT batch_time, count(*), count(DISTINCT word) FROM "{pg_table}" GROUP BY 1')
    assert len(per_batch) == 4 and all(n == d for _, n, d in per_batch)  # no word twice in a batch


def test_sigkill_at_any_moment_loses_and_duplicates_nothing(dirs, postgres, pg_table):
    a = Driver(dirs, "first", postgres.url, pg_table)
    try:
        a.wait_started()
        for i in range(3):
            move_in(dirs, i)
        # kill as soon as the first batch is in, whatever the driver is doing then
        wait_until(lambda: a._alive() and table_rows(postgres, pg_table), 90, "the first rows", 0.01)
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(30)
    finally:
        if a.proc.poll() is None:
            a.proc.kill()
    b = Driver(dirs, "second", postgres.url, pg_table)
    try:
        b.wait_started()
        move_in(dirs, 3)
        # files 0-2 may share batches in this run: compare word totals and uniqueness per batch
        want = Counter()
        for text in FILES[:4]:
            want.update(text.split())

        def totals():
            rows = postgres.query(f'SELECT word, sum(n)::int FROM "{pg_table}" GROUP BY word')
            return dict(rows) == dict(want)
        wait_until(lambda: b._alive() and totals(), 90, "every word counted", 0.05)
    finally:
        b.stop()
    dup = postgres.query(f'SELECT batch_time, word FROM "{pg_table}" GROUP BY 1, 2 HAVING count(*) > 1')
    assert dup == []


def test_database_down_fails_the_batch_clearly_and_loses_nothing(dirs, postgres, pg_table):
    from tests.servers import PostgresServer
    own = PostgresServer()                   # this test stops its own server
    try:
        a = Driver(dirs, "first", own.url, pg_table)
        try:
            a.wait_started()
            move_in(dirs, 0)
            wait_rows(own, pg_table, 1, a)
            own.kill()                        # the database goes away
            move_in(dirs, 1)
            a.proc.wait(90)                   # the batch fails: the stream stops with the error
        finally:
            if a.proc.poll() is None:
                a.proc.kill()
        assert a.proc.returncode != 0
        assert "DatabaseUnreachableError" in a.text() and f"127.0.0.1:{own.port}" in a.text(), a.text()
        own.start()                           # back (same data directory)
        b = Driver(dirs, "second", own.url, pg_table)
        try:
            b.wait_started()
            wait_rows(own, pg_table, 2, b)    # the failed batch was written after the restart
        finally:
            b.stop()
    finally:
        own.stop()


def test_running_totals_in_redis_count_a_rerun_batch_once(dirs, postgres, pg_table):
    from tests.servers import RedisServer
    redis = RedisServer()
    try:
        die = str(dirs / "die")
        key = f"totals:{pg_table}"

        def totals() -> dict:
            return {k.decode(): int(v) for k, v in redis.client().hgetall(key).items()}

        def want(n: int) -> dict:
            c: Counter = Counter()
            for text in FILES[:n]:
                c.update(text.split())
            return dict(c)

        a = Driver(dirs, "first", postgres.url, pg_table, die, redis.url)
        try:
            a.wait_started()
            move_in(dirs, 0)
            wait_until(lambda: a._alive() and totals() == want(1), 90, "the first totals", 0.05)
            open(die, "w").close()
            move_in(dirs, 1)                  # added to the totals, then the driver dies
            a.proc.wait(60)
        finally:
            if a.proc.poll() is None:
                a.proc.kill()
        assert a.proc.returncode == -signal.SIGKILL, a.text()
        assert totals() == want(2)
        b = Driver(dirs, "second", postgres.url, pg_table, redis_url=redis.url)
        try:
            b.wait_started()
            move_in(dirs, 2)
            wait_until(lambda: b._alive() and totals() == want(3), 90, "the totals of 3 files", 0.05)
        finally:
            b.stop()
        killed = re.findall(r"batch (\d+) written=True", a.text())[-1]
        assert f"batch {killed} written=False" in b.text(), b.text()   # re-run, added nothing
        assert totals() == want(3)
    finally:
        redis.stop()
