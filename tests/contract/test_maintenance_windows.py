"""Contract of ports.repositories.MaintenanceWindowRepository on every adapter (memory,
Django on SQLite and PostgreSQL): round trip of every schedule kind, tenant isolation,
and the versioned writes (one compare-and-set; of concurrent writers one wins)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from domain.alerts.maintenance import MaintenanceWindow, Schedule
from domain.alerts.rrule import RRule
from domain.errors import Conflict, NotFound
from domain.metrics.matchers import Matcher
from tests.contract.repositories_support import T0, uow  # noqa: F401  (uow is the fixture)

DAY = 86_400_000


def window(id="mw-1", tenant="acme", kind="weekly", **fields) -> MaintenanceWindow:
    schedules = {
        "once": Schedule("once", T0, T0 + 3_600_000),
        "weekly": Schedule("weekly", T0, T0 + 90 * DAY, "Europe/Berlin", frozenset({5, 6}), "22:00", 4 * 3_600_000),
        "rrule": Schedule("rrule", T0, T0 + 300 * DAY, "America/New_York", start_time="01:30",
                          duration_ms=3_600_000, rrule=RRule.parse("FREQ=MONTHLY;BYDAY=-1SU")),
    }
    values = dict(name="Patch night ✓", matchers=(Matcher.of("env", "=", "prod"), Matcher.of("team", "=~", "db|web")),
                  schedule=schedules[kind], comment="kernel updates", created_by="usr-1", created_at_ms=T0)
    return MaintenanceWindow(id=id, tenant=tenant, **(values | fields))


@pytest.mark.parametrize("kind", ["once", "weekly", "rrule"])
async def test_round_trip(uow, kind):
    stored = window(kind=kind, seeded_from="maintenance_windows[0]")
    await uow.run(lambda u: u.maintenance_windows.add(stored))
    assert await uow.run(lambda u: u.maintenance_windows.get("acme", "mw-1")) == stored
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.maintenance_windows.add(stored))


async def test_list_is_by_id_and_per_tenant(uow):
    await uow.run(lambda u: [u.maintenance_windows.add(w) for w in (window("b"), window("a"), window("a", "globex"))])
    assert [w.id for w in await uow.run(lambda u: u.maintenance_windows.list("acme"))] == ["a", "b"]
    assert [w.tenant for w in await uow.run(lambda u: u.maintenance_windows.list("globex"))] == ["globex"]
    assert await uow.run(lambda u: u.maintenance_windows.get("globex", "b")) is None


async def test_versioned_replace_and_remove(uow):
    await uow.run(lambda u: u.maintenance_windows.add(window()))
    v2 = dataclasses.replace(window(), version=2, comment="moved")
    await uow.run(lambda u: u.maintenance_windows.replace(v2, 1))
    assert (await uow.run(lambda u: u.maintenance_windows.get("acme", "mw-1"))).comment == "moved"
    with pytest.raises(Conflict) as stale:
        await uow.run(lambda u: u.maintenance_windows.replace(dataclasses.replace(window(), version=2), 1))
    assert stale.value.current_version == 2
    with pytest.raises(NotFound):
        await uow.run(lambda u: u.maintenance_windows.replace(dataclasses.replace(window("x"), version=2), 1))
    with pytest.raises(Conflict) as stale:
        await uow.run(lambda u: u.maintenance_windows.remove("acme", "mw-1", 1))
    assert stale.value.current_version == 2
    assert await uow.run(lambda u: u.maintenance_windows.remove("acme", "mw-1", 2)) is True
    assert await uow.run(lambda u: u.maintenance_windows.remove("acme", "mw-1", 2)) is False


async def test_of_writers_that_read_one_version_exactly_one_wins(uow):
    await uow.run(lambda u: u.maintenance_windows.add(window()))
    writers = [uow.run(lambda u, i=i: u.maintenance_windows.replace(
        dataclasses.replace(window(), version=2, comment=f"writer {i}"), 1)) for i in range(3)]
    results = await asyncio.gather(*writers, return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Conflict", "NoneType"]
    stored = await uow.run(lambda u: u.maintenance_windows.get("acme", "mw-1"))
    assert stored.version == 2 and stored.comment == f"writer {[r is None for r in results].index(True)}"
