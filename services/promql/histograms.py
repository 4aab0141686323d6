"""``histogram_quantile`` over classic (``le``) buckets, every step at once.

Which buckets exist can differ from step to step (a bucket series may start later), so
steps are grouped by the set of buckets present; each group is then computed as
Prometheus' ``bucketQuantile`` does (sort by bound, require a +Inf bucket, merge equal
bounds, force counts monotonic, find the rank's bucket with Go's ``sort.Search``,
interpolate linearly), vectorised over the group's steps.
"""

from __future__ import annotations

import numpy as np


def _go_search(counts: np.ndarray, rank: np.ndarray, n: int) -> np.ndarray:
    """``sort.Search(n, func(i) bool { return counts[i] >= rank })`` per column, the
    same bisection as Go's (it decides where NaN counts land)."""
    lo = np.zeros(rank.size, np.int64)
    hi = np.full(rank.size, n, np.int64)
    cols = np.arange(rank.size)
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        ok = counts[np.minimum(mid, counts.shape[0] - 1), cols] >= rank
        lo = np.where(active & ~ok, mid + 1, lo)
        hi = np.where(active & ok, mid, hi)


def _quantile(q: np.ndarray, upper: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Buckets ``upper`` (sorted, same at every column) with ``counts[bucket, step]``."""
    steps = q.size
    if upper.size == 0 or not np.isposinf(upper[-1]):
        out = np.full(steps, np.nan)
    else:
        # Merge equal bounds (adding counts in order), then make counts monotonic.
        starts = np.flatnonzero(np.concatenate(([True], upper[1:] != upper[:-1])))
        upper = upper[starts]
        merged = counts[starts].copy()
        for k, s in enumerate(starts):
            end = starts[k + 1] if k + 1 < starts.size else counts.shape[0]
            for extra in range(s + 1, end):
                merged[k] = merged[k] + counts[extra]
        counts = np.where(np.isnan(merged), np.nan, np.fmax.accumulate(merged, axis=0))
        n = upper.size
        if n < 2:
            out = np.full(steps, np.nan)
        else:
            observations = counts[-1]
            rank = q * observations
            b = _go_search(counts, rank, n - 1)
            cols = np.arange(steps)
            prev = np.maximum(b - 1, 0)
            below = np.where(b > 0, counts[prev, cols], 0.0)
            start = np.where(b > 0, upper[prev], 0.0)
            end = upper[np.minimum(b, n - 1)]
            count = counts[np.minimum(b, n - 1), cols] - below
            out = start + (end - start) * ((rank - below) / count)
            out = np.where((b == 0) & (upper[0] <= 0), upper[0], out)
            out = np.where(b == n - 1, upper[n - 2], out)
            out = np.where(observations == 0, np.nan, out)
    out = np.where(q < 0, -np.inf, np.where(q > 1, np.inf, out))
    return np.where(np.isnan(q), np.nan, out)


def bucket_quantile(q: np.ndarray, upper: np.ndarray, counts: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The quantile ``q[t]`` of one histogram at every step: ``upper[bucket]`` bounds,
    ``counts``/``present`` per bucket and step. Returns (values, present)."""
    steps = q.size
    has = present.any(axis=0)
    out = np.full(steps, np.nan)
    order = np.argsort(upper, kind="stable")
    upper, counts, present = upper[order], counts[order], present[order]
    patterns, which = np.unique(np.packbits(present, axis=0), axis=1, return_inverse=True)
    which = which.reshape(-1)
    for p in range(patterns.shape[1]):
        cols = np.flatnonzero(which == p)
        rows = np.flatnonzero(present[:, cols[0]])
        if rows.size:
            out[cols] = _quantile(q[cols], upper[rows], counts[np.ix_(rows, cols)])
    return out, has
