"""The examples run as users run them: through ``dstreams run`` on local[2]."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading

from conftest_helpers import wait_for

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DSTREAMS = [sys.executable, "-m", "dstreams.cli"]
TIME_HEADER = re.compile(r"^-{43}\nTime: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\n-{43}$", re.M)


def test_wordcount_generator_prints_batches_and_stops():
    proc = subprocess.run(DSTREAMS + ["run", os.path.join(ROOT, "examples", "wordcount_generator.py"),
                                      "--master", "local[2]", "--", "--batches", "2", "--batch-duration", "0.5"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(TIME_HEADER.findall(proc.stdout)) >= 2, proc.stdout
    assert re.search(r"^\('[a-z]+', \d+\)$", proc.stdout, re.M), proc.stdout


def test_network_wordcount_over_a_socket(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    conns = []

    def serve():
        c, _ = server.accept()
        conns.append(c)
        c.sendall(b"to be or not to be\n")

    threading.Thread(target=serve, daemon=True).start()
    log = tmp_path / "out.log"
    proc = subprocess.Popen(DSTREAMS + ["run", os.path.join(ROOT, "examples", "network_wordcount.py"),
                                        "--master", "local[2]", "--", "127.0.0.1", str(port)],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "('to', 2)" in log.read_text() or proc.poll() is not None, 60, "word counts")
        text = log.read_text()
        assert "('to', 2)" in text and "('be', 2)" in text and "('or', 1)" in text, text
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        for c in conns:
            c.close()
        server.close()
    assert proc.returncode in (0, 130), log.read_text()


def test_wordcount_generator_stops_on_ctrl_c(tmp_path):
    log = tmp_path / "out.log"
    proc = subprocess.Popen(DSTREAMS + ["run", os.path.join(ROOT, "examples", "wordcount_generator.py"),
                                        "--master", "local[2]", "--", "--batch-duration", "0.5"],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: TIME_HEADER.search(log.read_text()) or proc.poll() is not None, 60, "a batch")
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert proc.returncode == 0, text
    assert "stopping (Ctrl-C)" in text and "Traceback" not in text
