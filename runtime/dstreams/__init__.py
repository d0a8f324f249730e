"""dstreams: Spark Streaming's discretized streams in Python, Kubernetes-native.

The public API: ``Context`` (PySpark's SparkContext) and ``RDD``; streaming names are added
by the streaming package below.
"""
from __future__ import annotations

from .version import __version__

import logging as _logging

_logging.getLogger("dstreams").addHandler(_logging.NullHandler())  # quiet unless the app configures logging

from .accumulators import Accumulator, AccumulatorParam
from .broadcast import Broadcast
from .conf import SparkConf
from .config import ConfigError
from .context import Context
from .errors import (BlockNotFoundError, ContextStoppedError, DStreamsError, InputPathNotFoundError,
                     JobAbortedError, MasterURLError, NotSerializableError, OutputPathExistsError)
from .partitioner import Partitioner, portable_hash
from .rdd import RDD
from .resultiterable import ResultIterable
from .statcounter import StatCounter
from .storagelevel import StorageLevel
from .taskcontext import TaskContext

SparkContext = Context  # so PySpark programs port by changing only their imports

__all__ = [
    "__version__", "Context", "SparkContext", "SparkConf", "ConfigError",
    "RDD", "Broadcast", "Accumulator", "AccumulatorParam", "StorageLevel",
    "Partitioner", "portable_hash", "ResultIterable", "StatCounter", "TaskContext",
    "DStreamsError", "MasterURLError", "NotSerializableError", "InputPathNotFoundError",
    "OutputPathExistsError", "BlockNotFoundError", "JobAbortedError", "ContextStoppedError",
]

# ---- streaming (issue 3; owned by the streaming layer) --------------------------------------
from .streaming import DStream, ManualClock, Receiver, State, StateSpec, StreamingContext, StreamingListener  # noqa: E402

__all__ += ["StreamingContext", "DStream", "StateSpec", "State", "Receiver", "StreamingListener", "ManualClock"]
