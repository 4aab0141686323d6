"""Both engines on the same data: Prometheus (remote-written) and ours (the same
samples written through the store port), asked the same questions the same way."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.kinds import MetricKind
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.samples import SampleStore
from services.promql import PromQLEngine, prometheus_error_type
from tests.integration.promql.dataset import END_MS, MINUTE, START_MS, Series
from tests.support.prometheus_server import PrometheusServer

TENANT = "promql-diff"
INSTANT_TIMES = [
    START_MS + 10 * MINUTE,
    START_MS + 50 * MINUTE + 40_000,  # just after a staleness marker
    START_MS + 77 * MINUTE + 7_500,  # not on a whole second
    START_MS + 123 * MINUTE,  # after a series stopped without a marker, within the lookback
    END_MS + 4 * MINUTE,  # after the data, within the lookback
    END_MS + 10 * MINUTE,  # past the lookback: selectors are empty
]
RANGES = [
    (START_MS - 30 * MINUTE, START_MS + 30 * MINUTE, 5 * MINUTE),  # begins before the data
    (START_MS, END_MS + 10 * MINUTE, MINUTE),
    (START_MS + 45 * MINUTE, START_MS + 90 * MINUTE, 15_000),
    (START_MS + 60 * MINUTE, START_MS + 80 * MINUTE, 7_000),  # a step that divides nothing
]


async def load_store(store: SampleStore, series: list[Series]) -> None:
    batch = []
    for s in series:
        key = SeriesKey.of(TENANT, s.name, s.labels)
        samples = tuple(Sample(t, v) for t, v in zip(s.timestamps.tolist(), s.values.tolist()))
        batch.append(SeriesSamples(key, samples, MetricKind.GAUGE, ""))
    await store.write([SampleBatch(TENANT, tuple(batch))])
    flush = getattr(store, "flush", None)
    if flush is not None:
        await flush()


def error_json(exc: Exception) -> dict:
    kind = prometheus_error_type(exc)
    if kind is None:
        raise exc
    return {"status": "error", "errorType": kind, "error": str(exc)}


@dataclass
class Engines:
    prometheus: PrometheusServer
    ours: PromQLEngine
    loop: asyncio.AbstractEventLoop

    def ours_instant(self, query: str, t: int) -> dict:
        try:
            result = self.loop.run_until_complete(self.ours.instant(TENANT, query, t))
        except Exception as exc:  # noqa: BLE001 - every error is compared with Prometheus' own
            return error_json(exc)
        return {"status": "success", "data": result.data()}

    def ours_range(self, query: str, start: int, end: int, step: int) -> dict:
        try:
            result = self.loop.run_until_complete(self.ours.range(TENANT, query, start, end, step))
        except Exception as exc:  # noqa: BLE001
            return error_json(exc)
        return {"status": "success", "data": result.data()}
