"""Contract of the versioned writes of ports.repositories.RuleRepository (docs/adr/0017),
run on every adapter (memory, Django on SQLite and PostgreSQL: RUNNERS in
repositories_support.py): the resource fields round-trip, a replace or delete is one
compare-and-set that names the current version when it refuses, and of concurrent
writers that read the same version exactly one wins."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.alerts.rules import AbsenceRule, AnomalyRule
from domain.errors import Conflict, NotFound
from tests.contract.repositories_support import T0, rule, uow  # noqa: F401  (uow is the fixture)


def _next(r, **changes):
    return dataclasses.replace(r, version=r.version + 1, **changes)


async def test_the_resource_fields_round_trip(uow):
    stored = dataclasses.replace(rule(), group="hosts / prod ✓", enabled=False, updated_by="usr-1",
                                 updated_at_ms=T0)
    await uow.run(lambda u: u.rules.add(stored))
    assert await uow.run(lambda u: u.rules.get("acme", "r-1")) == stored
    absence = AbsenceRule(id="r-2", tenant="acme", name="Gone", selector="up", absent_for_ms=60_000, version=4)
    anomaly = AnomalyRule(id="r-3", tenant="acme", name="Odd", selector="lat", detector="ewma", level=0.9)
    await uow.run(lambda u: [u.rules.add(absence), u.rules.add(anomaly)])
    assert await uow.run(lambda u: u.rules.get("acme", "r-2")) == absence
    assert await uow.run(lambda u: u.rules.get("acme", "r-3")) == anomaly


async def test_replace_is_checked_against_the_stored_version(uow):
    await uow.run(lambda u: u.rules.add(rule()))
    v2 = _next(rule(), threshold=0.5, group="other")
    await uow.run(lambda u: u.rules.replace(v2, 1))
    assert await uow.run(lambda u: u.rules.get("acme", "r-1")) == v2
    with pytest.raises(Conflict) as stale:
        await uow.run(lambda u: u.rules.replace(_next(rule(), threshold=0.1), 1))
    assert stale.value.current_version == 2
    assert (await uow.run(lambda u: u.rules.get("acme", "r-1"))).threshold == 0.5
    with pytest.raises(NotFound):
        await uow.run(lambda u: u.rules.replace(_next(rule("r-9")), 1))
    with pytest.raises(NotFound):  # another tenant's rule of the same id is not this one
        await uow.run(lambda u: u.rules.replace(_next(rule(tenant="globex")), 1))


async def test_a_replace_kind_change_is_stored(uow):
    await uow.run(lambda u: u.rules.add(rule()))
    absence = AbsenceRule(id="r-1", tenant="acme", name="Gone", selector="up", absent_for_ms=60_000, version=2)
    await uow.run(lambda u: u.rules.replace(absence, 1))
    assert await uow.run(lambda u: u.rules.get("acme", "r-1")) == absence


async def test_remove_with_a_version(uow):
    await uow.run(lambda u: u.rules.add(rule()))
    with pytest.raises(Conflict) as stale:
        await uow.run(lambda u: u.rules.remove("acme", "r-1", 3))
    assert stale.value.current_version == 1
    assert await uow.run(lambda u: u.rules.remove("acme", "r-1", 1)) is True
    assert await uow.run(lambda u: u.rules.remove("acme", "r-1", 1)) is False


async def test_of_writers_that_read_one_version_exactly_one_wins(uow):
    await uow.run(lambda u: u.rules.add(rule()))
    writers = [uow.run(lambda u, i=i: u.rules.replace(_next(rule(), threshold=float(i)), 1)) for i in range(4)]
    results = await asyncio.gather(*writers, return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict"] * 3 + ["NoneType"]
    stored = await uow.run(lambda u: u.rules.get("acme", "r-1"))
    winner = next(i for i, r in enumerate(results) if r is None)
    assert (stored.version, stored.threshold) == (2, float(winner))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["add", "replace", "stale", "delete"]), max_size=8))
async def test_the_stored_version_follows_the_writes(uow, ops):
    version: int | None = None
    for op in ops:
        if op == "add":
            try:
                await uow.run(lambda u: u.rules.add(rule()))
                version = 1
            except Conflict:
                assert version is not None
        elif op == "replace" and version is not None:
            await uow.run(lambda u, v=version: u.rules.replace(dataclasses.replace(rule(), version=v + 1), v))
            version += 1
        elif op == "stale" and version is not None and version > 1:
            with pytest.raises(Conflict):
                await uow.run(lambda u, v=version: u.rules.replace(dataclasses.replace(rule(), version=v), v - 1))
        elif op == "delete":
            assert await uow.run(lambda u: u.rules.remove("acme", "r-1")) == (version is not None)
            version = None
        stored = await uow.run(lambda u: u.rules.get("acme", "r-1"))
        assert (stored.version if stored else None) == version
    await uow.run(lambda u: u.rules.remove("acme", "r-1"))
