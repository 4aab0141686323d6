"""Range queries answered from rollups equal the same queries answered from samples.

The property test runs both paths of ``TelemetryQueries.query_range`` on one memory
store (its ``select_rollup`` computes buckets from its samples, as PostgreSQL does for
windows it has not compacted). Values are multiples of 1/4 (with NaN and ±Inf mixed
in), so every sum is exact and both paths must agree to the bit, AVG and SUM included.
Timestamps land on whole minutes and hours often, so the edge cases (a sample on a
window's edge) are exercised as much as the plain ones.
"""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory.samples import MemorySampleStore
from domain.errors import LimitExceeded
from domain.metrics.aggregations import Aggregation
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.query import RangeQuery, Selector
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.samples import SeriesRollup
from services.queries import TelemetryQueries, evaluate_buckets, rollup_bucket_ms, step_runs

MIN, HOUR = 60_000, 3_600_000
T0 = 1_800_000_000_000 - 1_800_000_000_000 % (24 * HOUR)  # midnight
CPU = Selector.parse("cpu")
KEYS = [SeriesKey.of("acme", "cpu", {"host": h, "dc": dc}) for h, dc in (("a", "x"), ("b", "x"), ("c", "y"))]
ROLLUP_FUNCTIONS = ["avg", "min", "max", "sum", "count", "last"]


class SpyStore(MemorySampleStore):
    """Counts which read each query used."""

    def __init__(self) -> None:
        super().__init__()
        self.selects: list[tuple[int, int]] = []
        self.rollups: list[int] = []
        self._inside = False

    async def select(self, tenant, selector, start_ms, end_ms):
        if not self._inside:  # the memory store's select_rollup reads through select
            self.selects.append((start_ms, end_ms))
        return await super().select(tenant, selector, start_ms, end_ms)

    async def select_rollup(self, tenant, selector, start_ms, end_ms, step_ms):
        self.rollups.append(step_ms)
        self._inside = True
        try:
            return await super().select_rollup(tenant, selector, start_ms, end_ms, step_ms)
        finally:
            self._inside = False


class NoEdgeInfoStore(SpyStore):
    """A rollup reader that does not say where samples sit (an older or foreign store)."""

    async def select_rollup(self, tenant, selector, start_ms, end_ms, step_ms):
        got = await super().select_rollup(tenant, selector, start_ms, end_ms, step_ms)
        return [SeriesRollup(r.key, r.timestamps, r.min, r.max, r.sum, r.count, r.last) for r in got]


def bits(v: float) -> bytes:
    return struct.pack("<d", v)


def as_comparable(result):
    """NaN equals NaN, and -0.0 equals 0.0 (IEEE ==), so compare bits of non-zeros."""
    return [(r.name, r.labels, [(s.timestamp_ms, bits(s.value) if s.value != 0 else 0.0) for s in r.samples]) for r in result]


async def load(store, data: dict[SeriesKey, list[tuple[int, float]]]) -> None:
    series = tuple(SeriesSamples(k, tuple(Sample(t, v) for t, v in sorted(dict(pts).items()))) for k, pts in data.items() if pts)
    if series:
        await store.write([SampleBatch("acme", series)])


async def both_paths(store, query: RangeQuery):
    queries = TelemetryQueries(store)
    return await queries.query_range("acme", query, rollups=True), await queries.query_range("acme", query, rollups=False)


# ----------------------------------------------------------------- the property

value = st.one_of(
    st.integers(-(2**20), 2**20).map(lambda k: k / 4),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0]),
)
offset = st.one_of(  # within six hours of T0; often exactly on a minute or an hour
    st.integers(0, 6 * 60).map(lambda m: m * MIN),
    st.integers(0, 6).map(lambda h: h * HOUR),
    st.integers(0, 6 * HOUR),
)
series_points = st.lists(st.tuples(offset, value), max_size=120)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=300)
@given(
    points=st.lists(series_points, min_size=1, max_size=3),
    function=st.sampled_from(ROLLUP_FUNCTIONS + ["rate", "quantile"]),
    step=st.sampled_from([MIN, 2 * MIN, 5 * MIN, 15 * MIN, 90 * MIN, HOUR, 2 * HOUR, 30_000, 45_000]),
    window=st.sampled_from([None, None, MIN, 10 * MIN, HOUR, 3 * HOUR, 90_000]),
    start=st.one_of(st.integers(0, 6 * 60).map(lambda m: m * MIN), st.integers(0, 2 * HOUR)),
    steps=st.integers(1, 40),
    group=st.sampled_from([None, None, (), ("dc",)]),
    group_aggregation=st.sampled_from(["sum", "avg", "min", "max", "count", "last"]),
)
async def test_rollup_path_equals_samples_path(points, function, step, window, start, steps, group, group_aggregation):
    store = SpyStore()
    await load(store, {k: [(T0 + o, v) for o, v in pts] for k, pts in zip(KEYS, points)})
    query = RangeQuery(
        CPU, T0 + start, T0 + start + (steps - 1) * step, step, function, window_ms=window,
        q=0.5 if function == "quantile" else None, group_by=group, group_aggregation=group_aggregation,
    )
    fast, slow = await both_paths(store, query)
    assert as_comparable(fast) == as_comparable(slow)
    assert bool(store.rollups) == (rollup_bucket_ms(query) is not None)


# ----------------------------------------------------------------- which path, and why


def test_the_bucket_divides_step_window_and_start_and_is_whole_minutes():
    q = lambda **kw: RangeQuery(CPU, kw.pop("start", T0), kw.pop("start", T0) + 10 * HOUR, **kw)  # noqa: E731
    assert rollup_bucket_ms(q(step_ms=HOUR, function="avg")) == HOUR
    assert rollup_bucket_ms(q(step_ms=HOUR, function="last")) == HOUR  # look-back = step (>= 5 min)
    assert rollup_bucket_ms(q(step_ms=MIN, function="last")) == MIN  # look-back 5 min: 5 buckets per step
    assert rollup_bucket_ms(q(step_ms=90 * MIN, function="max")) == 90 * MIN
    assert rollup_bucket_ms(q(step_ms=HOUR, function="sum", window_ms=90 * MIN)) == 30 * MIN
    assert rollup_bucket_ms(q(step_ms=HOUR, function="sum", start=T0 + 5 * MIN)) == 5 * MIN
    assert rollup_bucket_ms(q(step_ms=HOUR, function="sum", start=T0 + 1)) is None  # not on a minute
    assert rollup_bucket_ms(q(step_ms=30_000, function="sum")) is None
    assert rollup_bucket_ms(q(step_ms=HOUR, function="rate")) is None
    assert rollup_bucket_ms(q(step_ms=HOUR, function="quantile", q=0.9)) is None


async def test_an_hourly_query_reads_hour_buckets_not_samples():
    store = SpyStore()
    await load(store, {KEYS[0]: [(T0 + 7 + i * 15_000, float(i % 13)) for i in range(4 * 240)]})
    query = RangeQuery(CPU, T0 + HOUR, T0 + 4 * HOUR, HOUR, "avg")
    fast, slow = await both_paths(store, query)
    assert store.rollups == [HOUR] and store.selects == [(T0 + 1, T0 + 4 * HOUR)]  # the second is the samples path
    assert fast == slow and len(fast[0].samples) == 4


async def test_samples_on_window_edges_are_recomputed_from_their_windows_only():
    store = SpyStore()
    pts = [(T0 + 7 + i * 15_000, float(i % 13)) for i in range(24 * 240)]
    pts += [(T0 + 5 * HOUR, 1000.0), (T0 + 9 * HOUR, -1000.0)]  # on the edges of four windows
    await load(store, {KEYS[0]: pts})
    query = RangeQuery(CPU, T0 + HOUR, T0 + 23 * HOUR, HOUR, "max")
    queries = TelemetryQueries(store)
    fast = await queries.query_range("acme", query)
    assert store.rollups == [HOUR]
    assert store.selects == [(T0 + 4 * HOUR + 1, T0 + 6 * HOUR), (T0 + 8 * HOUR + 1, T0 + 10 * HOUR)]
    assert fast == await queries.query_range("acme", query, rollups=False)
    assert dict(fast[0].samples)[T0 + 5 * HOUR] == 1000.0  # the window ending on it holds it
    assert dict(fast[0].samples)[T0 + 6 * HOUR] == 12.0  # the one starting on it does not


async def test_data_stamped_on_every_edge_takes_the_samples_path():
    store = SpyStore()
    await load(store, {KEYS[0]: [(T0 + i * 15_000, float(i % 7)) for i in range(12 * 240)]})
    query = RangeQuery(CPU, T0 + HOUR, T0 + 11 * HOUR, HOUR, "min")
    queries = TelemetryQueries(store)
    fast = await queries.query_range("acme", query)
    assert store.rollups == [HOUR] and store.selects == [(T0 + 1, T0 + 11 * HOUR)]
    assert fast == await queries.query_range("acme", query, rollups=False)


async def test_a_store_that_cannot_tell_edges_is_read_by_samples():
    store = NoEdgeInfoStore()
    await load(store, {KEYS[0]: [(T0 + 7 + i * 15_000, 1.0) for i in range(240)]})
    query = RangeQuery(CPU, T0 + HOUR, T0 + HOUR, HOUR, "count")
    fast = await TelemetryQueries(store).query_range("acme", query)
    assert store.rollups and store.selects == [(T0 + 1, T0 + HOUR)]
    assert fast[0].samples == [Sample(T0 + HOUR, 240.0)]


async def test_rollups_can_be_switched_off_and_stores_without_them_are_read_by_samples():
    store = SpyStore()
    await load(store, {KEYS[0]: [(T0 + 7, 1.0)]})
    query = RangeQuery(CPU, T0 + HOUR, T0 + HOUR, HOUR, "count")
    await TelemetryQueries(store, use_rollups=False).query_range("acme", query)
    assert not store.rollups

    class Plain:  # a SampleStore without select_rollup
        def __init__(self, inner):
            self.select = inner.select

    got = await TelemetryQueries(Plain(store)).query_range("acme", query)  # type: ignore[arg-type]
    assert got[0].samples == [Sample(T0 + HOUR, 1.0)]


async def test_the_series_limit_holds_on_the_rollup_path():
    store = SpyStore()
    await load(store, {k: [(T0 + 7, 1.0)] for k in KEYS})
    with pytest.raises(LimitExceeded) as err:
        await TelemetryQueries(store, max_series_per_query=2).query_range("acme", RangeQuery(CPU, T0 + HOUR, T0 + HOUR, HOUR, "sum"))
    assert err.value.limit == "max_series_per_query" and store.rollups


def test_bucket_columns_may_be_any_sequences_and_empty_windows_give_no_point():
    key = KEYS[0]
    rollup = SeriesRollup(key, (0, 2 * MIN), (1.0, 5.0), (3.0, 5.0), (4.0, 5.0), (2, 1), (3.0, 5.0), (0, 0))
    query = RangeQuery(CPU, MIN, 3 * MIN, MIN, "max")
    assert evaluate_buckets(query, rollup) == ([Sample(MIN, 3.0), Sample(3 * MIN, 5.0)], [])  # 2 min: an empty window
    assert evaluate_buckets(query, SeriesRollup(key, (0,), (1.0,), (1.0,), (1.0,), (1,), (1.0,), (1,))) == ([], [MIN])


def test_step_runs_join_consecutive_steps():
    assert step_runs([], 10) == []
    assert step_runs([0, 10, 20, 40, 70, 80], 10) == [(0, 20), (40, 40), (70, 80)]
