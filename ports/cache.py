"""Cache, pub/sub fan-out and rate limits (Redis in production)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from domain.metrics.samples import Sample


class LatestValueCache(Protocol):
    async def set_latest(self, tenant: str, values: Sequence[tuple[int, Sample]]) -> None:
        """(series id, newest sample) pairs; an older sample never replaces a newer one."""
        ...

    async def set_latest_columns(self, tenant: str, series_ids: np.ndarray, timestamps_ms: np.ndarray, values: np.ndarray) -> None:
        """``set_latest`` for three aligned arrays (int64, int64, float64), an id possibly
        more than once: the writer's hot path, with no object per series."""
        ...

    async def get_latest(self, tenant: str, series_ids: Sequence[int]) -> dict[int, Sample]: ...


class PubSub(Protocol):
    async def publish(self, channel: str, payload: bytes) -> None: ...

    async def listened(self, channel: str) -> bool:
        """Whether anyone subscribes to ``channel`` now, so a publisher can skip
        building a message nobody reads. True for a subscription that has received a
        message; may be True when nobody listens (it may lag by a fraction of a second)."""
        ...

    def subscribe(self, channels: Sequence[str]) -> AsyncIterator[tuple[str, bytes]]:
        """Messages published on any of ``channels`` after the subscription started."""
        ...


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    retry_after_s: float = 0.0


class RateLimiter(Protocol):
    async def acquire(self, key: str, cost: int, rate_per_s: float, burst: int) -> RateDecision:
        """Token bucket: take ``cost`` tokens or say when to retry."""
        ...
