"""Read side of telemetry: series listing and range queries, always tenant-scoped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import LimitExceeded
from domain.metrics.labels import LabelSet
from domain.metrics.query import RangeQuery, Selector, evaluate_range, group_series
from domain.metrics.samples import Sample
from ports.samples import SampleStore, SeriesInfo


@dataclass(frozen=True, slots=True)
class ResultSeries:
    name: str | None
    labels: LabelSet
    samples: list[Sample]


class TelemetryQueries:
    def __init__(self, store: SampleStore, max_series_per_query: int = 10_000) -> None:
        self._store = store
        self._max_series = max_series_per_query

    async def series(self, tenant: str, selectors: Sequence[Selector], start_ms: int | None, end_ms: int | None, limit: int = 10_000) -> list[SeriesInfo]:
        return await self._store.series(tenant, selectors, start_ms, end_ms, limit)

    async def query_range(self, tenant: str, query: RangeQuery) -> list[ResultSeries]:
        # Read one window's worth before the first step so the first point is complete.
        data = await self._store.select(tenant, query.selector, query.start_ms - query.effective_window_ms + 1, query.end_ms)
        if len(data) > self._max_series:
            raise LimitExceeded(
                f"query selects {len(data)} series, over the limit of {self._max_series}; narrow the selector",
                field="query", limit="max_series_per_query", value=self._max_series,
            )
        per_series = [(d.key, evaluate_range(query, d.samples)) for d in data]
        if query.group_by is None:
            out = [ResultSeries(k.name, k.labels, pts) for k, pts in per_series if pts]
            out.sort(key=lambda r: (r.name or "", r.labels.pairs))
            return out
        grouped = group_series(query, [(k.labels, pts) for k, pts in per_series])
        return [ResultSeries(None, labels, pts) for labels, pts in grouped if pts]
