"""Read side helpers: selectors as SQL, chunk decoding and merging, per-step buckets.

Why split this way: the catalogue narrows series in SQL as far as it safely can
(equality on the name and JSONB containment for label equalities, both indexed); the
rest of a selector (regexes, negations) is checked in Python on the few rows left, so
every selector means exactly what ``Selector.matches`` says. Samples never become
Python objects before the last step: chunks decode to numpy arrays, are merged
(the newest write of a timestamp wins) and bucketed with ``reduceat``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from adapters.postgres.codec import decode_chunk
from adapters.postgres.head import decode_raw, is_raw
from domain.metrics.matchers import METRIC_NAME_LABEL, MatchOp
from domain.metrics.query import Selector


def selector_sql(selector: Selector) -> tuple[str, list]:
    """A WHERE fragment (ANDed to the tenant filter) that every match satisfies."""
    clauses, params = [], []
    names = [selector.metric] if selector.metric is not None else []
    contains: dict[str, str] = {}
    for m in selector.matchers:
        if m.op is not MatchOp.EQ:
            continue
        if m.name == METRIC_NAME_LABEL:
            names.append(m.value)
        elif m.value:
            if contains.get(m.name, m.value) != m.value:
                return "false", []
            contains[m.name] = m.value
        else:
            clauses.append("NOT labels ? %s")  # ="" means the label is absent
            params.append(m.name)
    if names:
        if len(set(names)) > 1:
            return "false", []
        clauses.append("name = %s")
        params.append(names[0])
    if contains:
        clauses.append("labels @> %s::jsonb")
        params.append(json.dumps(contains))
    return (" AND ".join(clauses) or "true"), params


def decode_any(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    return decode_raw(blob) if is_raw(blob) else decode_chunk(blob)


def merge(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate sorted parts given oldest write first; on equal timestamps the later
    part wins. Parts that follow one another in time (the usual case) cost no sort."""
    parts = [p for p in parts if p[0].size]
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    if len(parts) == 1:
        return parts[0]
    ts = np.concatenate([p[0] for p in parts])
    vs = np.concatenate([p[1] for p in parts])
    if np.all(ts[1:] > ts[:-1]):
        return ts, vs
    order = np.argsort(ts, kind="stable")
    ts, vs = ts[order], vs[order]
    last = np.ones(ts.size, dtype=bool)
    last[:-1] = ts[1:] != ts[:-1]
    return ts[last], vs[last]


def clip(ts: np.ndarray, vs: np.ndarray, start_ms: int, end_ms: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.searchsorted(ts, start_ms, "left"), np.searchsorted(ts, end_ms, "right")
    return ts[lo:hi], vs[lo:hi]


@dataclass
class Buckets:
    """Per-bucket aggregates of one series; ``ts`` is each bucket's start.

    ``at_start`` is 1 where the bucket's first sample lies exactly on its start, 0
    where it does not, -1 where that is not known (rollup rows written before it was
    recorded). Why keep it: a query window is ``(t - w, t]`` while a bucket is
    ``[b, b + step)``, so whole buckets answer a window exactly only when no sample
    sits on the two boundaries (see services/queries.py).
    """

    ts: np.ndarray
    min: np.ndarray
    max: np.ndarray
    sum: np.ndarray
    count: np.ndarray
    last: np.ndarray
    at_start: np.ndarray

    FIELDS = ("ts", "min", "max", "sum", "count", "last", "at_start")

    @classmethod
    def empty(cls) -> "Buckets":
        f, i = np.empty(0, np.float64), np.empty(0, np.int64)
        return cls(i, f, f, f, i, f, i)

    def columns(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return [self.min, self.max, self.sum, self.last], [self.count, self.at_start]

    @classmethod
    def from_columns(cls, ts: np.ndarray, floats: list[np.ndarray], ints: list[np.ndarray]) -> "Buckets":
        mn, mx, sm, last = floats
        at_start = ints[1] if len(ints) > 1 else np.full(ts.size, -1, np.int64)
        return cls(ts, mn, mx, sm, ints[0], last, at_start)

    def select(self, mask: np.ndarray) -> "Buckets":
        return Buckets(*(getattr(self, f)[mask] for f in self.FIELDS))

    @staticmethod
    def concat(parts: list["Buckets"]) -> "Buckets":
        parts = [p for p in parts if p.ts.size]
        if not parts:
            return Buckets.empty()
        cat = Buckets(*(np.concatenate([getattr(p, f) for p in parts]) for f in Buckets.FIELDS))
        if np.all(cat.ts[1:] > cat.ts[:-1]):
            return cat
        return cat.select(np.argsort(cat.ts, kind="stable"))


def bucketize(ts: np.ndarray, vs: np.ndarray, step_ms: int) -> Buckets:
    """Aggregate sorted samples into epoch-aligned buckets ``[b, b + step)``.

    MIN and MAX ignore NaN unless the bucket is all NaN (Prometheus' ``min_over_time``);
    SUM follows IEEE arithmetic (a NaN makes it NaN).
    """
    if ts.size == 0:
        return Buckets.empty()
    b = ts - np.mod(ts, step_ms)
    starts = np.flatnonzero(np.concatenate(([True], b[1:] != b[:-1])))
    ends = np.concatenate((starts[1:], [ts.size]))
    with np.errstate(invalid="ignore", over="ignore"):  # Inf - Inf is NaN, as IEEE says
        return Buckets(
            b[starts], np.fmin.reduceat(vs, starts), np.fmax.reduceat(vs, starts), np.add.reduceat(vs, starts),
            (ends - starts).astype(np.int64), vs[ends - 1], (ts[starts] == b[starts]).astype(np.int64),
        )


def rebucket(src: Buckets, step_ms: int) -> Buckets:
    """Merge finer buckets (sorted) into coarser epoch-aligned ones."""
    if src.ts.size == 0:
        return src
    b = src.ts - np.mod(src.ts, step_ms)
    starts = np.flatnonzero(np.concatenate(([True], b[1:] != b[:-1])))
    ends = np.concatenate((starts[1:], [b.size]))
    # A coarse bucket starts with a sample only if its first fine bucket does and
    # begins where it begins (an absent fine bucket holds no sample at all).
    at_start = np.where(src.ts[starts] == b[starts], src.at_start[starts], 0)
    with np.errstate(invalid="ignore", over="ignore"):
        return Buckets(
            b[starts], np.fmin.reduceat(src.min, starts), np.fmax.reduceat(src.max, starts),
            np.add.reduceat(src.sum, starts), np.add.reduceat(src.count, starts), src.last[ends - 1], at_start,
        )
