"""Fast paths of the streaming layer give the generic results: the socket receiver's chunked
reading, updateStateByKey fed by constant pairs, the pickled state maps."""
from __future__ import annotations

import socket
import threading
from operator import add

import pytest

from dstreams.sources.socket import SocketReceiver


class _Supervisor:
    """Records what a receiver stores (the parts of ReceiverSupervisor it calls)."""

    def __init__(self) -> None:
        self.blocks: list[list] = []
        self.stopped = False
        self.restarts: list[str] = []

    def push_block(self, values: list) -> None:
        self.blocks.append(values)

    def is_receiver_stopped(self) -> bool:
        return self.stopped

    def restart_receiver(self, message, error, delay) -> None:
        self.restarts.append(message)


def _receive(chunks: list[bytes], encoding: str = "utf-8") -> list[str]:
    a, b = socket.socketpair()
    receiver = SocketReceiver("localhost", 1, encoding=encoding)
    sup = _Supervisor()
    receiver._supervisor = sup  # type: ignore[assignment]
    t = threading.Thread(target=receiver._receive, args=(b,))
    t.start()
    for c in chunks:
        a.sendall(c)
    a.close()
    t.join(10)
    assert not t.is_alive()
    assert sup.restarts == ["Socket data stream had no more data"]
    return [line for block in sup.blocks for line in block]


def test_socket_lines_across_chunk_boundaries():
    text = "hello world\r\nsecond line\nthird é line\n\nlast without newline\r"
    data = text.encode()
    expected = ["hello world", "second line", "third é line", "", "last without newline\r"]
    assert _receive([data]) == expected
    for size in (1, 2, 3, 7):  # \r\n and the two bytes of é split between reads
        assert _receive([data[i:i + size] for i in range(0, len(data), size)]) == expected


def test_socket_many_lines_and_other_encodings():
    lines = [f"line {i} ünïcödé" for i in range(50_000)]
    data = ("\n".join(lines) + "\n").encode("utf-16-le")
    assert _receive([data[i:i + 4097] for i in range(0, len(data), 4097)], "utf-16-le") == lines


@pytest.fixture
def ck(runner, tmp_path):
    runner.ssc.checkpoint(str(tmp_path / "ck"))
    return runner


def test_update_state_by_key_with_constant_pairs_equals_generic(ck):
    batches = [["a b a", "c"], ["b b"], [], ["a d"]]

    def update(new, old):
        assert isinstance(new, list)
        return (old or []) + new if new else old

    one = 1
    fast = ck.collect(ck.ssc.queueStream(batches).flatMap(str.split).map(lambda w: (w, 1))
                      .updateStateByKey(update, 3), sort=True)
    slow = ck.collect(ck.ssc.queueStream(batches).flatMap(str.split).map(lambda w: (w, one))
                      .updateStateByKey(update, 3), sort=True)
    ck.run(4)
    assert fast[:4] == slow[:4]
    assert fast[3] == [("a", [1, 1, 1]), ("b", [1, 1, 1]), ("c", [1]), ("d", [1])]


def test_state_maps_stay_private_between_batches(ck):
    # an update function that mutates its state in place must not change the previous
    # batch's (pickled) state, which a later job may read again
    def update(new, old):
        old = old if old is not None else []
        old.extend(new)
        return old

    states = ck.ssc.queueStream([[("k", 1)], [("k", 2)], [("k", 3)]]).updateStateByKey(update)
    out = ck.collect(states)
    ck.run(3)
    assert out[:3] == [[("k", [1])], [("k", [1, 2])], [("k", [1, 2, 3])]]


def test_reduce_by_key_and_window_fast_path(ck):
    data = [["a b"], ["a"], ["b b"], [], ["a"]]
    one = 1
    fast = ck.collect(ck.ssc.queueStream(data).flatMap(str.split).map(lambda w: (w, 1))
                      .reduceByKeyAndWindow(add, lambda a, b: a - b, 1.5, 0.5), sort=True)
    slow = ck.collect(ck.ssc.queueStream(data).flatMap(str.split).map(lambda w: (w, one))
                      .reduceByKeyAndWindow(lambda a, b: add(a, b), lambda a, b: a - b, 1.5, 0.5), sort=True)
    ck.run(5)
    assert fast[:5] == slow[:5]
    assert fast[2] == [("a", 2), ("b", 3)]
