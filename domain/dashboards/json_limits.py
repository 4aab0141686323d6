"""Bounds on free-form JSON documents kept for the dashboard (DESIGN.md §7: every limit named)."""

from __future__ import annotations

import json
import math
from typing import Any

from domain.errors import LimitExceeded, ValidationError


def json_size(value: Any, *, field: str) -> int:
    """The document's size as compact UTF-8 JSON; NaN and infinities are refused (not JSON)."""
    try:
        return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"not a JSON value: {exc}", field=field) from None


def check_json(value: Any, *, field: str, max_bytes: int, limit: str, max_depth: int = 8) -> None:
    """``value`` is JSON of at most ``max_bytes`` and ``max_depth`` levels."""
    _depth(value, field, max_depth)
    size = json_size(value, field=field)
    if size > max_bytes:
        raise LimitExceeded(f"{field} is {size} bytes as JSON, over the limit of {max_bytes}", field=field,
                            limit=limit, value=max_bytes)


def _depth(value: Any, field: str, left: int) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError("NaN and infinities are not JSON", field=field)
    if isinstance(value, (dict, list)):
        if left <= 0:
            raise ValidationError("nested too deeply", field=field)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            _depth(item, f"{field}.{key}" if isinstance(value, dict) else f"{field}[{key}]", left - 1)
