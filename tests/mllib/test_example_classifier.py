"""examples/live_classifier.py: a model trained offline scores a socket stream, and a model
file replaced while it runs is used from the next batch on."""
from __future__ import annotations

import os
import pickle
import signal
import socket
import subprocess
import sys
import threading

from mllib_helpers import wait_for

from dstreams.mllib.classification import LogisticRegressionModel

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "live_classifier.py")


def test_live_classifier_scores_a_socket_stream_and_reloads_the_model(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    conns: list[socket.socket] = []
    threading.Thread(target=lambda: conns.append(server.accept()[0]), daemon=True).start()
    model_path = tmp_path / "clf.pkl"
    log = tmp_path / "out.log"
    proc = subprocess.Popen([sys.executable, "-m", "dstreams.cli", "run", EXAMPLE, "--master", "local[2]", "--",
                             "127.0.0.1", str(server.getsockname()[1]), "--model", str(model_path), "--batch", "0.3"],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: conns or proc.poll() is not None, 60, "the receiver to connect")
        assert proc.poll() is None, log.read_text()
        assert model_path.exists()  # trained offline and saved before the stream started
        conns[0].sendall(b"2.0,2.0\n-2.0,-2.0\n")
        wait_for(lambda: "('-2.0,-2.0', 0, 1)" in log.read_text() or proc.poll() is not None, 60, "scores")
        text = log.read_text()
        assert "('2.0,2.0', 1, 1)" in text and "('-2.0,-2.0', 0, 1)" in text, text
        # a retrained model (here: the opposite one) replaces the file while the stream runs
        model = pickle.loads(model_path.read_bytes())
        flipped = LogisticRegressionModel(-model.weights.toArray(), -model.intercept, 2, 2)
        (tmp_path / "new.pkl").write_bytes(pickle.dumps(flipped) + b"  ")  # another size: seen as changed
        os.replace(tmp_path / "new.pkl", model_path)
        conns[0].sendall(b"2.0,2.0\n")
        wait_for(lambda: "('2.0,2.0', 0, 2)" in log.read_text() or proc.poll() is not None, 60, "version 2")
        assert "('2.0,2.0', 0, 2)" in log.read_text(), log.read_text()
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
