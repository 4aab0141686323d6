"""Active series in process (the embedded stack and the unit tests): per tenant, series
id -> last time recorded, oldest first, so expiry pops from the front."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence


class MemoryActiveSeries:
    def __init__(self) -> None:
        self._tenants: dict[str, OrderedDict[int, int]] = {}

    async def admit(self, tenant: str, series_ids: Sequence[int], limit: int, now_ms: int, window_ms: int) -> int | None:
        active = self._tenants.setdefault(tenant, OrderedDict())
        while active and next(iter(active.values())) <= now_ms - window_ms:
            active.popitem(last=False)
        fresh = {sid for sid in series_ids if sid not in active}
        if len(active) + len(fresh) > limit:
            return len(active)
        for sid in series_ids:
            active[sid] = now_ms
            active.move_to_end(sid)
        return None
