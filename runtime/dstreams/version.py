"""The version of dstreams (a leaf: the Context reports it without importing the package face)."""
__version__ = "0.1.0"
