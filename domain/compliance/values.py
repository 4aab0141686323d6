"""JSON-like values: what a fact check may expect, and how two of them compare.

Facts come from configuration snapshots and JSON APIs, so expected values are limited
to JSON's types (null, booleans, finite numbers, strings, lists, objects with string
keys). Lists become tuples so checks stay hashable; objects are copied into plain
dicts (kept picklable, for task queues) and excluded from a check's hash. Equality is JSON's, not
Python's: ``True == 1`` in Python, but a boolean fact is never equal to a number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from domain.errors import ValidationError

MAX_DEPTH = 16


def is_number(value: object) -> bool:
    """int or float, but not bool (a bool is an int in Python, not a number in JSON)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def freeze_json(value: object, *, field: str = "expected", _depth: int = 0) -> object:
    """Validate a JSON-like value and return a copy (lists → tuples, objects → dicts)."""
    if _depth > MAX_DEPTH:
        raise ValidationError(f"value nested deeper than {MAX_DEPTH} levels", field=field)
    if value is None or isinstance(value, (bool, str)):
        return value
    if is_number(value):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError("expected values must be finite numbers", field=field)
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return tuple(freeze_json(v, field=f"{field}[{i}]", _depth=_depth + 1) for i, v in enumerate(items))
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValidationError("object keys must be strings", field=field)
            out[k] = freeze_json(v, field=f"{field}.{k}", _depth=_depth + 1)
        return out
    raise ValidationError(f"{type(value).__name__} is not a JSON value", field=field)


def json_equal(a: object, b: object) -> bool:
    """Equality with JSON's types: booleans, numbers, strings, null never cross-compare."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) or is_number(b):
        return is_number(a) and is_number(b) and a == b
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return False
