"""The PostgreSQL sample store against the real server on 127.0.0.1:5432: partitions,
retention, compaction, rollups, and exactly-once storage across a SIGKILL.

If PostgreSQL is not reachable these tests fail saying so; they are never skipped.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from adapters.memory.bus import MemoryBus
from adapters.memory.cache import MemoryLatestValueCache, MemoryPubSub
from adapters.postgres import PostgresSampleStore
from adapters.postgres.head import DAY_MS, WINDOW_MS
from adapters.postgres.schema import existing_days
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.query import Selector
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.bus import TELEMETRY_TOPIC
from services.writer import WRITER_GROUP, SampleWriter
from tests.contract.samples_support import postgres_store, samples_database
from tests.integration import samples_crash

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_800_000_000_000 - 1_800_000_000_000 % DAY_MS + 5 * 3600 * 1000  # 05:00 on some day
CPU = SeriesKey.of("acme", "cpu", {"host": "a"})
MEM = SeriesKey.of("acme", "mem", {"host": "a"})
ALL = Selector.parse('{host="a"}')


def bits(v: float) -> bytes:
    return struct.pack("<d", v)


def batch(*series: tuple[SeriesKey, list[tuple[int, float]]]) -> SampleBatch:
    return SampleBatch("acme", tuple(SeriesSamples(k, tuple(Sample(t, v) for t, v in pts)) for k, pts in series))


def as_bits(result) -> dict[SeriesKey, list[tuple[int, bytes]]]:
    return {d.key: [(s.timestamp_ms, bits(s.value)) for s in d.samples] for d in result}


def fetch(url: str, query: str, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


def points(start: int, count: int, step: int, seed: int) -> list[tuple[int, float]]:
    out = []
    for i in range(count):
        v = [math.nan, math.inf, -math.inf, -0.0][i % 4] if i % 37 == 5 else round(((i * 7919 + seed) % 1000) / 7, 3)
        out.append((start + i * step + (i * seed) % 3, v))
    return out


async def test_partitions_are_created_ahead_and_retention_drops_old_days():
    async with postgres_store() as store:
        url = samples_database()
        today = int(time.time() * 1000) // DAY_MS
        async with await psycopg.AsyncConnection.connect(url) as conn:
            days = await existing_days(conn)
        for table, have in days.items():
            assert {today, today + 1, today + 2} <= have, table

        old, recent = NOW - 10 * DAY_MS, NOW - 3600 * 1000
        await store.write([batch((CPU, [(old, 1.0), (recent, 2.0)]), (MEM, [(old, 3.0)]))])
        await store.flush()  # a partition for the old day is made on demand
        dropped = await store.maintain(NOW, retention_ms=7 * DAY_MS)

        assert f"oe_chunks_head_d{old // DAY_MS}" in dropped
        assert as_bits(await store.select("acme", ALL, 0, NOW)) == {CPU: [(recent, bits(2.0))]}
        assert [i.key for i in await store.series("acme", [], None, None, 10)] == [CPU], "MEM was last seen before the cutoff"
        async with await psycopg.AsyncConnection.connect(url) as conn:
            days = await existing_days(conn)
        assert all(old // DAY_MS not in have and NOW // DAY_MS + 2 in have for have in days.values())


async def test_compaction_merges_small_chunks_and_keeps_every_sample_bit_exact():
    async with postgres_store() as store:
        url = samples_database()
        start = NOW - 5 * 3600 * 1000
        cpu, mem = points(start, 1500, 10_000, 3), points(start + 7, 900, 15_000, 5)
        for i in range(0, 1500, 100):  # many flushes: many small head chunks per window
            await store.write([batch((CPU, cpu[i:i + 100]), (MEM, mem[i * 6 // 10:i * 6 // 10 + 60]))])
            await store.flush()
        rewritten = [(t, v + 1000) for t, v in cpu[200:210]]  # later writes replace earlier ones
        await store.write([batch((CPU, rewritten))])
        await store.flush()
        before = as_bits(await store.select("acme", ALL, 0, NOW))
        head_chunks = fetch(url, "SELECT count(*) FROM oe_chunks_head")[0][0]

        report = await store.compact(NOW + WINDOW_MS)  # every window, the current one included

        assert as_bits(await store.select("acme", ALL, 0, NOW)) == before
        expected_cpu = dict(cpu) | dict(rewritten)
        assert before[CPU] == [(t, bits(v)) for t, v in sorted(expected_cpu.items())]
        windows = fetch(url, "SELECT series_id, start_ms - start_ms %% %s, count(*) FROM oe_chunks GROUP BY 1, 2", WINDOW_MS)
        assert all(n == 1 for _, _, n in windows), "one compacted chunk per series and window"
        assert report.windows == len(windows) and report.chunks_in == head_chunks
        assert fetch(url, "SELECT count(*) FROM oe_chunks_head")[0][0] == 0
        assert fetch(url, "SELECT sum(n) FROM oe_chunks")[0][0] == len(expected_cpu) + len(mem)


async def test_writes_after_compaction_stay_newer_than_the_compacted_chunk():
    async with postgres_store() as store:
        t = NOW - 3 * WINDOW_MS
        await store.write([batch((CPU, [(t, 1.0), (t + 1000, 2.0)]))])
        await store.flush()
        await store.compact(NOW)
        await store.write([batch((CPU, [(t, 10.0), (t + 2000, 3.0)]))])  # late data into a compacted window
        assert as_bits(await store.select("acme", ALL, 0, NOW)) == {
            CPU: [(t, bits(10.0)), (t + 1000, bits(2.0)), (t + 2000, bits(3.0))]
        }
        await store.flush()
        await store.compact(NOW)
        assert as_bits(await store.select("acme", ALL, 0, NOW)) == {
            CPU: [(t, bits(10.0)), (t + 1000, bits(2.0)), (t + 2000, bits(3.0))]
        }


def naive_rollup(samples: list[tuple[int, float]], step: int) -> dict[int, tuple]:
    buckets: dict[int, list[float]] = {}
    for t, v in sorted(samples):
        buckets.setdefault(t - t % step, []).append(v)
    out = {}
    for b, vs in buckets.items():
        real = [v for v in vs if not math.isnan(v)]
        out[b] = (min(real) if real else math.nan, max(real) if real else math.nan, sum(vs), len(vs), vs[-1])
    return out


def assert_rollup_equal(got, want: dict[int, tuple]) -> None:
    assert [int(t) for t in got.timestamps] == sorted(want)
    for i, b in enumerate(sorted(want)):
        mn, mx, sm, count, last = want[b]
        assert bits(got.min[i]) == bits(mn) or got.min[i] == mn == 0, (b, "min")
        assert bits(got.max[i]) == bits(mx) or got.max[i] == mx == 0, (b, "max")
        assert got.count[i] == count and bits(got.last[i]) == bits(last), b
        assert (math.isnan(sm) and math.isnan(got.sum[i])) or math.isclose(got.sum[i], sm, rel_tol=1e-9, abs_tol=1e-9), b


async def test_rollups_equal_a_naive_computation_before_and_after_compaction_and_late_data():
    async with postgres_store() as store:
        url = samples_database()
        start = NOW - 9 * 3600 * 1000
        # CPU every 5 s keeps 1-minute rollups; MEM every 15 s is too sparse for them
        # (4 samples per bucket) and is answered from its chunks.
        data = {CPU: points(start, 6000, 5_000, 1), MEM: points(start, 2000, 15_000, 2)}
        await store.write([batch(*data.items())])
        await store.flush()
        lo, hi = start - 3600 * 1000, NOW

        async def check():
            for step in (60_000, 300_000, 3_600_000, 2 * 3_600_000, 15_000, 7_000):
                got = {r.key: r for r in await store.select_rollup("acme", ALL, lo, hi, step)}
                assert got.keys() == data.keys()
                for key, samples in data.items():
                    assert_rollup_equal(got[key], naive_rollup(samples, step))

        await check()  # nothing compacted yet: computed from the chunks
        await store.compact(NOW - WINDOW_MS)
        with_minutes = fetch(url, "SELECT DISTINCT series_id FROM oe_rollup_1m")
        assert with_minutes == [(CPU.id,)]
        assert fetch(url, "SELECT count(*) FROM oe_rollup_1h")[0][0] == 4  # per series and day: two days
        await check()  # compacted windows from the rollups, the newest from the chunks
        late = [(start + 61_000, 500.0), (start + 62_000, math.nan)]  # a compacted window gets late data
        await store.write([batch((CPU, late), (MEM, late))])
        data = {k: sorted((dict(v) | dict(late)).items()) for k, v in data.items()}
        await check()  # the head is read, not the stale rollup
        await store.flush()
        await check()
        await store.compact(NOW)
        await check()


async def test_a_writer_killed_between_copy_and_commit_loses_and_duplicates_nothing():
    url = samples_database()
    async with postgres_store():
        pass  # empties the tables
    child = subprocess.run(
        [sys.executable, "-m", "tests.integration.samples_crash", url, "4"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, f"the child was not killed in its flush: {child.returncode} {child.stderr}"

    published = samples_crash.messages()
    ends = {p: sum(1 for q, _, _ in published if q == p) for p in range(samples_crash.PARTITIONS)}
    async with PostgresSampleStore(url, flush_interval_s=0.05) as store:
        stored = await store.positions(TELEMETRY_TOPIC)
        assert stored, "the child committed no flush before it was killed"
        assert sum(stored.values()) < sum(ends.values()), "the child committed everything: nothing to recover"
        before = fetch(url, "SELECT coalesce(sum(n), 0) FROM oe_chunks_head")[0][0]
        assert 0 < before < sum(b.sample_count for _, _, b in published)

        # The bus as the child saw it; its group had committed everything it consumed,
        # past what the store holds (the worst case: only the stored positions count).
        bus = MemoryBus(partitions=samples_crash.PARTITIONS, retain=100_000, max_retain=100_000)
        await samples_crash.publish_all(bus)
        group = await bus.subscribe([TELEMETRY_TOPIC], WRITER_GROUP)
        await group.commit({(TELEMETRY_TOPIC, p): ends[p] for p in stored})
        await group.close()

        stop = asyncio.Event()
        task = asyncio.create_task(SampleWriter(bus, store, MemoryLatestValueCache(), MemoryPubSub()).run(stop))
        deadline = time.monotonic() + 60
        while await store.positions(TELEMETRY_TOPIC) != ends:
            assert time.monotonic() < deadline, "the new writer did not catch up"
            await asyncio.sleep(0.05)
        stop.set()
        await task
        await store.flush()

        expected: dict[SeriesKey, dict[int, float]] = {}
        for _, _, part in published:
            for s in part.series:
                expected.setdefault(s.key, {}).update(s.samples)
        got = as_bits(await store.select(samples_crash.TENANT, Selector.parse("crash_metric"), 0, 2**62))
        assert got == {k: [(t, bits(v)) for t, v in sorted(pts.items())] for k, pts in expected.items()}
        stored_samples = fetch(url, "SELECT coalesce(sum(n), 0) FROM oe_chunks_head")[0][0]
        assert stored_samples == sum(len(p) for p in expected.values()), "a replayed sample was stored twice"


async def test_memory_sqlite_and_postgres_answer_select_rollup_alike(tmp_path):
    from adapters.memory.samples import MemorySampleStore
    from adapters.sqlite_store import SqliteSampleStore

    data = batch((CPU, points(NOW - 3 * 3600 * 1000, 700, 15_000, 4)), (MEM, points(NOW - 3600 * 1000, 300, 10_000, 6)))
    sqlite = SqliteSampleStore(tmp_path / "s.db")
    async with postgres_store() as pg:
        answers = []
        for store in (MemorySampleStore(), sqlite, pg):
            await store.write([data])
            answers.append([
                {r.key: [[float(x) for x in col] for col in (r.timestamps, r.min, r.max, r.count, r.last)]
                 for r in await store.select_rollup("acme", ALL, NOW - 4 * 3600 * 1000, NOW, step)}
                for step in (60_000, 3_600_000, 45_000)
            ])
        await sqlite.close()
    as_text = [repr(a) for a in answers]  # repr: NaN compares equal to NaN
    assert as_text[0] == as_text[1] == as_text[2]


async def test_last_seen_is_written_lazily_but_read_exactly():
    """A known series' catalogue row is only widened once its last sample moved by the
    slack (one UPDATE a minute per series, not one a flush); reads stay exact."""
    from adapters.postgres.catalogue import LAST_SEEN_SLACK_MS

    async with postgres_store() as store:
        url = store._url
        await store.write([batch((CPU, [(NOW, 1.0)]))])
        await store.flush()
        await store.write([batch((CPU, [(NOW + 30_000, 2.0)]))])
        await store.flush()
        assert fetch(url, "SELECT last_seen FROM oe_series")[0][0] == NOW  # not rewritten: under the slack
        [info] = await store.series("acme", [], NOW + 20_000, None, 10)
        assert (info.key, info.first_seen_ms, info.last_seen_ms) == (CPU, NOW, NOW + 30_000)
        assert [d.samples for d in await store.select("acme", ALL, NOW + 20_000, NOW + 40_000)] == [[(NOW + 30_000, 2.0)]]
        assert await store.series("acme", [], NOW + 30_001, None, 10) == []
        await store.write([batch((CPU, [(NOW + LAST_SEEN_SLACK_MS + 30_000, 3.0)]))])
        await store.flush()
        assert fetch(url, "SELECT last_seen FROM oe_series")[0][0] == NOW + LAST_SEEN_SLACK_MS + 30_000
