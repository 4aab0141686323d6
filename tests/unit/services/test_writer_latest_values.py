"""The writer's latest values (services/writer.py): with ``latest_every_s`` they are
gathered and written at most that often, each series' newest winning, and whatever is
gathered is written when the writer stops."""

from __future__ import annotations

import asyncio

from adapters.memory.bus import MemoryBus
from adapters.memory.cache import MemoryLatestValueCache, MemoryPubSub
from adapters.memory.samples import MemorySampleStore
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.bus import TELEMETRY_TOPIC, Message
from ports.columnar import ColumnarBatch
from services.codec import encode_columns
from services.writer import SampleWriter


class CountingCache(MemoryLatestValueCache):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def set_latest_columns(self, tenant, series_ids, timestamps_ms, values) -> None:
        self.calls += 1
        await super().set_latest_columns(tenant, series_ids, timestamps_ms, values)


def sid(n: int) -> int:
    return SeriesKey.of("acme", "up", {"n": str(n)}).id


def message(offset: int, series: list[int], ts: int) -> Message:
    batch = SampleBatch("acme", tuple(SeriesSamples(SeriesKey.of("acme", "up", {"n": str(n)}), (Sample(ts, float(ts)),))
                                      for n in series))
    return Message(TELEMETRY_TOPIC, 0, offset, b"acme", encode_columns(ColumnarBatch.from_batch(batch)))


async def test_without_an_interval_every_batch_reaches_the_cache_at_once():
    cache = CountingCache()
    writer = SampleWriter(MemoryBus(partitions=1), MemorySampleStore(), cache, MemoryPubSub())
    await writer.handle([message(0, [1, 2], 1_000)])
    await writer.handle([message(1, [1], 2_000)])
    assert cache.calls == 2
    assert await cache.get_latest("acme", [sid(1), sid(2)]) == {sid(1): Sample(2_000, 2_000.0), sid(2): Sample(1_000, 1_000.0)}


async def test_with_an_interval_batches_are_gathered_into_one_write_of_the_newest():
    cache = CountingCache()
    writer = SampleWriter(MemoryBus(partitions=1), MemorySampleStore(), cache, MemoryPubSub(), latest_every_s=60)
    await writer.handle([message(0, [1, 2], 3_000)])
    await writer.handle([message(1, [1], 2_000)])  # older than what came before: never wins
    await writer.handle([message(2, [2, 3], 4_000)])
    assert cache.calls == 0 and await cache.get_latest("acme", [sid(1)]) == {}
    await writer.flush_latest()
    assert cache.calls == 1
    assert await cache.get_latest("acme", [sid(1), sid(2), sid(3)]) == {
        sid(1): Sample(3_000, 3_000.0), sid(2): Sample(4_000, 4_000.0), sid(3): Sample(4_000, 4_000.0)}


async def test_the_running_writer_writes_them_every_interval_and_when_it_stops():
    bus, cache = MemoryBus(partitions=1), CountingCache()
    writer = SampleWriter(bus, MemorySampleStore(), cache, MemoryPubSub(), latest_every_s=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(writer.run(stop))
    await asyncio.sleep(0.01)
    await bus.publish(TELEMETRY_TOPIC, b"acme", message(0, [7], 1_000).value, partition=0)
    for _ in range(100):
        if await cache.get_latest("acme", [sid(7)]):
            break
        await asyncio.sleep(0.01)
    assert await cache.get_latest("acme", [sid(7)]) == {sid(7): Sample(1_000, 1_000.0)}
    await bus.publish(TELEMETRY_TOPIC, b"acme", message(1, [8], 2_000).value, partition=0)
    await asyncio.sleep(0.02)
    stop.set()
    await running
    assert await cache.get_latest("acme", [sid(8)]) == {sid(8): Sample(2_000, 2_000.0)}
