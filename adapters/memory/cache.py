"""In-process latest-value cache, pub/sub and token-bucket rate limiter."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence

import numpy as np

from domain.metrics.samples import Sample
from ports.cache import RateDecision

log = logging.getLogger(__name__)


class MemoryLatestValueCache:
    def __init__(self) -> None:
        self._latest: dict[tuple[str, int], Sample] = {}

    async def set_latest(self, tenant: str, values: Sequence[tuple[int, Sample]]) -> None:
        for sid, sample in values:
            key = (tenant, sid)
            old = self._latest.get(key)
            if old is None or sample.timestamp_ms >= old.timestamp_ms:
                self._latest[key] = sample

    async def set_latest_columns(self, tenant: str, series_ids: np.ndarray, timestamps_ms: np.ndarray, values: np.ndarray) -> None:
        await self.set_latest(tenant, list(zip(series_ids.tolist(), map(Sample, timestamps_ms.tolist(), values.tolist()))))

    async def get_latest(self, tenant: str, series_ids: Sequence[int]) -> dict[int, Sample]:
        return {sid: s for sid in series_ids if (s := self._latest.get((tenant, sid))) is not None}


class MemoryPubSub:
    """Fan-out to in-process subscribers. Each subscriber has a bounded queue; when a
    subscriber falls behind, its oldest messages are dropped (never unbounded growth)."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._subs: dict[str, set[asyncio.Queue[tuple[str, bytes]]]] = {}
        self._queue_size = queue_size

    async def listened(self, channel: str) -> bool:
        return bool(self._subs.get(channel))

    async def publish(self, channel: str, payload: bytes) -> None:
        for q in list(self._subs.get(channel, ())):
            if q.full():
                q.get_nowait()
            q.put_nowait((channel, payload))

    def subscribe(self, channels: Sequence[str]) -> AsyncIterator[tuple[str, bytes]]:
        # Registered now, not on first iteration: nothing published after this call is missed.
        q: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(self._queue_size)
        for c in channels:
            self._subs.setdefault(c, set()).add(q)
        return self._drain(q, tuple(channels))

    async def _drain(self, q: asyncio.Queue[tuple[str, bytes]], channels: tuple[str, ...]) -> AsyncIterator[tuple[str, bytes]]:
        try:
            while True:
                yield await q.get()
        finally:
            for c in channels:
                self._subs.get(c, set()).discard(q)


class MemoryRateLimiter:
    def __init__(self, monotonic=time.monotonic) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._now = monotonic

    async def acquire(self, key: str, cost: int, rate_per_s: float, burst: int) -> RateDecision:
        now = self._now()
        tokens, at = self._buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - at) * rate_per_s)
        if cost <= tokens:
            self._buckets[key] = (tokens - cost, now)
            return RateDecision(True)
        self._buckets[key] = (tokens, now)
        needed = min(cost, burst) - tokens
        return RateDecision(False, retry_after_s=max(needed / rate_per_s, 0.001) if rate_per_s > 0 else 60.0)
