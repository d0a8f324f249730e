"""Benchmarks of dstreams side by side with PySpark Streaming (``python -m bench``)."""
