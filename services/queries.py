"""Read side of telemetry: series listing and range queries, always tenant-scoped.

A range query takes one of two paths, and both give the same answer:

* **samples**: every sample of ``[start - window, end]`` is read and
  ``domain.metrics.query.evaluate_range`` aggregates each step's window. Always right,
  but a month at one point per hour still reads every raw sample of the month.
* **rollups**: when the store keeps per-bucket aggregates (``ports.samples.RollupReader``:
  PostgreSQL's 1-minute and 1-hour rollups), the function is one of AVG, MIN, MAX, SUM,
  COUNT, LAST, and one bucket size of whole minutes tiles every window (it divides the
  step, the window and the start), each step combines the buckets of its window
  (AVG = sum of sums / sum of counts, MIN of the minima, ...). What is not compacted
  yet (the head, recent chunks) the store answers from the samples inside
  ``select_rollup``, so the range may end now.

Why the rollup path is exact only after a check: a query window is ``(t - w, t]``
(Prometheus' left-open window) but a bucket is ``[b, b + size)``. Whole buckets
``[t - w, t)`` hold exactly the window's samples unless a sample sits *on* ``t - w``
(in the buckets, not in the window) or *on* ``t`` (in the window, not in the buckets).
The store says per bucket whether its first sample lies on its start (``at_start``);
the few steps where that happens are recomputed from the samples of their windows,
and if there are many (data stamped on whole minutes) the whole query takes the
samples path. MIN, MAX, COUNT and LAST are then bit-exact; SUM and AVG add per-bucket
sums, so they may differ from the exactly rounded sum of the samples path in the last
bits, and a sum whose finite partial sums overflow is Inf there (never with integers
or values of few binary digits, where both paths agree exactly).
"""

from __future__ import annotations

import dataclasses
import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import LimitExceeded
from domain.metrics.aggregations import Aggregation, combine
from domain.metrics.labels import LabelSet
from domain.metrics.query import RangeQuery, Selector, evaluate_range, group_series
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.samples import RollupReader, SampleStore, SeriesInfo, SeriesRollup

MINUTE_MS = 60_000  # the finest rollup a store keeps; smaller buckets save nothing
ROLLUP_FUNCTIONS = frozenset(
    {Aggregation.AVG, Aggregation.MIN, Aggregation.MAX, Aggregation.SUM, Aggregation.COUNT, Aggregation.LAST}
)
# Steps recomputed from samples (a sample on a window's edge) are read in runs of
# consecutive steps; past these bounds one read of the whole range is cheaper.
MAX_PATCH_READS = 64
MAX_PATCH_SHARE = 0.25  # of the range's samples

PerSeries = list[tuple[SeriesKey, list[Sample]]]


@dataclass(frozen=True, slots=True)
class ResultSeries:
    name: str | None
    labels: LabelSet
    samples: list[Sample]


def rollup_bucket_ms(query: RangeQuery) -> int | None:
    """The largest bucket that tiles every window of ``query``, if rollups can answer it.

    Buckets start at multiples of their size since the epoch, so the size must divide
    the step, the window and the start (then every ``t`` and ``t - w`` is a bucket
    edge); it must be whole minutes, or no rollup is coarse enough to help.
    """
    if query.function not in ROLLUP_FUNCTIONS:
        return None
    bucket = math.gcd(query.step_ms, query.effective_window_ms, query.start_ms)
    return bucket if bucket % MINUTE_MS == 0 else None


class TelemetryQueries:
    def __init__(self, store: SampleStore, max_series_per_query: int = 10_000, *, use_rollups: bool = True) -> None:
        self._store = store
        self._max_series = max_series_per_query
        self._use_rollups = use_rollups

    async def series(self, tenant: str, selectors: Sequence[Selector], start_ms: int | None, end_ms: int | None, limit: int = 10_000) -> list[SeriesInfo]:
        return await self._store.series(tenant, selectors, start_ms, end_ms, limit)

    async def query_range(self, tenant: str, query: RangeQuery, *, rollups: bool | None = None) -> list[ResultSeries]:
        """Evaluate ``query``; ``rollups=False`` forces the samples path (comparisons, tests)."""
        use = self._use_rollups if rollups is None else rollups
        bucket = rollup_bucket_ms(query) if use and isinstance(self._store, RollupReader) else None
        per_series = await self._from_rollups(tenant, query, bucket) if bucket is not None else None
        if per_series is None:
            per_series = await self._from_samples(tenant, query)
        # One order whichever path answered: group LAST depends on it.
        per_series.sort(key=lambda kp: (kp[0].name, kp[0].labels.pairs))
        if query.group_by is None:
            return [ResultSeries(k.name, k.labels, pts) for k, pts in per_series if pts]
        grouped = group_series(query, [(k.labels, pts) for k, pts in per_series])
        return [ResultSeries(None, labels, pts) for labels, pts in grouped if pts]

    def _check_series(self, count: int) -> None:
        if count > self._max_series:
            raise LimitExceeded(
                f"query selects {count} series, over the limit of {self._max_series}; narrow the selector",
                field="query", limit="max_series_per_query", value=self._max_series,
            )

    async def _from_samples(self, tenant: str, query: RangeQuery) -> PerSeries:
        # Read one window's worth before the first step so the first point is complete.
        data = await self._store.select(tenant, query.selector, query.start_ms - query.effective_window_ms + 1, query.end_ms)
        self._check_series(len(data))
        return [(d.key, evaluate_range(query, d.samples)) for d in data]

    async def _from_rollups(self, tenant: str, query: RangeQuery, bucket_ms: int) -> PerSeries | None:
        """Per-series points from buckets, or None when the samples path must answer."""
        assert isinstance(self._store, RollupReader)
        window = query.effective_window_ms
        rollups = await self._store.select_rollup(tenant, query.selector, query.start_ms - window, query.end_ms, bucket_ms)
        self._check_series(len(rollups))
        out: PerSeries = []
        edges: dict[SeriesKey, list[int]] = {}
        for r in rollups:
            if r.at_start is None:
                return None  # the store cannot tell where samples sit on bucket edges
            points, on_edge = evaluate_buckets(query, r)
            out.append((r.key, points))
            if on_edge:
                edges[r.key] = on_edge
        if edges and not await self._patch(tenant, query, out, edges):
            return None
        return out

    async def _patch(self, tenant: str, query: RangeQuery, out: PerSeries, edges: dict[SeriesKey, list[int]]) -> bool:
        """Recompute the steps in ``edges`` from samples, in place; False if too many."""
        window = query.effective_window_ms
        runs = step_runs(sorted(set().union(*edges.values())), query.step_ms)
        read = sum(last - first + window for first, last in runs)
        if len(runs) > MAX_PATCH_READS or read > MAX_PATCH_SHARE * (query.end_ms - query.start_ms + window):
            return False
        fixed: dict[SeriesKey, dict[int, float]] = {k: {} for k in edges}
        for first, last in runs:
            part = dataclasses.replace(query, start_ms=first, end_ms=last)
            for d in await self._store.select(tenant, query.selector, first - window + 1, last):
                if d.key in fixed:
                    fixed[d.key].update(evaluate_range(part, d.samples))
        for i, (key, points) in enumerate(out):
            if key in edges:
                got = fixed[key]
                extra = [Sample(t, got[t]) for t in edges[key] if t in got]
                out[i] = (key, sorted(points + extra, key=lambda s: s.timestamp_ms))
        return True


def evaluate_buckets(query: RangeQuery, rollup: SeriesRollup) -> tuple[list[Sample], list[int]]:
    """One series' points from buckets that tile its windows, and the steps they cannot
    answer exactly (a sample on ``t - w`` or on ``t``, or not known: see the module)."""
    ts = _as_list(rollup.timestamps)
    at_start = _as_list(rollup.at_start) if rollup.at_start is not None else [-1] * len(ts)
    mins, maxs, sums = _as_list(rollup.min), _as_list(rollup.max), _as_list(rollup.sum)
    counts, lasts = _as_list(rollup.count), _as_list(rollup.last)
    fn, window, n_buckets = query.function, query.effective_window_ms, len(ts)
    points: list[Sample] = []
    on_edge: list[int] = []
    lo = hi = 0
    for t in query.steps():
        lo = bisect_left(ts, t - window, lo)  # buckets [t - w, t): indexes lo..hi-1
        hi = bisect_left(ts, t, hi)
        if (lo < n_buckets and ts[lo] == t - window and at_start[lo]) or (hi < n_buckets and ts[hi] == t and at_start[hi]):
            on_edge.append(t)
            continue
        if hi <= lo:
            continue
        n = sum(counts[lo:hi])
        if n <= 0:
            continue
        if fn is Aggregation.COUNT:
            value = float(n)
        elif fn is Aggregation.LAST:
            value = float(lasts[hi - 1])
        elif fn is Aggregation.MIN:
            value = combine(Aggregation.MIN, mins[lo:hi])
        elif fn is Aggregation.MAX:
            value = combine(Aggregation.MAX, maxs[lo:hi])
        elif fn is Aggregation.SUM:
            value = combine(Aggregation.SUM, sums[lo:hi])
        else:
            value = combine(Aggregation.SUM, sums[lo:hi]) / n
        points.append(Sample(t, value))
    return points, on_edge


def step_runs(steps: Sequence[int], step_ms: int) -> list[tuple[int, int]]:
    """Sorted step timestamps as runs of consecutive steps: ``[(first, last), ...]``."""
    runs: list[tuple[int, int]] = []
    for t in steps:
        if runs and t - runs[-1][1] <= step_ms:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


def _as_list(column: Sequence) -> list:
    """Plain Python values: numpy columns convert in one call (``tolist``)."""
    tolist = getattr(column, "tolist", None)
    return tolist() if tolist is not None else list(column)
