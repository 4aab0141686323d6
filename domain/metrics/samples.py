"""Samples: a millisecond timestamp and a float64 value (NaN and ±Inf are valid)."""

from __future__ import annotations

from typing import NamedTuple


class Sample(NamedTuple):
    timestamp_ms: int
    value: float


# Prometheus' staleness marker is a specific NaN bit pattern; we keep plain NaN as a
# value and mark staleness out of band, so no bit pattern has a special meaning here.
