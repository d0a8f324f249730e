"""Stateful streams need a checkpoint directory: without one (neither ssc.checkpoint nor
sc.setCheckpointDir) they fail at start. In a module of their own, since the Context keeps a
checkpoint directory once one was set, as Spark's does."""
from __future__ import annotations

import pytest


def test_stateful_without_checkpoint_fails_at_start(runner):
    runner.ssc.queueStream([[("a", 1)]]).updateStateByKey(lambda vs, s: 1).pprint()
    with pytest.raises(ValueError, match=r"updateStateByKey .*needs a checkpoint directory.*ssc\.checkpoint"):
        runner.ssc.start()


def test_inverse_window_without_checkpoint_fails_at_start(runner):
    runner.ssc.queueStream([[1]]).countByWindow(1.0, 0.5).pprint()
    with pytest.raises(ValueError, match="checkpoint directory"):
        runner.ssc.start()


def test_start_can_be_retried_after_adding_the_checkpoint(runner, tmp_path):
    out = runner.collect(runner.ssc.queueStream([[("a", 1)], [("a", 2)]]).updateStateByKey(
        lambda vs, s: (s or 0) + sum(vs)))
    with pytest.raises(ValueError, match="checkpoint"):
        runner.ssc.start()
    runner.ssc.checkpoint(str(tmp_path / "ck"))
    runner.run(2)
    assert out[:2] == [[("a", 1)], [("a", 3)]]
