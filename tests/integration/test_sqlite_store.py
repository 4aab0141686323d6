"""The SQLite sample store on a real file: durable across reopening, samples and bus
positions in one transaction, and the same rollups as a naive computation."""

from __future__ import annotations

import math
import sqlite3
import struct

import pytest

from adapters.sqlite_store import SqliteSampleStore
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.query import Selector
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.samples import BusPosition

pytestmark = pytest.mark.integration

CPU = SeriesKey.of("acme", "cpu", {"host": "a"})


def batch(points: list[tuple[int, float]]) -> SampleBatch:
    return SampleBatch("acme", (SeriesSamples(CPU, tuple(Sample(t, v) for t, v in points)),))


def bits(v: float) -> bytes:
    return struct.pack("<d", v)


async def test_samples_and_positions_survive_reopening(tmp_path):
    nan_payload = struct.unpack("<d", struct.pack("<Q", 0x7FF0_0000_0000_0001))[0]
    store = SqliteSampleStore(tmp_path / "s.db")
    await store.write([batch([(1_000, nan_payload), (2_000, -math.inf)])], [BusPosition("telemetry", 2, 9)])
    await store.close()

    again = SqliteSampleStore(tmp_path / "s.db")
    (data,) = await again.select("acme", Selector.parse("cpu"), 0, 10_000)
    assert [(s.timestamp_ms, bits(s.value)) for s in data.samples] == [(1_000, bits(nan_payload)), (2_000, bits(-math.inf))]
    assert await again.positions("telemetry") == {2: 9}
    await again.close()


async def test_a_failed_write_stores_neither_samples_nor_positions(tmp_path):
    store = SqliteSampleStore(tmp_path / "s.db")
    await store.write([batch([(1_000, 1.0)])], [BusPosition("telemetry", 0, 1)])

    def failing(db: sqlite3.Connection, series, rows, offsets) -> None:
        # The samples go in, then the positions statement fails: all must roll back.
        original(db, series, rows, [*offsets, ("telemetry", 0, "not an offset", "extra column")])

    original = SqliteSampleStore._write
    store._write = failing  # type: ignore[method-assign]
    with pytest.raises(sqlite3.Error):
        await store.write([batch([(2_000, 2.0)])], [BusPosition("telemetry", 0, 2)])
    store._write = original  # type: ignore[method-assign]

    (data,) = await store.select("acme", Selector.parse("cpu"), 0, 10_000)
    assert [s.timestamp_ms for s in data.samples] == [1_000]
    assert await store.positions("telemetry") == {0: 1}
    await store.close()


async def test_rollups_match_a_naive_computation(tmp_path):
    store = SqliteSampleStore(tmp_path / "s.db")
    points = [(i * 7_000, [1.5, math.nan, -2.0, 4.25][i % 4]) for i in range(200)]
    await store.write([batch(points)])
    (got,) = await store.select_rollup("acme", Selector.parse("cpu"), 0, 1_400_000, 60_000)
    for i, b in enumerate(got.timestamps):
        vs = [v for t, v in points if b <= t < b + 60_000]
        real = [v for v in vs if not math.isnan(v)]
        assert got.count[i] == len(vs) and bits(got.last[i]) == bits(vs[-1])
        assert (got.min[i], got.max[i]) == (min(real), max(real))
        assert math.isnan(got.sum[i]) == any(math.isnan(v) for v in vs)
    await store.close()
