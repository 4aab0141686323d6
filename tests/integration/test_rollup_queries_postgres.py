"""Range queries on PostgreSQL: the rollup path equals the samples path on the same data.

The data spans compacted windows (answered from the 1-minute and 1-hour rollup rows),
flushed but uncompacted chunks and the unflushed head (answered from samples inside
``select_rollup``), with samples on whole hours and minutes (the edge case the query
service recomputes from samples), NaN and ±Inf, a series too sparse for 1-minute
rollups, and late data written into a window that was already compacted.
"""

from __future__ import annotations

import asyncio
import math
import struct

import pytest

from adapters.postgres.head import DAY_MS, WINDOW_MS
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.query import RangeQuery, Selector
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from services.queries import TelemetryQueries, rollup_bucket_ms
from tests.contract.samples_support import postgres_store, samples_database
from tests.integration.test_postgres_store import fetch

pytestmark = pytest.mark.integration

MIN, HOUR = 60_000, 3_600_000
NOW = 1_800_000_000_000 - 1_800_000_000_000 % DAY_MS + 20 * HOUR  # 20:00 on some day
START = NOW - 30 * HOUR  # the data starts the day before
SEL = Selector.parse('{__name__=~"cpu|mem|net"}')


def series(name: str, host: str, every_ms: int, seed: int, end: int = NOW) -> tuple[SeriesKey, list[tuple[int, float]]]:
    key = SeriesKey.of("acme", name, {"host": host})
    pts = []
    for i, t in enumerate(range(START + (seed * 977) % every_ms, end, every_ms)):
        jitter = 0 if i % 50 == 0 else (i * seed) % 5  # every 50th on its scheduled instant
        v = [math.nan, math.inf, -math.inf][i % 3] if i % 211 == 17 else round(((i * 7919 + seed) % 1000) / 7, 3)
        pts.append((t + jitter, v))
    return key, pts


DATA = dict([
    series("cpu", "a", 5_000, 1),
    series("cpu", "b", 10_000, 2),
    series("mem", "a", 60_000, 3),  # one sample a minute: compaction keeps no 1-minute rollup
    series("net", "a", 15_000, 0),  # starts on a whole hour: samples on many window edges
])


def batch(data: dict[SeriesKey, list[tuple[int, float]]]) -> SampleBatch:
    return SampleBatch("acme", tuple(SeriesSamples(k, tuple(Sample(t, v) for t, v in pts)) for k, pts in data.items()))


def bits(v: float) -> bytes:
    return struct.pack("<d", v)


def assert_same(fast, slow, function: str, where: str) -> None:
    assert [(r.name, r.labels) for r in fast] == [(r.name, r.labels) for r in slow], where
    for f, s in zip(fast, slow):
        assert [p.timestamp_ms for p in f.samples] == [p.timestamp_ms for p in s.samples], (where, f.labels)
        for a, b in zip(f.samples, s.samples):
            if function in ("sum", "avg") and math.isfinite(a.value) and math.isfinite(b.value):
                assert math.isclose(a.value, b.value, rel_tol=1e-12, abs_tol=1e-9), (where, f.labels, a, b)
            else:  # MIN, MAX, COUNT, LAST and non-finite results: the same bits
                assert bits(a.value) == bits(b.value) or a.value == b.value == 0, (where, f.labels, a, b)


QUERIES = [
    # (function, step, window, start, end, group_by)
    ("avg", HOUR, None, START, NOW, None),
    ("max", HOUR, None, START + HOUR, NOW + HOUR, None),
    ("min", 2 * HOUR, None, START, NOW, None),
    ("sum", HOUR, 3 * HOUR, START + 3 * HOUR, NOW, None),
    ("count", 30 * MIN, None, START, NOW, None),
    ("last", HOUR, None, START, NOW, None),
    ("last", MIN, None, NOW - 3 * HOUR, NOW, None),
    ("avg", 5 * MIN, None, NOW - 6 * HOUR, NOW, ("host",)),
    ("max", 15 * MIN, HOUR, START + HOUR, NOW, ()),
    ("sum", 90 * MIN, None, START, NOW, None),
    ("count", HOUR, None, START + 7 * MIN, NOW, None),
]


async def check_all(queries: TelemetryQueries, stage: str) -> None:
    for function, step, window, start, end, group in QUERIES:
        query = RangeQuery(SEL, start, end, step, function, window_ms=window, group_by=group)
        assert rollup_bucket_ms(query) is not None
        fast = await queries.query_range("acme", query, rollups=True)
        slow = await queries.query_range("acme", query, rollups=False)
        assert fast and sum(len(r.samples) for r in fast) > 0
        assert_same(fast, slow, function, f"{stage}: {function} step={step} window={window} start={start - START}")


async def test_rollup_and_sample_paths_agree_before_and_after_compaction_and_late_data():
    async with postgres_store(flush_interval_s=3600) as store:  # flushes when told or a head fills up
        url = samples_database()
        queries = TelemetryQueries(store)
        await store.write([batch(DATA)])
        await check_all(queries, "all in the head")
        await store.flush()
        await check_all(queries, "flushed, nothing compacted")

        report = await store.compact(NOW - 2 * WINDOW_MS)
        assert report.windows > 0
        assert fetch(url, "SELECT count(*) FROM oe_rollup_1h")[0][0] > 0
        minutes = {sid for (sid,) in fetch(url, "SELECT DISTINCT series_id FROM oe_rollup_1m")}
        assert minutes == {SeriesKey.of("acme", "cpu", {"host": h}).id for h in "ab"}  # mem and net: too sparse
        recent = {k: [(t, -v) for t, v in pts if t >= NOW - HOUR] for k, pts in DATA.items()}
        await store.write([batch(recent)])  # rewrites the newest hour (head over chunks)
        await check_all(queries, "compacted up to 4 h ago, the rest in chunks and the head")

        late = {k: [(START + 2 * HOUR, 999.0), (START + 2 * HOUR + 1, math.nan), (START + 3 * HOUR + 30_000, -5.0)] for k in DATA}
        await store.write([batch(late)])
        await check_all(queries, "late data over compacted windows, in the head")
        await store.flush()
        await check_all(queries, "late data flushed")
        await store.compact(NOW + WINDOW_MS)
        assert fetch(url, "SELECT count(*) FROM oe_chunks_head")[0][0] == 0
        await check_all(queries, "everything compacted")


async def test_the_rollup_path_reads_far_fewer_samples_on_a_compacted_month():
    """Not a benchmark: a guard that hourly queries over compacted data use the rollups."""
    async with postgres_store(flush_interval_s=3600) as store:
        key = SeriesKey.of("acme", "cpu", {"host": "z"})
        start = NOW - 3 * DAY_MS
        pts = [(t + 3, float(i % 100)) for i, t in enumerate(range(start, NOW, 10_000))]
        await store.write([batch({key: pts})])
        await store.flush()
        await store.compact(NOW + WINDOW_MS)
        reads: list[tuple[int, int]] = []
        select = store.select

        async def counting_select(tenant, selector, start_ms, end_ms):
            reads.append((start_ms, end_ms))
            return await select(tenant, selector, start_ms, end_ms)

        store.select = counting_select  # type: ignore[method-assign]
        query = RangeQuery(Selector.parse("cpu"), start + HOUR, NOW, HOUR, "avg")
        got = await TelemetryQueries(store).query_range("acme", query)
        assert reads == [] and len(got[0].samples) == 3 * 24  # no sample was read
        assert got == await TelemetryQueries(store).query_range("acme", query, rollups=False)  # integers: exact
        assert len(reads) == 1


async def test_reads_racing_a_flush_see_every_written_sample():
    """A flush committing while a read runs moves samples from the head to the tables;
    the read must see them in one place or the other, never in neither (it did: the
    head was looked at after the tables were read)."""
    async with postgres_store(flush_interval_s=3600, chunk_samples=10**9) as store:
        key, sel = SeriesKey.of("acme", "cpu", {"host": "r"}), Selector.parse("cpu")
        total = 0
        for _ in range(150):
            await store.write([batch({key: [(START + (total + j) * 20, 1.0) for j in range(500)]})])
            total += 500
            got, _, rolled = await asyncio.gather(
                store.select("acme", sel, 0, 2**62), store.flush(), store.select_rollup("acme", sel, START, NOW, HOUR))
            assert sum(len(d.samples) for d in got) == total
            assert sum(int(c) for r in rolled for c in r.count) == total


def test_rollup_rows_record_where_samples_sit_and_old_rows_say_they_do_not_know():
    import numpy as np

    from adapters.postgres.codec import decode_columns, encode_columns
    from adapters.postgres.reading import Buckets, bucketize, rebucket

    ts = np.array([0, 7, MIN, MIN + 5, 3 * MIN + 1, HOUR], np.int64)
    b = bucketize(ts, np.arange(ts.size, dtype=float), MIN)
    assert b.at_start.tolist() == [1, 1, 0, 1]
    assert Buckets.from_columns(*decode_columns(encode_columns(b.ts, *b.columns()))).at_start.tolist() == [1, 1, 0, 1]
    assert rebucket(b, 2 * MIN).at_start.tolist() == [1, 0, 1]  # [2m, 4m) begins with an empty minute
    mn, mx, sm, last = b.columns()[0]
    legacy = Buckets.from_columns(*decode_columns(encode_columns(b.ts, [mn, mx, sm, last], [b.count])))
    assert legacy.at_start.tolist() == [-1, -1, -1, -1]
    assert rebucket(legacy, 2 * MIN).at_start.tolist() == [-1, 0, -1]
