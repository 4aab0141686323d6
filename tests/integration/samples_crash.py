"""The crash scenario of the PostgreSQL sample store, shared by the test and its child.

``messages()`` is a deterministic list of telemetry bus messages; publishing it in order
on a fresh ``MemoryBus`` gives the same offsets every time, so the test's process can
rebuild the very bus the killed child was reading.

Run as ``python -m tests.integration.samples_crash URL KILL_AT``: a SampleWriter on a
PostgresSampleStore consumes the messages while they are published, and the store's
fault hook SIGKILLs the process inside its KILL_AT-th flush, after the COPY and before
the COMMIT.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import signal
import sys

from adapters.memory.bus import MemoryBus
from adapters.memory.cache import MemoryLatestValueCache, MemoryPubSub
from adapters.postgres import PostgresSampleStore
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.bus import TELEMETRY_TOPIC
from services.codec import encode_batch
from services.writer import SampleWriter

TENANT = "crash"
PARTITIONS = 3
START_MS = 1_800_000_000_000


def series_keys() -> list[SeriesKey]:
    return [SeriesKey.of(TENANT, "crash_metric", {"n": str(i)}) for i in range(8)]


def messages() -> list[tuple[int, bytes, SampleBatch]]:
    """(partition, payload, batch part) in publishing order: 60 requests of 8 series x 5
    samples, every (series, timestamp) distinct, NaN and ±Inf among the values."""
    rng = random.Random(1234)
    keys = series_keys()
    out = []
    for request in range(60):
        series = []
        for k in keys:
            samples = []
            for j in range(5):
                t = START_MS + (request * 5 + j) * 1000
                v = rng.choice([math.nan, math.inf, -math.inf]) if rng.random() < 0.05 else round(rng.uniform(0, 100), 3)
                samples.append(Sample(t, v))
            series.append(SeriesSamples(k, tuple(samples)))
        for shard, part in SampleBatch(TENANT, tuple(series)).split_by_shard(PARTITIONS).items():
            out.append((shard, encode_batch(part), part))
    return out


async def publish_all(bus: MemoryBus, pause_s: float = 0.0) -> None:
    for partition, payload, _ in messages():
        await bus.publish(TELEMETRY_TOPIC, TENANT.encode(), payload, partition=partition)
        if pause_s:
            await asyncio.sleep(pause_s)


async def _child(url: str, kill_at: int) -> None:
    flushes = 0

    async def die_before_commit() -> None:
        nonlocal flushes
        flushes += 1
        if flushes == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    bus = MemoryBus(partitions=PARTITIONS, retain=100_000, max_retain=100_000)
    store = PostgresSampleStore(url, flush_interval_s=0.05, before_commit=die_before_commit)
    writer = SampleWriter(bus, store, MemoryLatestValueCache(), MemoryPubSub())
    stop = asyncio.Event()
    task = asyncio.create_task(writer.run(stop))
    await publish_all(bus, pause_s=0.01)
    await asyncio.sleep(30)  # the hook kills us long before this
    stop.set()
    await task
    sys.exit(3)  # never reached kill_at: the test fails on this exit code


if __name__ == "__main__":
    asyncio.run(_child(sys.argv[1], int(sys.argv[2])))
