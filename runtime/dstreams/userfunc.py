"""User functions called from inside an iterator: a StopIteration they raise must fail the task.

``map(f, it)`` and ``filter(f, it)`` run ``f`` inside ``__next__``: a ``StopIteration`` escaping
``f`` looks like the end of the partition and would silently drop the rest of it. PySpark wraps
every such function to turn it into an error; dstreams does the same, except for functions that
cannot raise it — plain functions that call nothing (``lambda x: x + 1``, ``lambda kv: kv[1]``)
and C functions other than ``next`` — so the commonest lambdas keep their speed.

>>> guarded = fail_on_stopiteration(lambda x: next(iter([])))
>>> guarded(1)
Traceback (most recent call last):
...
dstreams.errors.UserStopIterationError: Caught StopIteration thrown from user's code; failing the task
>>> f = lambda x: x + 1
>>> fail_on_stopiteration(f) is f
True
"""
from __future__ import annotations

import dis
import types
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from .errors import UserStopIterationError

__all__ = ["fail_on_stopiteration", "may_raise_stopiteration"]

F = TypeVar("F", bound=Callable[..., Any])
_CALLS = frozenset(op for name, op in dis.opmap.items() if "CALL" in name)


@lru_cache(maxsize=4096)
def _code_calls(code: types.CodeType) -> bool:
    if any(isinstance(c, types.CodeType) for c in code.co_consts):
        return True  # nested functions or comprehensions: assume they call
    return any(ins.opcode in _CALLS for ins in dis.get_instructions(code))


def may_raise_stopiteration(f: Any) -> bool:
    """Return whether ``f`` can raise StopIteration: False for a plain function whose code calls
    nothing and for C functions other than ``next``."""
    if isinstance(f, types.FunctionType):
        return _code_calls(f.__code__)
    if isinstance(f, (types.BuiltinFunctionType, types.MethodDescriptorType, types.WrapperDescriptorType)):
        return f is next
    return True


def fail_on_stopiteration(f: F) -> F:
    """Return ``f``, wrapped so that a StopIteration it raises becomes UserStopIterationError
    (unless it cannot raise one)."""
    if not may_raise_stopiteration(f):
        return f

    def guarded(*args: Any) -> Any:
        try:
            return f(*args)
        except StopIteration as exc:
            raise UserStopIterationError("Caught StopIteration thrown from user's code; failing the task") from exc

    return guarded  # type: ignore[return-value]
