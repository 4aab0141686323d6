"""What recording rules just wrote, readable at once.

Recorded samples go through the ingest path (bus, writer, store), so they reach the
store a moment later. Prometheus' rules read their group's earlier results at the same
evaluation (a recording rule feeding an alert on the recorded series is the usual
pattern), so the rule engine reads through this overlay: the store's samples, plus
the samples recorded in the last ``retention_ms`` (beyond that the store has them),
merged by series and timestamp.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

import numpy as np

from domain.metrics.query import Selector
from domain.metrics.series import SeriesKey
from ports.samples import SampleStore, SeriesArrays, SeriesMatch


class RecordedOverlay:
    """A ``SampleStore`` over ``store`` that also answers from recent recordings."""

    def __init__(self, store: SampleStore, retention_ms: int = 300_000) -> None:
        self._store = store
        self._retention_ms = retention_ms
        self._recent: dict[str, dict[int, tuple[SeriesKey, list[int], list[float]]]] = {}

    # The rest of the port is the store's own (the rule engine only reads).
    async def write(self, batches, positions=()) -> None:
        await self._store.write(batches, positions)

    async def positions(self, topic: str) -> dict[int, int]:
        return await self._store.positions(topic)

    async def select(self, tenant: str, selector: Selector, start_ms: int, end_ms: int):
        return await self._store.select(tenant, selector, start_ms, end_ms)

    async def series(self, tenant: str, selectors, start_ms: int | None, end_ms: int | None, limit: int):
        return await self._store.series(tenant, selectors, start_ms, end_ms, limit)

    async def count_series(self, tenant: str) -> int:
        return await self._store.count_series(tenant)

    def record(self, key: SeriesKey, at_ms: int, value: float) -> None:
        series = self._recent.setdefault(key.tenant, {})
        entry = series.get(key.id)
        if entry is None:
            entry = series[key.id] = (key, [], [])
        _, times, values = entry
        i = bisect_left(times, at_ms)
        if i < len(times) and times[i] == at_ms:
            values[i] = value
        else:
            times.insert(i, at_ms)
            values.insert(i, value)

    def expire(self, now_ms: int) -> None:
        oldest = now_ms - self._retention_ms
        for tenant in list(self._recent):
            series = self._recent[tenant]
            for sid in list(series):
                _, times, values = series[sid]
                cut = bisect_left(times, oldest)
                del times[:cut], values[:cut]
                if not times:
                    del series[sid]
            if not series:
                del self._recent[tenant]

    def _recorded(self, tenant: str, key_id: int, start_ms: int, end_ms: int) -> tuple[list[int], list[float]]:
        entry = self._recent.get(tenant, {}).get(key_id)
        if entry is None:
            return [], []
        _, times, values = entry
        lo, hi = bisect_left(times, start_ms), bisect_right(times, end_ms)
        return times[lo:hi], values[lo:hi]

    async def match_series(self, tenant: str, selector: Selector, start_ms: int, end_ms: int) -> list[SeriesMatch]:
        matched = {m.key.id: m for m in await self._store.match_series(tenant, selector, start_ms, end_ms)}
        for sid, (key, _, _) in self._recent.get(tenant, {}).items():
            times, _ = self._recorded(tenant, sid, start_ms, end_ms)
            if times and selector.matches(key.name, key.labels):
                known = matched.get(sid)
                matched[sid] = SeriesMatch(key, len(times) + (known.samples if known else 0))
        return list(matched.values())

    async def read_arrays(self, tenant: str, keys: Sequence[SeriesKey], start_ms: int, end_ms: int) -> list[SeriesArrays]:
        stored = {a.key.id: a for a in await self._store.read_arrays(tenant, keys, start_ms, end_ms)}
        out = []
        for key in keys:
            have = stored.get(key.id)
            times, values = self._recorded(tenant, key.id, start_ms, end_ms)
            if not times:
                if have is not None:
                    out.append(have)
                continue
            extra_t = np.array(times, np.int64)
            extra_v = np.array(values, np.float64)
            if have is None:
                out.append(SeriesArrays(key, extra_t, extra_v))
                continue
            # Both: the store's samples, and the recorded ones at times it lacks
            new = ~np.isin(extra_t, have.timestamps)
            t = np.concatenate([have.timestamps, extra_t[new]])
            v = np.concatenate([have.values, extra_v[new]])
            order = np.argsort(t, kind="stable")
            out.append(SeriesArrays(have.key, t[order], v[order]))
        return out
