"""The writer: telemetry topic → sample store, latest-value cache and live subscribers.

The sample store keeps the consumed offsets in the same transaction as the samples, and
on start the consumer seeks to them: the bus is the write-ahead log, so a crash between
the write and the bus commit neither loses nor duplicates a sample.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from domain.metrics.samples import json_value
from ports.bus import TELEMETRY_TOPIC, Message, MessageBus
from ports.cache import LatestValueCache, PubSub
from ports.samples import BusPosition, SampleStore
from services.codec import decode_batch, encode_json
from services.consumer_loop import run_consumer

WRITER_GROUP = "writer"


def series_channel(tenant: str) -> str:
    return f"series:{tenant}"


class SampleWriter:
    def __init__(self, bus: MessageBus, store: SampleStore, cache: LatestValueCache, pubsub: PubSub) -> None:
        self._bus = bus
        self._store = store
        self._cache = cache
        self._pubsub = pubsub

    async def handle(self, messages: Sequence[Message]) -> None:
        batches = [decode_batch(m.value) for m in messages]
        positions: dict[int, int] = {}
        for m in messages:
            positions[m.partition] = max(positions.get(m.partition, 0), m.offset + 1)
        await self._store.write(batches, [BusPosition(TELEMETRY_TOPIC, p, o) for p, o in positions.items()])
        # After the write: the cache and live views only ever show stored data.
        for batch in batches:
            latest = [(s.series_id, s.samples[-1]) for s in batch.series if s.samples]
            if not latest:
                continue
            await self._cache.set_latest(batch.tenant, latest)
            await self._pubsub.publish(
                series_channel(batch.tenant),
                encode_json({
                    "type": "samples",
                    "series": [
                        {"name": s.key.name, "labels": s.key.labels.as_dict(), "id": str(s.series_id),
                         "t": s.samples[-1].timestamp_ms, "v": json_value(s.samples[-1].value)}
                        for s in batch.series if s.samples
                    ],
                }),
            )

    async def run(self, stop: asyncio.Event) -> None:
        consumer = await self._bus.subscribe([TELEMETRY_TOPIC], WRITER_GROUP)
        try:
            for partition, offset in (await self._store.positions(TELEMETRY_TOPIC)).items():
                await consumer.seek(TELEMETRY_TOPIC, partition, offset)
            await run_consumer(consumer, self.handle, stop)
        finally:
            await consumer.close()
