"""DStreamGraph: the input and output streams of one StreamingContext and their shared clock state."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .dstream import DStream, ForEachDStream, InputDStream

__all__ = ["DStreamGraph", "Job"]


class Job:
    """One output operation of one batch: ``run()`` executes it on the calling thread."""

    __slots__ = ("time", "output_id", "name", "description", "func")

    def __init__(self, time: int, output_id: int, name: str, description: str, func) -> None:
        self.time = time
        self.output_id = output_id
        self.name = name
        self.description = description
        self.func = func

    def run(self) -> None:
        self.func()

    def __repr__(self) -> str:
        return f"Job(time={self.time}, output={self.output_id}, {self.name} at {self.description})"


class DStreamGraph:
    """Holds the streams; generates the jobs of a batch and forgets old RDDs after it."""

    def __init__(self, batch_ms: int) -> None:
        self.batch_ms = batch_ms
        self.input_streams: list[InputDStream] = []
        self.output_streams: list[ForEachDStream] = []
        self.zero_ms: int | None = None
        self.remember_ms: int | None = None
        self.checkpoint_dir: str | None = None
        self.started = False
        self.lock = threading.RLock()
        self._next_id = 0

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["lock"]
        state["started"] = False
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()

    # ---- building -------------------------------------------------------------------------
    def new_stream_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def check_not_started(self) -> None:
        if self.started:
            raise RuntimeError("Adding new inputs, transformations, and output operations after "
                               "starting a context is not supported")

    def add_input_stream(self, stream: InputDStream) -> int:
        self.check_not_started()
        self.input_streams.append(stream)
        return len(self.input_streams) - 1

    def add_output_stream(self, stream: ForEachDStream) -> int:
        self.check_not_started()
        self.output_streams.append(stream)
        return len(self.output_streams) - 1

    def all_streams(self) -> list[DStream]:
        """Every stream reachable from the outputs, parents before children."""
        seen: dict[int, DStream] = {}
        order: list[DStream] = []

        def visit(s: DStream) -> None:
            if id(s) in seen:
                return
            seen[id(s)] = s
            for p in s._parents:
                visit(p)
            order.append(s)

        for out in self.output_streams:
            visit(out)
        for inp in self.input_streams:
            visit(inp)
        return order

    # ---- life cycle -----------------------------------------------------------------------
    def validate(self) -> None:
        if not self.output_streams:
            raise ValueError("No output operations registered, so nothing to execute: call pprint(), "
                             "foreachRDD() or saveAsTextFiles() on a DStream before start()")

    def start(self, zero_ms: int) -> None:
        """Initialize every stream with the zero time and check the settings (no I/O)."""
        self.validate()
        self.zero_ms = zero_ms
        for out in self.output_streams:
            out._initialize(zero_ms)
        for out in self.output_streams:
            out._remember(self.remember_ms)
        for out in self.output_streams:
            out._validate_at_start()
        self.started = True

    def restore(self, zero_ms: int) -> None:
        """After recovery: re-initialize with the checkpointed zero time (streams keep their data)."""
        self.start(zero_ms)

    def generate_jobs(self, time_ms: int) -> list[Job]:
        with self.lock:
            jobs = []
            for out in self.output_streams:
                job = out._generate_job(time_ms)
                if job is not None:
                    jobs.append(job)
            return jobs

    def clear_metadata(self, time_ms: int) -> None:
        with self.lock:
            for out in self.output_streams:
                out._clear_metadata(time_ms)

    def rdds_to_checkpoint(self, time_ms: int) -> list[tuple[Any, Any]]:
        """(stream, rdd) of every stream whose RDD of ``time_ms`` is due for a checkpoint."""
        with self.lock:
            due = []
            for s in self.all_streams():
                rdd = s._checkpoint_due.pop(time_ms, None)
                if rdd is not None:
                    due.append((s, rdd))
            return due

    def max_remember_ms(self) -> int:
        return max([s._remember_ms or 0 for s in self.all_streams()] + [self.batch_ms])
