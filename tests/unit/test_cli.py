"""``dstreams run app.py [--master M] [-- args]`` runs the file as __main__ in a fresh process."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dstreams import cli

APP = """
import sys
from dstreams import Context

print("name", __name__)
print("argv", sys.argv[1:])
with Context() as ctx:
    print("master", ctx.master)
    print("app", ctx.appName)
    print("conf", ctx.conf.get("dstreams.example"))
    print("sum", ctx.parallelize(range(10)).sum())
    print("partitions", ctx.parallelize(range(10)).getNumPartitions())
if "--fail" in sys.argv:
    sys.exit(3)
"""


def _dstreams_command() -> list[str]:
    script = Path(sys.executable).with_name("dstreams")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "dstreams.cli"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSTREAMS_")}
    return subprocess.run(_dstreams_command() + args, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)


def _lines(out: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def test_run_executes_the_app_as_main_with_its_args_and_master(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    proc = _run(["run", str(app), "--master", "local[3]", "--name", "cli-test",
                 "--conf", "dstreams.example=yes", "--", "arg", "--flag", "-x"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = _lines(proc.stdout)
    assert out["name"] == "__main__"
    assert out["argv"] == "['arg', '--flag', '-x']"
    assert out["master"] == "local[3]"
    assert out["app"] == "cli-test"
    assert out["conf"] == "yes"
    assert out["sum"] == "45"
    assert out["partitions"] == "3"


def test_run_passes_the_apps_exit_code(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    proc = _run(["run", str(app), "--master", "local[2]", "--", "--fail"], tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert _lines(proc.stdout)["master"] == "local[2]"


def test_run_rejects_a_bad_master_listing_the_forms(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    app = tmp_path / "app.py"
    app.write_text("raise SystemExit('must not run')\n")
    assert cli.main(["run", str(app), "--master", "mesos://x"]) == 2
    err = capsys.readouterr().err
    assert "mesos://x" in err and "local[N]" in err and "local[*]" in err



@pytest.mark.parametrize("bad", ["", "local[99999]"])
def test_run_rejects_an_empty_or_oversized_master(bad: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    app = tmp_path / "app.py"
    app.write_text("raise SystemExit('must not run')\n")
    assert cli.main(["run", str(app), "--master", bad]) == 2
    err = capsys.readouterr().err
    assert repr(bad) in err and "local[N]" in err

def test_run_reports_a_missing_app(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["run", str(tmp_path / "nope.py")]) == 2
    assert "nope.py" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("dstreams") is None and not Path(sys.executable).with_name("dstreams").exists(),
                    reason="the dstreams console script is not installed")
def test_console_script_is_installed() -> None:
    proc = subprocess.run(_dstreams_command() + ["--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "run" in proc.stdout


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "wordcount_batch.py"


def test_batch_wordcount_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture) -> None:
    text = tmp_path / "in.txt"
    text.write_text("to be or not to be\nthat is the question\nto\n")
    monkeypatch.setenv("DSTREAMS_MASTER", "local[2]")  # restored after the test, unlike --master
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert cli.main(["run", str(EXAMPLE), "--", str(text)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "to: 3", "be: 2", "is: 1", "not: 1", "or: 1", "question: 1", "that: 1", "the: 1"]
    assert cli.main(["run", str(EXAMPLE), "--", str(text), "2"]) == 0
    assert capsys.readouterr().out.splitlines() == ["to: 3", "be: 2"]


def test_json_log_format_prints_one_object_per_line(tmp_path):
    import json
    import subprocess
    import sys
    app = tmp_path / "app.py"
    app.write_text("from dstreams import Context\nContext('local[1]', 'logs').stop()\n")
    p = subprocess.run([sys.executable, "-m", "dstreams.cli", "--log-level", "INFO", "--log-format", "json", "run",
                        str(app)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    docs = [json.loads(line) for line in p.stderr.splitlines() if line.strip()]
    assert any(d["logger"] == "dstreams" and "started Context" in d["msg"] for d in docs)
    assert all(d["ts"].endswith("Z") and d["level"] for d in docs)


def test_run_a_module_with_dash_m(tmp_path):
    import subprocess
    import sys
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "job.py").write_text(
        "import sys\nfrom dstreams import Context\n"
        "with Context() as ctx:\n    print('sum', ctx.parallelize(range(5)).sum(), sys.argv[1:], ctx.master)\n")
    p = subprocess.run([sys.executable, "-m", "dstreams.cli", "run", "-m", "mypkg.job", "--master", "local[2]",
                        "--", "x"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "sum 10 ['x'] local[2]" in p.stdout
