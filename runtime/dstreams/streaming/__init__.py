"""Streaming: StreamingContext and DStreams (PySpark's ``pyspark.streaming``)."""
from ..sources.receiver import Receiver
from .clock import ManualClock
from .context import StreamingContext
from .dstream import DStream
from .listener import StreamingListener
from .state import State, StateSpec

__all__ = ["StreamingContext", "DStream", "StateSpec", "State", "Receiver", "StreamingListener", "ManualClock"]
