"""Pickling of user functions with cloudpickle, with errors that name what could not be pickled."""
from __future__ import annotations

import inspect
import pickle
import weakref
from typing import Any

import cloudpickle

from .errors import NotSerializableError

__all__ = ["dumps", "loads", "check_serializable", "PICKLE_PROTOCOL"]

PICKLE_PROTOCOL = 5
loads = pickle.loads

# functions already proven picklable: a streaming job reuses the same closures every batch
_checked: "weakref.WeakSet[Any]" = weakref.WeakSet()


def dumps(obj: Any, what: str = "object") -> bytes:
    """Return ``obj`` pickled with cloudpickle; a failure raises NotSerializableError naming the culprit."""
    try:
        return cloudpickle.dumps(obj, protocol=PICKLE_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - any pickling failure is reported the same way
        raise NotSerializableError(_explain(obj, what, exc)) from exc


def check_serializable(func: Any, what: str = "function") -> None:
    """Raise NotSerializableError now (at transformation time, as Spark's ClosureCleaner does)
    if ``func`` cannot be shipped to an executor process."""
    try:
        if func in _checked:
            return
    except TypeError:  # unhashable or not weak-referenceable: just check it
        pass
    dumps(func, what)
    try:
        _checked.add(func)
    except TypeError:
        pass


def _describe_function(func: Any) -> str:
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
    try:
        src = inspect.getsourcefile(func)
        line = inspect.getsourcelines(func)[1]
        return f"{name} ({src}:{line})"
    except (TypeError, OSError):
        return str(name)


def _explain(obj: Any, what: str, exc: Exception) -> str:
    """Find which captured variable of ``obj`` cannot be pickled and say so."""
    culprit = _find_culprit(obj, depth=0, seen=set())
    base = f"cannot serialize the {what} {_describe_function(obj)}: {exc}"
    if culprit:
        path, value = culprit
        base += (f"; it captures {path} = {type(value).__module__}.{type(value).__qualname__} "
                 f"object which cannot be pickled. Create it inside the function, or use "
                 f"mapPartitions to build it once per partition.")
    return base


def _find_culprit(obj: Any, depth: int, seen: set) -> tuple[str, Any] | None:
    if depth > 4 or id(obj) in seen:
        return None
    seen.add(id(obj))
    for label, value in _captured(obj):
        try:
            cloudpickle.dumps(value, protocol=PICKLE_PROTOCOL)
        except Exception:  # noqa: BLE001
            deeper = _find_culprit(value, depth + 1, seen)
            if deeper:
                return (f"{label} -> {deeper[0]}", deeper[1])
            return (f"'{label}'", value)
    return None


def _captured(obj: Any):
    """Yield (name, value) for what a function or object drags along when pickled."""
    if inspect.isfunction(obj):
        code = obj.__code__
        if obj.__closure__:
            for name, cell in zip(code.co_freevars, obj.__closure__):
                try:
                    yield name, cell.cell_contents
                except ValueError:
                    continue
        g = obj.__globals__
        for name in _global_names(code):
            if name in g and not inspect.ismodule(g[name]):
                yield name, g[name]
        if obj.__defaults__:
            for i, d in enumerate(obj.__defaults__):
                yield f"default[{i}]", d
    elif inspect.ismethod(obj):
        yield "self", obj.__self__
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        state = obj.__getstate__() if hasattr(obj, "__getstate__") else vars(obj)
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[0], dict):
            state = state[0]  # (dict, slots) form
        if isinstance(state, dict):
            for name, value in state.items():
                yield name, value
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for i, value in enumerate(obj):
            yield f"[{i}]", value
    elif isinstance(obj, dict):
        for k, value in obj.items():
            yield f"[{k!r}]", value


def _global_names(code) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _global_names(const)
    return names
