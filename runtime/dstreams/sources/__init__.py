"""Sources of DStreams: queues, sockets, files, and custom receivers."""
from .receiver import Receiver
from .socket import SocketReceiver
from .textgen import TextGenerator

__all__ = ["Receiver", "SocketReceiver", "TextGenerator"]
