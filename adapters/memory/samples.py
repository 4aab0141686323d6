"""In-process sample store: sorted columns per series. Correct, not durable."""

from __future__ import annotations

import asyncio
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from domain.metrics.batch import SampleBatch
from domain.metrics.kinds import MetricKind
from domain.metrics.query import Selector
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.samples import BusPosition, SeriesArrays, SeriesData, SeriesInfo, SeriesMatch, SeriesRollup
from services.rollups import rollup


@dataclass
class _Series:
    key: SeriesKey
    kind: MetricKind
    unit: str
    ts: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def put(self, sample: Sample) -> None:
        t = sample.timestamp_ms
        if not self.ts or t > self.ts[-1]:
            self.ts.append(t)
            self.values.append(sample.value)
            return
        i = bisect_left(self.ts, t)
        if i < len(self.ts) and self.ts[i] == t:
            self.values[i] = sample.value  # same series and timestamp: replace, never duplicate
        else:
            self.ts.insert(i, t)
            self.values.insert(i, sample.value)


class MemorySampleStore:
    def __init__(self) -> None:
        self._series: dict[str, dict[int, _Series]] = {}
        self._positions: dict[str, dict[int, int]] = {}
        self._lock = asyncio.Lock()

    async def write(self, batches: Sequence[SampleBatch], positions: Sequence[BusPosition] = ()) -> None:
        async with self._lock:
            for batch in batches:
                tenant_series = self._series.setdefault(batch.tenant, {})
                for s in batch.series:
                    entry = tenant_series.get(s.series_id)
                    if entry is None:
                        entry = tenant_series[s.series_id] = _Series(s.key, s.kind, s.unit)
                    for sample in s.samples:
                        entry.put(sample)
            for p in positions:
                self._positions.setdefault(p.topic, {})[p.partition] = p.offset

    async def positions(self, topic: str) -> dict[int, int]:
        return dict(self._positions.get(topic, {}))

    def _matching(self, tenant: str, selectors: Sequence[Selector]) -> list[_Series]:
        found = self._series.get(tenant, {}).values()
        if not selectors:
            return list(found)
        return [s for s in found if any(sel.matches(s.key.name, s.key.labels) for sel in selectors)]

    async def select(self, tenant: str, selector: Selector, start_ms: int, end_ms: int) -> list[SeriesData]:
        out = []
        for s in self._matching(tenant, [selector]):
            lo, hi = bisect_left(s.ts, start_ms), bisect_right(s.ts, end_ms)
            if lo < hi:
                out.append(SeriesData(s.key, [Sample(t, v) for t, v in zip(s.ts[lo:hi], s.values[lo:hi])]))
        return out

    async def match_series(self, tenant: str, selector: Selector, start_ms: int, end_ms: int) -> list[SeriesMatch]:
        out = []
        for s in self._matching(tenant, [selector]):
            n = bisect_right(s.ts, end_ms) - bisect_left(s.ts, start_ms)
            if n > 0:
                out.append(SeriesMatch(s.key, n))
        return out

    async def read_arrays(self, tenant: str, keys: Sequence[SeriesKey], start_ms: int, end_ms: int) -> list[SeriesArrays]:
        by_id = self._series.get(tenant, {})
        out = []
        for key in keys:
            s = by_id.get(key.id)
            if s is None:
                continue
            lo, hi = bisect_left(s.ts, start_ms), bisect_right(s.ts, end_ms)
            if lo < hi:
                out.append(SeriesArrays(s.key, np.array(s.ts[lo:hi], np.int64), np.array(s.values[lo:hi], np.float64)))
        return out

    async def select_rollup(self, tenant: str, selector: Selector, start_ms: int, end_ms: int, step_ms: int) -> list[SeriesRollup]:
        """Per-step aggregates of whole buckets overlapping the range (ports.samples.RollupReader)."""
        if step_ms <= 0:
            raise ValueError("step_ms must be positive")
        lo, hi = start_ms - start_ms % step_ms, end_ms - end_ms % step_ms + step_ms - 1
        return [rollup(d.key, d.samples, step_ms) for d in await self.select(tenant, selector, lo, hi)]

    async def flush(self) -> None:
        """Nothing is buffered."""

    async def close(self) -> None:
        """Nothing to release."""

    async def compact(self, older_than_ms: int) -> None:
        """Nothing to reorganise: columns are always sorted (ports.samples.Maintainable)."""

    async def maintain(self, now_ms: int, retention_ms: int) -> list[str]:
        """Drop samples older than ``now_ms - retention_ms`` and the series left empty,
        so a long-running embedded process does not grow without bound."""
        cutoff = now_ms - retention_ms
        samples = emptied = 0
        async with self._lock:
            for by_id in self._series.values():
                for sid, s in list(by_id.items()):
                    if not s.ts or s.ts[0] >= cutoff:
                        continue
                    i = bisect_left(s.ts, cutoff)
                    del s.ts[:i], s.values[:i]
                    samples += i
                    if not s.ts:
                        del by_id[sid]
                        emptied += 1
        return [f"{samples} samples before {cutoff} ({emptied} series emptied)"] if samples else []

    async def series(
        self, tenant: str, selectors: Sequence[Selector], start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[SeriesInfo]:
        out = []
        for s in self._matching(tenant, selectors):
            if not s.ts:
                continue
            if start_ms is not None and s.ts[-1] < start_ms:
                continue
            if end_ms is not None and s.ts[0] > end_ms:
                continue
            out.append(SeriesInfo(s.key, s.kind, s.unit, s.ts[0], s.ts[-1]))
        out.sort(key=lambda i: (i.key.name, i.key.labels.pairs))
        return out[:limit]

    async def count_series(self, tenant: str) -> int:
        return len(self._series.get(tenant, {}))


