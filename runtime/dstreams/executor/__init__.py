"""Executors: the local thread pool; executor processes talking through Redis plug in the same way."""
from .local import LocalBackend

__all__ = ["LocalBackend"]
