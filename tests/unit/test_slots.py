"""TaskSlots, the dispatcher both out-of-driver backends share: events in, instructions out."""
from __future__ import annotations

from dstreams.scheduler.slots import Lost, Send, TaskSlots


def sent(sends: list[Send]) -> list[tuple[int, str]]:
    return [(s.task_id, s.executor_id) for s in sends]


def test_tasks_wait_for_an_executor_then_fill_its_slots_in_order() -> None:
    slots = TaskSlots()
    assert slots.submit(0, "s", "t0") == [] and slots.submit(1, "s", "t1") == [] and slots.submit(2, "s", "t2") == []
    assert sent(slots.executor_joined("a", cores=2)) == [(0, "a"), (1, "a")]
    assert len(slots) == 3 and slots.running_on("a") == [0, 1]
    payload, sends = slots.task_finished(1)
    assert payload == "t1" and sent(sends) == [(2, "a")]
    assert slots.task_finished(1) == (None, [])  # a duplicate result changes nothing


def test_the_executor_with_most_free_slots_goes_first() -> None:
    slots = TaskSlots()
    slots.executor_joined("small", cores=1)
    slots.executor_joined("big", cores=3)
    assert sent(slots.submit(0, "s", None)) == [(0, "big")]
    assert sent(slots.submit(1, "s", None)) == [(1, "big")]
    assert sent(slots.submit(2, "s", None)) == [(2, "small")]  # 1 free each: insertion order
    assert sent(slots.submit(3, "s", None)) == [(3, "big")]
    assert slots.submit(4, "s", None) == []
    assert slots.total_cores == 4


def test_a_lost_executor_loses_only_its_running_tasks() -> None:
    slots = TaskSlots()
    slots.executor_joined("a", 1)
    slots.executor_joined("b", 1)
    slots.submit(0, "s", "t0")
    slots.submit(1, "s", "t1")
    slots.submit(2, "s", "t2")  # pending
    assert slots.executor_lost("a") == [Lost(0, "t0", "a")]
    assert slots.executor_ids() == ["b"]
    assert slots.executor_lost("a") == []
    payload, sends = slots.task_finished(0)  # the lost task's late result is ignored
    assert payload is None and sends == []
    _, sends = slots.task_finished(1)
    assert sent(sends) == [(2, "b")]


def test_stage_payload_is_sent_once_per_executor_and_dropped_after_the_stage() -> None:
    slots = TaskSlots()
    slots.executor_joined("a", 1)
    first = slots.submit(0, "s1", None)
    assert [(s.with_stage, s.drop) for s in first] == [(True, ())]
    slots.submit(1, "s1", None)
    _, again = slots.task_finished(0)
    assert [(s.with_stage, s.drop) for s in again] == [(False, ())]
    slots.stage_finished("s1")
    slots.submit(2, "s2", None)
    _, nxt = slots.task_finished(1)
    assert [(s.stage_key, s.with_stage, s.drop) for s in nxt] == [("s2", True, ("s1",))]


def test_transport_loss_fails_what_was_sent_and_keeps_pending_and_executors() -> None:
    slots = TaskSlots()
    slots.executor_joined("a", 1)
    slots.submit(0, "s", "t0")
    slots.submit(1, "s", "t1")
    assert slots.running_lost() == [Lost(0, "t0", "a")]
    assert slots.executor_ids() == ["a"] and len(slots) == 1
    # the executor's slot is free again; the pending task goes out with the stage payload
    assert [(s.task_id, s.with_stage) for s in slots.executor_joined("b", 1)] == [(1, True)]


def test_drain_returns_every_task() -> None:
    slots = TaskSlots()
    slots.executor_joined("a", 1)
    slots.submit(0, "s", "t0")
    slots.submit(1, "s", "t1")
    assert sorted(x.payload for x in slots.drain()) == ["t0", "t1"]
    assert len(slots) == 0 and slots.running_on("a") == []


def test_a_sticky_task_survives_a_transport_loss_and_keeps_its_slot() -> None:
    slots = TaskSlots()
    slots.executor_joined("a", 1)
    slots.executor_joined("b", 1)
    assert sent(slots.submit(0, "recv", "receiver", sticky=True)) == [(0, "a")]
    assert sent(slots.submit(1, "s", "t1")) == [(1, "b")]
    assert [x.task_id for x in slots.running_lost()] == [1]
    assert slots.running_on("a") == [0]                       # still running there
    assert sent(slots.submit(2, "s", "t2")) == [(2, "b")]     # a's only slot stays taken
