"""Rollups computed from raw samples: what the stores without precomputed rollup
tables (memory, SQLite) answer ``select_rollup`` with, and the reference the PostgreSQL
rollup tables are tested against."""

from __future__ import annotations

import math
from collections.abc import Sequence

from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.samples import SeriesRollup


def rollup(key: SeriesKey, samples: Sequence[Sample], step_ms: int) -> SeriesRollup:
    """Per-bucket min, max, sum, count and last (min/max ignore NaN unless all are NaN)."""
    ts: list[int] = []
    mn: list[float] = []
    mx: list[float] = []
    sm: list[float] = []
    count: list[int] = []
    last: list[float] = []
    at_start: list[int] = []
    for t, v in samples:
        b = t - t % step_ms
        if not ts or ts[-1] != b:
            ts.append(b)
            mn.append(v)
            mx.append(v)
            sm.append(v)
            count.append(1)
            last.append(v)
            at_start.append(int(t == b))
            continue
        if not math.isnan(v):
            if math.isnan(mn[-1]) or v < mn[-1]:
                mn[-1] = v
            if math.isnan(mx[-1]) or v > mx[-1]:
                mx[-1] = v
        sm[-1] += v
        count[-1] += 1
        last[-1] = v
    return SeriesRollup(key, ts, mn, mx, sm, count, last, at_start)
