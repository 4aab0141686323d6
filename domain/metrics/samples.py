"""Samples: a millisecond timestamp and a float64 value (NaN and ±Inf are valid)."""

from __future__ import annotations

from typing import NamedTuple


class Sample(NamedTuple):
    timestamp_ms: int
    value: float


# Prometheus' staleness marker is a NaN with a specific bit pattern (0x7ff0000000000002).
# Every store keeps values bit for bit, so the marker survives; the PromQL engine treats
# it as Prometheus does (services/promql/values.py), everything else as an ordinary NaN.
