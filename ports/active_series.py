"""Active series per tenant: the bounded-memory limit of ingest (``OBSERVER_MAX_ACTIVE_SERIES``).

A series is active while it received a sample within the window (``OBSERVER_ACTIVE_SERIES_WINDOW_S``).
Every API replica shares the count (Redis), so the limit holds for the tenant, not per process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class ActiveSeries(Protocol):
    async def admit(self, tenant: str, series_ids: Sequence[int], limit: int, now_ms: int, window_ms: int) -> int | None:
        """Record ``series_ids`` as active at ``now_ms``, all or none.

        Returns None when they were recorded; otherwise (recording the ones not yet
        active would take the tenant over ``limit``) records nothing and returns how
        many series the tenant has active. Series last recorded ``window_ms`` or more
        before ``now_ms`` are no longer active."""
        ...
