"""Contract of ports.dashboards.DashboardRepository on every adapter (memory, Django on
SQLite and PostgreSQL): round trip, per tenant, and the versioned writes (one
compare-and-set; of concurrent writers one wins)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from domain.dashboards.dashboard import Dashboard, Panel
from domain.errors import Conflict, NotFound
from tests.contract.repositories_support import T0, uow  # noqa: F401  (uow is the fixture)


def dashboard(id="d-1", tenant="acme", **fields) -> Dashboard:
    panels = (Panel("CPU ✓", ('max by (host) (cpu{mode!="idle"})', "up"), "stacked", "now-6h", "now", "Europe/Berlin",
                    "1m"),
              Panel("Table", ("count(up)",), "table", "1700000000000", "1700003600000", "browser", None))
    values = dict(title="Hosts", description="the fleet", panels=panels, version=1, created_by="usr-1",
                  created_at_ms=T0, updated_by="usr-1", updated_at_ms=T0)
    return Dashboard(id, tenant, **(values | fields))


async def test_round_trip(uow):
    await uow.run(lambda u: u.dashboards.add(dashboard()))
    assert await uow.run(lambda u: u.dashboards.get("acme", "d-1")) == dashboard()
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.dashboards.add(dashboard(title="again")))
    empty = dashboard("d-2", panels=(), description="")
    await uow.run(lambda u: u.dashboards.add(empty))
    assert await uow.run(lambda u: u.dashboards.get("acme", "d-2")) == empty


async def test_list_is_by_id_and_per_tenant(uow):
    await uow.run(lambda u: [u.dashboards.add(d) for d in (dashboard("b"), dashboard("a"), dashboard("a", "globex"))])
    assert [d.id for d in await uow.run(lambda u: u.dashboards.list("acme"))] == ["a", "b"]
    assert [d.tenant for d in await uow.run(lambda u: u.dashboards.list("globex"))] == ["globex"]
    assert await uow.run(lambda u: u.dashboards.get("globex", "b")) is None


async def test_versioned_replace_and_remove(uow):
    await uow.run(lambda u: u.dashboards.add(dashboard()))
    v2 = dashboard(version=2, title="Fleet", panels=dashboard().panels[:1])
    await uow.run(lambda u: u.dashboards.replace(v2, 1))
    assert await uow.run(lambda u: u.dashboards.get("acme", "d-1")) == v2
    with pytest.raises(Conflict) as stale:
        await uow.run(lambda u: u.dashboards.replace(dashboard(version=2), 1))
    assert stale.value.current_version == 2
    with pytest.raises(NotFound):
        await uow.run(lambda u: u.dashboards.replace(dashboard("x", version=2), 1))
    with pytest.raises(Conflict) as stale:
        await uow.run(lambda u: u.dashboards.remove("acme", "d-1", 1))
    assert stale.value.current_version == 2
    assert await uow.run(lambda u: u.dashboards.remove("acme", "d-1", 2)) is True
    assert await uow.run(lambda u: u.dashboards.remove("acme", "d-1", 2)) is False


async def test_of_writers_that_read_one_version_exactly_one_wins(uow):
    await uow.run(lambda u: u.dashboards.add(dashboard()))
    writers = [uow.run(lambda u, i=i: u.dashboards.replace(dataclasses.replace(dashboard(), version=2, title=f"w{i}"), 1))
               for i in range(3)]
    results = await asyncio.gather(*writers, return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Conflict", "NoneType"]
    stored = await uow.run(lambda u: u.dashboards.get("acme", "d-1"))
    assert stored.version == 2 and stored.title == f"w{[r is None for r in results].index(True)}"
