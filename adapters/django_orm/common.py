"""Helpers shared by the context apps: the tenant column and JSON-safe values.

JSON has no NaN or infinities, and PostgreSQL's ``jsonb`` refuses them, so non-finite
floats are stored as the strings ``"NaN"``, ``"+Inf"`` and ``"-Inf"`` (how Prometheus
spells them) and turned back into floats on the way out. Float *columns* store ±Inf
natively on both databases; NaN becomes NULL there (SQLite cannot keep NaN).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.db import models

from domain.metrics.samples import json_value, parse_json_value

TENANT_MAX_LENGTH = 63  # a DNS label, see domain.identity.tenants


def tenant_field(**kwargs: Any) -> models.CharField:
    return models.CharField(max_length=TENANT_MAX_LENGTH, help_text="the tenant this row belongs to", **kwargs)


def float_to_json(value: float | int | None) -> float | int | str | None:
    return json_value(value) if isinstance(value, float) else value


def float_from_json(value: Any) -> float | None:
    if value is None:
        return None
    return parse_json_value(value)


def nan_to_null(value: float) -> float | None:
    return None if math.isnan(value) else value


def null_to_nan(value: float | None) -> float:
    return math.nan if value is None else value


def to_json(value: Any) -> Any:
    """A JSON-safe copy of a JSON-like value (tuples and sets become lists; non-finite
    floats become strings, marked so they read back as floats)."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": float_to_json(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [to_json(v) for v in sorted(value, key=repr)]
    return {"$repr": repr(value)}


def from_json(value: Any) -> Any:
    """Inverse of ``to_json``; lists come back as tuples (the domain's frozen JSON)."""
    if isinstance(value, list):
        return tuple(from_json(v) for v in value)
    if isinstance(value, dict):
        if value.keys() == {"$float"}:
            return float_from_json(value["$float"])
        if value.keys() == {"$repr"}:
            return value["$repr"]
        return {k: from_json(v) for k, v in value.items()}
    return value


def pairs_to_json(pairs: tuple[tuple[str, str], ...]) -> list[list[str]]:
    return [[k, v] for k, v in pairs]


def pairs_from_json(value: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(value, Mapping):
        return tuple(value.items())
    return tuple((str(k), str(v)) for k, v in value or ())
