"""The benchmark workloads, written once against the DStream API both systems share.

Each builder receives the StreamingContext, the input DStream of lines, the Context, a list
``sink`` and the batch interval (s), and registers its output operation; results are counted
(``count()`` forces every record through the whole pipeline, including the shuffle) into
``sink``. The window spans 10 batches and slides by one (10 s and 1 s at 1 s batches).
"""
from __future__ import annotations

from collections.abc import Callable
from operator import add, sub
from typing import Any

from .data import vocabulary

__all__ = ["WORKLOADS", "STATEFUL", "build"]


def _sink(sink: list) -> Callable:
    def out(t: Any, rdd: Any) -> None:
        sink.append(rdd.count())
    return out


def wordcount(ssc: Any, lines: Any, ctx: Any, sink: list, interval: float) -> None:
    lines.flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(add).foreachRDD(_sink(sink))


def window(ssc: Any, lines: Any, ctx: Any, sink: list, interval: float) -> None:
    pairs = lines.flatMap(str.split).map(lambda w: (w, 1))
    pairs.reduceByKeyAndWindow(add, sub, 10 * interval, interval).foreachRDD(_sink(sink))


def state(ssc: Any, lines: Any, ctx: Any, sink: list, interval: float) -> None:
    def update(new: list, old: Any) -> int:
        return sum(new) + (old or 0)

    lines.flatMap(str.split).map(lambda w: (w, 1)).updateStateByKey(update).foreachRDD(_sink(sink))


def join(ssc: Any, lines: Any, ctx: Any, sink: list, interval: float) -> None:
    static = ctx.parallelize([(w, len(w)) for w in vocabulary()], 2).cache()
    counts = lines.flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(add)
    counts.transform(lambda rdd: rdd.join(static)).foreachRDD(_sink(sink))


def shuffle(ssc: Any, lines: Any, ctx: Any, sink: list, interval: float) -> None:
    # (almost) every line is its own key: a shuffle as wide as the input
    lines.map(lambda line: (line, 1)).reduceByKey(add).foreachRDD(_sink(sink))


WORKLOADS: dict[str, Callable] = {
    "wordcount": wordcount,
    "window": window,
    "state": state,
    "join": join,
    "shuffle": shuffle,
}
STATEFUL = {"window", "state"}
UNIQUE_LINES = {"shuffle"}


def build(name: str) -> Callable:
    try:
        return WORKLOADS[name]
    except KeyError:
        raise SystemExit(f"unknown workload {name!r}; choose from {', '.join(WORKLOADS)}") from None
