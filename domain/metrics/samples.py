"""Samples: a millisecond timestamp and a float64 value (NaN and ±Inf are valid)."""

from __future__ import annotations

import math
from typing import NamedTuple

NON_FINITE: dict[str, float] = {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}
"""NaN and the infinities as Prometheus spells them (JSON has no such numbers)."""


class Sample(NamedTuple):
    timestamp_ms: int
    value: float


# Prometheus' staleness marker is a NaN with a specific bit pattern (0x7ff0000000000002).
# Every store keeps values bit for bit, so the marker survives; the PromQL engine treats
# it as Prometheus does (services/promql/values.py), everything else as an ordinary NaN.


def json_value(value: float) -> float | str:
    """A value for JSON: a finite float as it is, NaN and ±Inf as ``"NaN"``, ``"+Inf"``,
    ``"-Inf"`` (how Prometheus writes them; JSON, and PostgreSQL's jsonb, have none)."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def parse_json_value(value: float | int | str) -> float:
    """Inverse of ``json_value`` (numbers and numeric strings are accepted too)."""
    if isinstance(value, str):
        return NON_FINITE[value] if value in NON_FINITE else float(value)
    return float(value)


def format_value(value: float) -> str:
    """A value as text, as Prometheus prints it: integers without ``.0``, NaN and ±Inf
    spelled out (``{{ $value }}`` in annotations, the values of query answers)."""
    spelled = json_value(value)
    if isinstance(spelled, str):
        return spelled
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))
