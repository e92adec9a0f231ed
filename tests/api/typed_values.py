"""Check a value against its type hint at run time, so a selector's declared result type cannot lie.

Covers what the selectors return: TypedDicts (every required key present, no key undeclared), lists, dicts,
unions and None, and the JSON scalars. An int passes for float (as in typing); a float never passes for int.
``Any`` never passes: a result type must say what every value is.
"""

from __future__ import annotations

import types
import typing
from typing import Any, NotRequired, get_args, get_origin, get_type_hints, is_typeddict


def type_errors(value: Any, hint: Any, where: str = "result") -> list[str]:
    """Where ``value`` does not match ``hint``; empty when it does."""
    origin = get_origin(hint)
    if hint is Any:
        return [f"{where}: declared Any, so nothing says what it holds"]
    if origin in (typing.Union, types.UnionType):
        options = [type_errors(value, option, where) for option in get_args(hint)]
        return [] if any(not errors for errors in options) else [f"{where}: {value!r} is not {hint}"]
    if hint is None or hint is type(None):
        return [] if value is None else [f"{where}: {value!r} is not None"]
    if is_typeddict(hint):
        return _typed_dict_errors(value, hint, where)
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__} is not a list"]
        (item,) = get_args(hint)
        return [error for i, element in enumerate(value) for error in type_errors(element, item, f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__} is not a dict"]
        key_hint, value_hint = get_args(hint)
        return [
            error
            for key, element in value.items()
            for error in [
                *type_errors(key, key_hint, f"{where} key"),
                *type_errors(element, value_hint, f"{where}[{key!r}]"),
            ]
        ]
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, hint)
    return [] if ok else [f"{where}: {value!r} ({type(value).__name__}) is not {hint.__name__}"]


def _typed_dict_errors(value: Any, hint: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: {type(value).__name__} is not a {hint.__name__}"]
    # Read NotRequired from the hints themselves: under ``from __future__ import annotations`` Python 3.11
    # cannot see it when it builds __required_keys__.
    fields = {}
    required = set()
    for key, field in get_type_hints(hint, include_extras=True).items():
        if get_origin(field) is NotRequired:
            field = get_args(field)[0]
        elif hint.__total__:
            required.add(key)
        fields[key] = field
    errors = [f"{where}: {hint.__name__} lacks {key!r}" for key in sorted(required - value.keys())]
    errors += [f"{where}: {key!r} is not declared in {hint.__name__}" for key in sorted(value.keys() - fields.keys())]
    for key, element in value.items():
        if key in fields:
            errors += type_errors(element, fields[key], f"{where}.{key}")
    return errors


def result_type(function: Any) -> Any:
    """The declared return type of a selector."""
    return get_type_hints(function)["return"]
