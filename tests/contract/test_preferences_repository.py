"""Contract of ports.preferences.PreferencesRepository on every adapter (memory, Django on
SQLite and PostgreSQL): round trip, per user and tenant, and the versioned save (a
compare-and-set; of writers that read one version exactly one wins)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from domain.dashboards.preferences import Tile, UserPreferences
from domain.errors import Conflict
from tests.contract.repositories_support import T0, uow  # noqa: F401  (uow is the fixture)

LAYOUT = (Tile("cpu", "cpu", 2, 2), Tile("alerts", "alerts", 1, 1))


def prefs(tenant="acme", user="usr-1", version=1, **fields) -> UserPreferences:
    values = dict(dashboard_layout=LAYOUT, ui={"theme": "dark", "recent": ["up", "rate(x[5m])"], "n": 1.5},
                  updated_at_ms=T0)
    return UserPreferences(tenant, user, version=version, **(values | fields))


async def test_round_trip_and_default_layout(uow):
    assert await uow.run(lambda u: u.preferences.get("acme", "usr-1")) is None
    await uow.run(lambda u: u.preferences.save(prefs(), 0))
    assert await uow.run(lambda u: u.preferences.get("acme", "usr-1")) == prefs()
    cleared = prefs(version=2, dashboard_layout=None, ui={})
    await uow.run(lambda u: u.preferences.save(cleared, 1))
    assert await uow.run(lambda u: u.preferences.get("acme", "usr-1")) == cleared


async def test_per_user_and_per_tenant(uow):
    await uow.run(lambda u: u.preferences.save(prefs(), 0))
    await uow.run(lambda u: u.preferences.save(prefs("globex", ui={"theme": "light"}), 0))
    await uow.run(lambda u: u.preferences.save(prefs(user="usr-2", dashboard_layout=()), 0))
    assert (await uow.run(lambda u: u.preferences.get("globex", "usr-1"))).ui == {"theme": "light"}
    assert (await uow.run(lambda u: u.preferences.get("acme", "usr-2"))).dashboard_layout == ()
    assert (await uow.run(lambda u: u.preferences.get("acme", "usr-1"))).ui["theme"] == "dark"
    assert await uow.run(lambda u: u.preferences.get("globex", "usr-2")) is None


async def test_stale_saves_are_refused_naming_the_current_version(uow):
    await uow.run(lambda u: u.preferences.save(prefs(), 0))
    with pytest.raises(Conflict) as first_again:
        await uow.run(lambda u: u.preferences.save(prefs(), 0))
    assert first_again.value.current_version == 1
    with pytest.raises(Conflict) as stale:
        await uow.run(lambda u: u.preferences.save(prefs(version=4), 3))
    assert stale.value.current_version == 1
    with pytest.raises(Conflict) as none_yet:
        await uow.run(lambda u: u.preferences.save(prefs(user="usr-9", version=2), 1))
    assert none_yet.value.current_version == 0
    assert (await uow.run(lambda u: u.preferences.get("acme", "usr-1"))).version == 1


@pytest.mark.parametrize("start", [0, 1])
async def test_of_writers_that_read_one_version_exactly_one_wins(uow, start):
    if start:
        await uow.run(lambda u: u.preferences.save(prefs(), 0))
    writers = [uow.run(lambda u, i=i: u.preferences.save(
        dataclasses.replace(prefs(version=start + 1), ui={"writer": i}), start)) for i in range(3)]
    results = await asyncio.gather(*writers, return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Conflict", "NoneType"]
    stored = await uow.run(lambda u: u.preferences.get("acme", "usr-1"))
    assert stored.version == start + 1 and stored.ui == {"writer": [r is None for r in results].index(True)}
