"""The per-tenant active-series limit of ingest (``max_active_series``): a request whose
new series would take the tenant over it is refused whole (before anything is
published) with a 422 naming the limit;
known series keep flowing; series expire after the window."""

from __future__ import annotations

import pytest

from adapters.memory.active_series import MemoryActiveSeries
from adapters.memory.bus import MemoryBus
from adapters.memory.cache import MemoryRateLimiter
from domain.errors import LimitExceeded
from services.ingest import IngestLimits, IngestService, RawSeries

NOW = 1_800_000_000_000


class Clock:
    def __init__(self) -> None:
        self.ms = NOW

    def now_ms(self) -> int:
        return self.ms


def raw(*hosts: str, at: int = NOW) -> list[RawSeries]:
    return [RawSeries("up", {"host": h}, [[at, 1.0]]) for h in hosts]


@pytest.mark.parametrize("shared", [False, True])
async def test_new_series_over_the_limit_are_refused_whole_and_known_ones_flow(shared: bool) -> None:
    bus, clock, active = MemoryBus(partitions=2), Clock(), MemoryActiveSeries()
    limits = IngestLimits(max_active_series=3, active_series_window_ms=60_000)
    svc = IngestService(bus, clock, MemoryRateLimiter(), limits, active)
    other = IngestService(bus, clock, MemoryRateLimiter(), limits, active) if shared else svc  # a second replica
    await svc.ingest("t1", raw("a", "b"))
    with pytest.raises(LimitExceeded) as err:
        await other.ingest("t1", raw("a", "c", "d"))
    assert err.value.limit == "max_active_series" and err.value.value == 3 and "2 active series" in str(err.value)
    await other.ingest("t1", raw("a", "b", "c"))  # c fits
    await svc.ingest("t2", raw("a", "b", "c"))  # another tenant counts apart
    clock.ms += 60_000  # every series of t1 expired
    await other.ingest("t1", raw("x", "y", "z", at=clock.ms))


async def test_no_limit_by_default() -> None:
    svc = IngestService(MemoryBus(partitions=1), Clock(), MemoryRateLimiter(), IngestLimits(), MemoryActiveSeries())
    await svc.ingest("t1", raw(*[str(i) for i in range(50)]))
