"""updateStateByKey and mapWithState: per-batch results, initial state, timeouts, and the
clear failure when no checkpoint directory is set."""
from __future__ import annotations

import pytest

from dstreams.streaming import State, StateSpec


@pytest.fixture
def ck(runner, tmp_path):
    runner.ssc.checkpoint(str(tmp_path / "ck"))
    return runner


def appender(vs, s):
    if not s:
        s = []
    s.extend(vs)
    return s


def test_updateStateByKey(ck):
    out = ck.collect(ck.ssc.queueStream([[("k", i)] for i in range(5)]).updateStateByKey(appender))
    ck.run(6)
    # PySpark's test: the state of 'k' accumulates; an empty batch leaves it as it is
    assert out[:6] == [[("k", [0])], [("k", [0, 1])], [("k", [0, 1, 2])], [("k", [0, 1, 2, 3])],
                       [("k", [0, 1, 2, 3, 4])], [("k", [0, 1, 2, 3, 4])]]


def test_updateStateByKey_initialRDD(ck, ctx):
    initial = ctx.parallelize([("k", [0, 1])], 1)
    out = ck.collect(ck.ssc.queueStream([[("k", i)] for i in range(2, 5)]).updateStateByKey(
        appender, initialRDD=initial))
    ck.run(3)
    assert out[:3] == [[("k", [0, 1, 2])], [("k", [0, 1, 2, 3])], [("k", [0, 1, 2, 3, 4])]]


def test_updateStateByKey_running_totals_and_removal(ck):
    def total(vs, s):
        n = (s or 0) + sum(vs)
        return None if n >= 10 else n   # None removes the key

    data = [[("a", 1), ("b", 2), ("a", 3)], [("b", 5)], [("a", 7), ("c", 1)], [], [("c", 2)]]
    out = ck.collect(ck.ssc.queueStream(data).updateStateByKey(total, numPartitions=3), sort=True)
    ck.run(5)
    assert out[:5] == [[("a", 4), ("b", 2)], [("a", 4), ("b", 7)], [("b", 7), ("c", 1)], [("b", 7), ("c", 1)],
                       [("b", 7), ("c", 3)]]


def test_updateStateByKey_calls_update_for_every_key_every_batch(ck):
    def update(vs, s):
        return (s or 0) + 1     # counts batches since the key first appeared

    out = ck.collect(ck.ssc.queueStream([[("a", 0)], [("b", 0)], [], []]).updateStateByKey(update), sort=True)
    ck.run(4)
    assert out[:4] == [[("a", 1)], [("a", 2), ("b", 1)], [("a", 3), ("b", 2)], [("a", 4), ("b", 3)]]


def running_count(key, value, state: State):
    n = (state.get() if state.exists() else 0) + value
    state.update(n)
    return (key, n)


def test_mapWithState(ck):
    data = [[("a", 1), ("b", 1), ("a", 1)], [("a", 1)], [], [("c", 5)]]
    s = ck.ssc.queueStream(data).mapWithState(StateSpec.function(running_count))
    mapped = ck.collect(s, sort=True)
    snaps = ck.collect(s.stateSnapshots(), sort=True)
    ck.run(4)
    assert mapped[:4] == [[("a", 1), ("a", 2), ("b", 1)], [("a", 3)], [], [("c", 5)]]
    assert snaps[:4] == [[("a", 2), ("b", 1)], [("a", 3), ("b", 1)], [("a", 3), ("b", 1)],
                         [("a", 3), ("b", 1), ("c", 5)]]


def test_mapWithState_remove_and_initial_state(ck, ctx):
    def f(key, value, state):
        if value == "reset":
            state.remove()
            return (key, "removed")
        n = state.getOption() or 0
        state.update(n + value)
        return (key, n + value)

    spec = StateSpec(f, initialState=ctx.parallelize([("a", 100)]), numPartitions=3)
    s = ck.ssc.queueStream([[("a", 1), ("b", 2)], [("a", "reset")], [("a", 5)]]).mapWithState(spec)
    mapped = ck.collect(s, sort=True)
    snaps = ck.collect(s.stateSnapshots(), sort=True)
    ck.run(3)
    assert mapped[:3] == [[("a", 101), ("b", 2)], [("a", "removed")], [("a", 5)]]
    assert snaps[:3] == [[("a", 101), ("b", 2)], [("b", 2)], [("a", 5), ("b", 2)]]


def test_mapWithState_timeout(ck):
    def f(key, value, state):
        if state.isTimingOut():
            return (key, "timed out", state.get())
        state.update((state.getOption() or 0) + value)
        return (key, state.get())

    spec = StateSpec.function(f).timeout(1.0)   # two batches of 0.5 s
    data = [[("a", 1), ("b", 1)], [("b", 1)], [("b", 1)], [], [], []]
    s = ck.ssc.queueStream(data).mapWithState(spec)
    mapped = ck.collect(s, sort=True)
    snaps = ck.collect(s.stateSnapshots(), sort=True)
    ck.run(6)
    # 'a' was last updated at 0.5 s: idle longer than 1 s at the batch of 2.0 s
    assert mapped[:6] == [[("a", 1), ("b", 1)], [("b", 2)], [("b", 3)], [("a", "timed out", 1)], [],
                          [("b", "timed out", 3)]]
    assert snaps[:6] == [[("a", 1), ("b", 1)], [("a", 1), ("b", 2)], [("a", 1), ("b", 3)], [("b", 3)], [("b", 3)], []]


def test_state_api_errors():
    st = State()
    assert not st.exists() and st.getOption() is None
    with pytest.raises(ValueError, match="State is not set"):
        st.get()
    st.update(3)
    assert st.get() == 3
    st.remove()
    with pytest.raises(ValueError, match="already been removed"):
        st.remove()
    with pytest.raises(TypeError, match="key, value, state"):
        StateSpec(lambda k, v: None)


def test_state_is_kept_as_one_map_per_partition(ck):
    from dstreams.streaming.state import StateDStream
    pairs = ck.ssc.queueStream([[(i, 1) for i in range(20)]] * 2)
    state = pairs.updateStateByKey(lambda vs, s: (s or 0) + sum(vs), numPartitions=4)
    maps = state._parents[0]
    assert isinstance(maps, StateDStream)
    seen = []
    maps.foreachRDD(lambda rdd: seen.append(rdd.glom().collect()))
    out = ck.collect(state, sort=True)
    ck.outputs.append(seen)
    ck.run(2)
    for parts in seen[:2]:
        assert len(parts) == 4 and all(len(p) == 1 and p[0][0] == i for i, p in enumerate(parts))
    assert out[1] == [(i, 2) for i in range(20)]


