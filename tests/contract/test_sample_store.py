"""Contract of ports.samples.SampleStore, run against every adapter.

To cover a new adapter, append one async context manager factory to STORES: it yields
a ready, empty store and cleans up after the test.
"""

from __future__ import annotations

import math
import random
import struct
import uuid
from contextlib import asynccontextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory.samples import MemorySampleStore
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.kinds import MetricKind
from domain.metrics.query import Selector
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.samples import BusPosition, SampleStore
from tests.contract.samples_support import postgres_store, sqlite_store


@asynccontextmanager
async def memory_store():
    yield MemorySampleStore()


STORES = [pytest.param(memory_store, id="memory")]
STORES += [pytest.param(sqlite_store, id="sqlite"), pytest.param(postgres_store, id="postgres")]


@pytest.fixture(params=STORES)
async def store(request) -> SampleStore:
    async with request.param() as s:
        yield s


def key(tenant: str, name: str, **labels: str) -> SeriesKey:
    return SeriesKey.of(tenant, name, labels)


def batch(tenant: str, *series: tuple[SeriesKey, list[tuple[int, float]]], kind=MetricKind.GAUGE, unit="") -> SampleBatch:
    return SampleBatch(
        tenant, tuple(SeriesSamples(k, tuple(Sample(t, v) for t, v in pts), kind, unit) for k, pts in series)
    )


def bits(value: float) -> bytes:
    return struct.pack("<d", value)


def by_key(result) -> dict[SeriesKey, list[tuple[int, bytes]]]:
    """Series -> [(t, value bits)], so NaN compares equal to NaN."""
    out = {}
    for data in result:
        assert data.key not in out, f"series {data.key} returned twice"
        out[data.key] = [(s.timestamp_ms, bits(s.value)) for s in data.samples]
    return out


def arrays_points(a) -> list[tuple[int, bytes]]:
    assert a.timestamps.dtype == np.int64 and a.values.dtype == np.float64
    return [(t, bits(v)) for t, v in zip(a.timestamps.tolist(), a.values.tolist())]


CPU_A = key("acme", "cpu_usage", host="a")
CPU_B = key("acme", "cpu_usage", host="b")
MEM_A = key("acme", "mem_used", host="a")


async def test_select_returns_samples_in_time_order_within_the_inclusive_range(store):
    points = [(t, float(t)) for t in range(1_000, 11_000, 1_000)]
    random.Random(7).shuffle(points)
    await store.write([batch("acme", (CPU_A, points))])

    result = await store.select("acme", Selector.parse('cpu_usage{host="a"}'), 3_000, 6_000)

    assert [d.key for d in result] == [CPU_A]
    assert [(s.timestamp_ms, s.value) for s in result[0].samples] == [(t, float(t)) for t in (3_000, 4_000, 5_000, 6_000)]


async def test_select_returns_only_matching_series(store):
    await store.write([batch("acme", (CPU_A, [(1_000, 1.0)]), (CPU_B, [(1_000, 2.0)]), (MEM_A, [(1_000, 3.0)]))])

    assert set(by_key(await store.select("acme", Selector.parse("cpu_usage"), 0, 10_000))) == {CPU_A, CPU_B}
    only_b = by_key(await store.select("acme", Selector.parse('cpu_usage{host="b"}'), 0, 10_000))
    assert only_b == {CPU_B: [(1_000, bits(2.0))]}
    assert by_key(await store.select("acme", Selector.parse('{host=~"a"}'), 0, 10_000)).keys() == {CPU_A, MEM_A}


async def test_select_outside_the_stored_range_returns_no_samples(store):
    await store.write([batch("acme", (CPU_A, [(5_000, 1.0)]))])

    for start, end in [(0, 4_999), (5_001, 9_000)]:
        result = await store.select("acme", Selector.parse("cpu_usage"), start, end)
        assert all(not d.samples for d in result)


async def test_rewriting_a_timestamp_replaces_the_value(store):
    await store.write([batch("acme", (CPU_A, [(1_000, 1.0), (2_000, 2.0)]))])
    await store.write([batch("acme", (CPU_A, [(1_000, 10.0)]))])

    assert by_key(await store.select("acme", Selector.parse("cpu_usage"), 0, 10_000)) == {
        CPU_A: [(1_000, bits(10.0)), (2_000, bits(2.0))]
    }


async def test_replaying_the_same_batch_is_idempotent(store):
    replayed = batch("acme", (CPU_A, [(1_000, 1.0), (2_000, 2.0)]), (MEM_A, [(1_500, 5.0)]))
    for _ in range(3):
        await store.write([replayed], [BusPosition("telemetry", 0, 42)])

    assert by_key(await store.select("acme", Selector.parse('{host="a"}'), 0, 10_000)) == {
        CPU_A: [(1_000, bits(1.0)), (2_000, bits(2.0))],
        MEM_A: [(1_500, bits(5.0))],
    }
    assert await store.count_series("acme") == 2
    assert await store.positions("telemetry") == {0: 42}


async def test_special_float_values_round_trip_bit_exactly(store):
    values = [math.nan, math.inf, -math.inf, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 0.1]
    await store.write([batch("acme", (CPU_A, [(1_000 + i, v) for i, v in enumerate(values)]))])

    (data,) = await store.select("acme", Selector.parse("cpu_usage"), 0, 10_000)
    got = [s.value for s in data.samples]
    assert math.isnan(got[0])
    assert [bits(v) for v in got] == [bits(v) for v in values]


async def test_positions_are_stored_with_a_write_and_the_latest_wins(store):
    assert await store.positions("telemetry") == {}
    await store.write([batch("acme", (CPU_A, [(1_000, 1.0)]))])
    assert await store.positions("telemetry") == {}, "a write without positions must not invent any"

    await store.write([batch("acme", (CPU_A, [(2_000, 1.0)]))], [BusPosition("telemetry", 0, 10), BusPosition("telemetry", 3, 7)])
    await store.write([batch("acme", (CPU_A, [(3_000, 1.0)]))], [BusPosition("telemetry", 0, 20)])
    await store.write([batch("acme", (CPU_A, [(4_000, 1.0)]))])

    assert await store.positions("telemetry") == {0: 20, 3: 7}
    assert await store.positions("alerts") == {}


async def test_positions_can_be_stored_without_samples(store):
    await store.write([], [BusPosition("telemetry", 1, 5)])
    assert await store.positions("telemetry") == {1: 5}


async def test_series_filters_by_selectors_range_and_limit_sorted(store):
    await store.write([
        batch("acme", (CPU_B, [(5_000, 1.0), (6_000, 1.0)]), (CPU_A, [(1_000, 1.0), (2_000, 1.0)])),
        batch("acme", (MEM_A, [(9_000, 1.0)]), kind=MetricKind.COUNTER, unit="bytes"),
    ])

    everything = await store.series("acme", [], None, None, 100)
    assert [i.key for i in everything] == [CPU_A, CPU_B, MEM_A]
    info = {i.key: i for i in everything}
    assert (info[CPU_A].first_seen_ms, info[CPU_A].last_seen_ms) == (1_000, 2_000)
    assert (info[MEM_A].kind, info[MEM_A].unit) == (MetricKind.COUNTER, "bytes")

    assert [i.key for i in await store.series("acme", [Selector.parse("cpu_usage")], None, None, 100)] == [CPU_A, CPU_B]
    either = [Selector.parse('cpu_usage{host="b"}'), Selector.parse("mem_used")]
    assert [i.key for i in await store.series("acme", either, None, None, 100)] == [CPU_B, MEM_A]
    assert [i.key for i in await store.series("acme", [], 4_000, 7_000, 100)] == [CPU_B]
    assert [i.key for i in await store.series("acme", [], 2_000, None, 100)] == [CPU_A, CPU_B, MEM_A]
    assert [i.key for i in await store.series("acme", [], None, 1_500, 100)] == [CPU_A]
    assert [i.key for i in await store.series("acme", [], None, None, 2)] == [CPU_A, CPU_B]


async def test_tenants_never_see_each_others_series(store):
    theirs = key("globex", "cpu_usage", host="a")
    await store.write([batch("acme", (CPU_A, [(1_000, 1.0)]))])
    await store.write([batch("globex", (theirs, [(1_000, 99.0)]), (key("globex", "secret_metric"), [(1_000, 1.0)]))])

    assert by_key(await store.select("acme", Selector.parse("cpu_usage"), 0, 10_000)) == {CPU_A: [(1_000, bits(1.0))]}
    assert [i.key for i in await store.series("acme", [], None, None, 100)] == [CPU_A]
    assert await store.select("acme", Selector.parse("secret_metric"), 0, 10_000) == []
    assert await store.count_series("acme") == 1
    assert await store.count_series("globex") == 2
    assert await store.count_series("initech") == 0


async def test_count_series_counts_series_not_samples(store):
    await store.write([batch("acme", (CPU_A, [(t, 1.0) for t in range(1_000, 2_000, 100)]))])
    await store.write([batch("acme", (CPU_A, [(5_000, 1.0)]), (CPU_B, [(5_000, 1.0)]))])
    assert await store.count_series("acme") == 2


# ---------------------------------------------------------------------------- array reads (the PromQL engine's)


async def test_match_series_counts_samples_in_the_range_before_reading_them(store):
    await store.write([batch("acme", (CPU_A, [(t, 1.0) for t in range(1_000, 11_000, 1_000)]),
                             (CPU_B, [(t, 2.0) for t in range(20_000, 25_000, 1_000)]),
                             (MEM_A, [(3_000, 1.0)]))])
    await store.write([batch("other", (key("other", "cpu_usage", host="a"), [(3_000, 1.0)]))])

    matched = await store.match_series("acme", Selector.parse('cpu_usage{host=~"a|b"}'), 3_000, 6_000)

    assert [m.key for m in matched] == [CPU_A]  # b holds nothing in the range; other tenants never match
    assert matched[0].samples >= 4  # may overcount (whole chunks), never undercount


async def test_read_arrays_returns_each_keys_samples_in_the_range_in_key_order(store):
    stale = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]  # Prometheus' staleness marker
    await store.write([batch("acme", (CPU_A, [(1_000, 1.0), (2_000, stale), (3_000, -math.inf)]),
                             (CPU_B, [(2_500, 5.0)]), (MEM_A, [(9_000, 1.0)]))])

    arrays = await store.read_arrays("acme", [CPU_B, MEM_A, CPU_A, key("other", "cpu_usage", host="a")], 2_000, 3_000)

    assert [a.key for a in arrays] == [CPU_B, CPU_A]  # MEM_A has nothing there; keys of other tenants never
    assert arrays_points(arrays[1]) == [(2_000, bits(stale)), (3_000, bits(-math.inf))]
    assert arrays_points(arrays[0]) == [(2_500, bits(5.0))]


# ---------------------------------------------------------------------------- property

SERIES_POOL = [("cpu_usage", {"host": "a"}), ("cpu_usage", {"host": "b"}), ("mem_used", {}), ("disk_io", {"dev": "sda"})]
VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(math.nan))
POINTS = st.lists(
    st.tuples(st.integers(0, len(SERIES_POOL) - 1), st.integers(0, 50), VALUES), min_size=1, max_size=60
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(points=POINTS, chunks=st.integers(1, 8), seed=st.integers(0, 2**32))
async def test_random_writes_in_random_chunks_select_the_deduplicated_sorted_union(store, points, chunks, seed):
    tenant = f"t-{uuid.uuid4().hex[:12]}"  # one store serves every example: isolate by tenant
    keys = [SeriesKey.of(tenant, name, labels) for name, labels in SERIES_POOL]
    rng = random.Random(seed)
    rng.shuffle(points)
    cut = sorted(rng.sample(range(1, len(points)), min(chunks - 1, len(points) - 1))) if len(points) > 1 else []
    parts = [points[a:b] for a, b in zip([0, *cut], [*cut, len(points)])]

    expected: dict[SeriesKey, dict[int, float]] = {}
    for part in parts:
        per_series: dict[int, list[tuple[int, float]]] = {}
        for i, t, v in part:
            per_series.setdefault(i, []).append((t, v))
        # Within one SeriesSamples a timestamp appears once (what the ingest path sends).
        series = [(keys[i], list(dict(pts).items())) for i, pts in per_series.items()]
        await store.write([batch(tenant, *series)])
        for k, pts in series:
            expected.setdefault(k, {}).update(pts)

    result = by_key(await store.select(tenant, Selector.parse('{__name__=~".+"}'), 0, 1_000))
    want = {k: [(t, bits(v)) for t, v in sorted(pts.items())] for k, pts in expected.items()}
    assert result == want
    assert await store.count_series(tenant) == len(expected)
    # The array read gives the same samples, in the order of the keys asked for.
    arrays = await store.read_arrays(tenant, keys, 0, 1_000)
    assert [a.key for a in arrays] == [k for k in keys if k in expected]
    assert {a.key: arrays_points(a) for a in arrays} == want
    matched = await store.match_series(tenant, Selector.parse('{__name__=~".+"}'), 0, 1_000)
    assert {m.key for m in matched} == set(expected)
    assert all(m.samples >= len(expected[m.key]) for m in matched)
