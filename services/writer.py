"""The writer: telemetry topic → sample store, latest-value cache and live subscribers.

The sample store keeps the consumed offsets in the same transaction as the samples, and
on start the consumer seeks to them: the bus is the write-ahead log, so a crash between
the write and the bus commit neither loses nor duplicates a sample.

Columnar messages (bus format 3) stay columns all the way into a store that takes them
(``ColumnarSampleStore``); the latest values and the live update are computed once per
consumer batch, not once per message, with numpy, and the live update only when
someone listens (docs/adr/0013-ingest-hot-path.md). With ``latest_every_s`` the latest
values are gathered and written at most that often: a series sent many times a second
costs the cache one update per interval, not one per sample (under the ingest benchmark
the cache's script cost Redis about 1.3 µs a sample).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence

import numpy as np

from domain.metrics.batch import SampleBatch
from domain.metrics.samples import Sample, json_value
from ports.bus import TELEMETRY_TOPIC, Message, MessageBus
from ports.cache import LatestValueCache, PubSub
from ports.columnar import ColumnarBatch, name_and_labels
from ports.samples import BusPosition, ColumnarSampleStore, SampleStore
from services.codec import as_objects, decode_message, encode_json
from services.consumer_loop import run_consumer

WRITER_GROUP = "writer"
log = logging.getLogger(__name__)


def series_channel(tenant: str) -> str:
    return f"series:{tenant}"


class SampleWriter:
    def __init__(self, bus: MessageBus, store: SampleStore, cache: LatestValueCache, pubsub: PubSub,
                 latest_every_s: float = 0.0) -> None:
        self._bus = bus
        self._store = store
        self._cache = cache
        self._pubsub = pubsub
        self._latest_every_s = latest_every_s
        # Per tenant, (ids, timestamps, values) runs not yet in the cache (latest_every_s > 0).
        self._pending_latest: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}

    async def handle(self, messages: Sequence[Message]) -> None:
        decoded = [decode_message(m.value) for m in messages]
        positions: dict[int, int] = {}
        for m in messages:
            positions[m.partition] = max(positions.get(m.partition, 0), m.offset + 1)
        bus_positions = [BusPosition(TELEMETRY_TOPIC, p, o) for p, o in positions.items()]
        columns = [d for d in decoded if isinstance(d, ColumnarBatch)]
        if columns and len(columns) == len(decoded) and isinstance(self._store, ColumnarSampleStore):
            await self._store.write_columns(columns, bus_positions)
        else:
            await self._store.write([as_objects(d) for d in decoded], bus_positions)
        # After the write: the cache and live views only ever show stored data.
        for batch in decoded:
            if isinstance(batch, SampleBatch):
                await self._objects_after_write(batch)
        by_tenant: dict[str, list[ColumnarBatch]] = {}
        for c in columns:
            if len(c):
                by_tenant.setdefault(c.tenant, []).append(c)
        for tenant, group in by_tenant.items():
            await self._columns_after_write(tenant, group)

    async def _objects_after_write(self, batch: SampleBatch) -> None:
        latest = [(s.series_id, s.samples[-1]) for s in batch.series if s.samples]
        if not latest:
            return
        await self._cache.set_latest(batch.tenant, latest)
        if not await self._pubsub.listened(series_channel(batch.tenant)):
            return
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

    async def _columns_after_write(self, tenant: str, group: list[ColumnarBatch]) -> None:
        """One cache write and one live update for all of a tenant's batches: each
        series' newest sample (the last written wins a tie, as in the store)."""
        ids = np.concatenate([b.per_sample_ids() for b in group])
        ts = np.concatenate([b.timestamps for b in group])
        vs = np.concatenate([b.values for b in group])
        # Which batch and series row each sample came from, to find its descriptor.
        row = np.concatenate([np.repeat(np.arange(len(b)), b.counts) for b in group])
        batch_of = np.concatenate([np.full(b.sample_count, k) for k, b in enumerate(group)])
        order = np.lexsort((ts, ids))  # stable: equal (id, ts) keep arrival order
        ids, ts, vs, row, batch_of = ids[order], ts[order], vs[order], row[order], batch_of[order]
        last = np.ones(ids.size, dtype=bool)
        last[:-1] = ids[1:] != ids[:-1]
        ids, ts, vs = ids[last], ts[last], vs[last]
        if self._latest_every_s > 0:
            self._pending_latest.setdefault(tenant, []).append((ids, ts, vs))
        else:
            await self._cache.set_latest_columns(tenant, ids, ts, vs)
        if not await self._pubsub.listened(series_channel(tenant)):
            return  # nobody watches: no per-series message to build
        ids, ts, vs, row, batch_of = ids.tolist(), ts.tolist(), vs.tolist(), row[last].tolist(), batch_of[last].tolist()
        parts = []
        for sid, t, v, r, k in zip(ids, ts, vs, row, batch_of):
            value = repr(v) if math.isfinite(v) else f'"{json_value(v)}"'
            parts.append(b'{"id":"%d","t":%d,"v":%s,%s' % (sid, t, value.encode(), name_and_labels(group[k].descriptor(r))))
        await self._pubsub.publish(series_channel(tenant), b'{"type":"samples","series":[' + b",".join(parts) + b"]}")

    async def flush_latest(self) -> None:
        """Write the gathered latest values to the cache (each series' newest: the cache
        keeps the newest of what it is given)."""
        pending, self._pending_latest = self._pending_latest, {}
        for tenant, runs in pending.items():
            await self._cache.set_latest_columns(tenant, *(np.concatenate(column) for column in zip(*runs)))

    async def _flush_latest_every(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self._latest_every_s)
            except asyncio.TimeoutError:
                pass
            try:
                await self.flush_latest()
            except Exception:  # the cache is best effort: the store has the samples
                log.warning("latest values not written to the cache", exc_info=True)

    async def run(self, stop: asyncio.Event) -> None:
        consumer = await self._bus.subscribe([TELEMETRY_TOPIC], WRITER_GROUP)
        latest = asyncio.create_task(self._flush_latest_every(stop)) if self._latest_every_s > 0 else None
        try:
            for partition, offset in (await self._store.positions(TELEMETRY_TOPIC)).items():
                await consumer.seek(TELEMETRY_TOPIC, partition, offset)
            await run_consumer(consumer, self.handle, stop)
        finally:
            if latest is not None:
                latest.cancel()
                await asyncio.gather(latest, return_exceptions=True)
                try:
                    await self.flush_latest()
                except Exception:
                    log.warning("latest values not written to the cache", exc_info=True)
            await consumer.close()
