"""Recognizing a few pure functions, so hot per-record loops can run at C speed.

dstreams calls user functions once per record. For a handful of very common ones the call
can be replaced by a C-level equivalent with no observable difference in the results:

- ``operator.add`` and ``lambda a, b: a + b`` (any argument names): addition, which makes
  ``reduceByKey`` a keyed sum;
- ``lambda x: x``: the identity (``reduceByKey``'s ``createCombiner``);
- ``lambda x: (x, C)`` with a constant ``C``: pairing each element with a constant, as word
  count's ``map(lambda w: (w, 1))`` does. The pipeline yields a :class:`ConstPairs`: an
  iterator of the pairs for every consumer, which a consumer that knows it (the map-side
  combine of a shuffle, ``updateStateByKey``) reads as the elements and ``C`` instead. When a
  sum follows with an ``int`` constant, a keyed sum of ``C`` is ``C`` times the number of
  occurrences: counted by ``collections.Counter``'s C loop.

A function is recognized by its bytecode (a plain function taking exactly the positional
arguments the pattern needs, whose code is the pattern and nothing else), so a function that
does anything more is never mistaken for one of these and simply takes the generic path.

>>> const_pair(lambda w: (w, 1))
(1,)
>>> is_add(lambda a, b: a + b), is_add(lambda a, b: a - b)
(True, False)
"""
from __future__ import annotations

import dis
import operator
import types
from collections import Counter
from functools import lru_cache
from itertools import repeat
from typing import Any

__all__ = ["is_add", "is_identity", "const_pair", "count_into", "ConstPairs"]

class ConstPairs:
    """The records ``(x, value)`` for each ``x`` of ``keys``, kept as the keys and the value.

    Iterating gives the pairs (at C speed); consumers that recognise the type take ``keys``
    and ``value`` and skip building the pairs.

    >>> pairs = ConstPairs(iter("ab"), 1)
    >>> next(pairs), list(pairs)
    (('a', 1), [('b', 1)])
    """

    __slots__ = ("keys", "value", "_pairs")

    def __init__(self, keys: Any, value: Any) -> None:
        self.keys = keys
        self.value = value
        self._pairs: Any = None

    def __iter__(self) -> Any:
        if self._pairs is None:
            self._pairs = zip(self.keys, repeat(self.value))
        return self._pairs

    def __next__(self) -> tuple:
        return next(iter(self))


_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08
_SKIP = frozenset({"RESUME", "CACHE", "NOP", "EXTENDED_ARG"})
_NB_ADD = dis._nb_ops.index(("NB_ADD", "+")) if hasattr(dis, "_nb_ops") else 0

try:  # the C loop behind Counter.update(iterable)
    from collections import _count_elements as _count_elements  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - CPython always has it
    _count_elements = Counter._count_elements if hasattr(Counter, "_count_elements") else None  # type: ignore


def _plain_code(f: Any, argcount: int) -> types.CodeType | None:
    """Return the code of ``f`` if it is a plain function taking exactly ``argcount``
    positional arguments (no ``*args``, ``**kwargs`` or keyword-only ones)."""
    if type(f) is not types.FunctionType:
        return None
    code = f.__code__
    if (code.co_argcount != argcount or code.co_kwonlyargcount
            or code.co_flags & (_CO_VARARGS | _CO_VARKEYWORDS)):
        return None
    return code


@lru_cache(maxsize=512)
def _instructions(code: types.CodeType) -> tuple:
    return tuple((i.opname, i.arg, i.argval) for i in dis.get_instructions(code) if i.opname not in _SKIP)


def is_add(f: Any) -> bool:
    """Return whether ``f(a, b)`` is exactly ``a + b``."""
    if f is operator.add:
        return True
    code = _plain_code(f, 2)
    if code is None:
        return False
    ins = _instructions(code)
    if len(ins) == 4:
        return (ins[0][:2] == ("LOAD_FAST", 0) and ins[1][:2] == ("LOAD_FAST", 1)
                and ins[2][:2] == ("BINARY_OP", _NB_ADD) and ins[3][0] == "RETURN_VALUE")
    if len(ins) == 3:  # 3.13+: LOAD_FAST_LOAD_FAST
        return (ins[0][:2] == ("LOAD_FAST_LOAD_FAST", 1) and ins[1][:2] == ("BINARY_OP", _NB_ADD)
                and ins[2][0] == "RETURN_VALUE")
    return False


def is_identity(f: Any) -> bool:
    """Return whether ``f(x)`` is exactly ``x``."""
    if getattr(f, "_dstreams_identity", False) and type(f) is types.FunctionType:
        return True
    code = _plain_code(f, 1)
    if code is None:
        return False
    ins = _instructions(code)
    return len(ins) == 2 and ins[0][:2] == ("LOAD_FAST", 0) and ins[1][0] == "RETURN_VALUE"


def const_pair(f: Any) -> tuple | None:
    """Return ``(C,)`` when ``f(x)`` is exactly ``(x, C)`` with a constant ``C``, else None."""
    code = _plain_code(f, 1)
    if code is None:
        return None
    ins = _instructions(code)
    if (len(ins) == 4 and ins[0][:2] == ("LOAD_FAST", 0) and ins[1][0] == "LOAD_CONST"
            and ins[2][:2] == ("BUILD_TUPLE", 2) and ins[3][0] == "RETURN_VALUE"):
        return (ins[1][2],)
    return None


def count_into(keys: Any, value: int) -> dict:
    """Return ``{k: sum of value over the occurrences of k}`` (first-seen order) for an int
    ``value``: the dict a loop ``d[k] = value if k not in d else d[k] + value`` builds.

    The keys are counted by Counter's C loop; a count ``n`` becomes ``value * n``, which for
    ints equals ``value`` added ``n`` times.
    """
    d: dict = {}
    _count_elements(d, keys)
    if value != 1:
        for k, n in d.items():
            d[k] = value * n
    return d
