"""Contract of ports.runbooks.RunbookCatalogue, run against every adapter: in memory,
and the Django ORM on SQLite and on PostgreSQL (tests/contract/django_support.py).

To cover a new adapter, append one async context manager factory to CATALOGUES."""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import asynccontextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory.runbooks import MemoryRunbookCatalogue
from domain.errors import Conflict, NotFound
from ports.runbooks import RunbookCatalogue, RunbookRecord
from tests.contract.django_support import django_runner


@asynccontextmanager
async def memory_catalogue():
    yield MemoryRunbookCatalogue()


@asynccontextmanager
async def django_catalogue(alias: str):
    async with django_runner(alias) as runner:
        from adapters.django_orm.remediation.catalogue import DjangoRunbookCatalogue  # after Django is set up

        yield DjangoRunbookCatalogue(runner)


CATALOGUES = [
    pytest.param(memory_catalogue, id="memory"),
    pytest.param(lambda: django_catalogue("sqlite"), id="django-sqlite"),
    pytest.param(lambda: django_catalogue("postgres"), id="django-postgres"),
]


@pytest.fixture(params=CATALOGUES)
async def catalogue(request) -> RunbookCatalogue:
    async with request.param() as c:
        yield c


def record(id="rb-1", tenant="acme", version=1, **fields) -> RunbookRecord:
    definition = {"id": id, "name": "Restart web", "steps": [
        {"id": "restart", "kind": "restart", "params": {"namespace": "prod", "deployment": "web"},
         "approval": {"timeout_ms": 60_000, "roles": ["admin"]}}]}
    values = {"name": "Restart web", "definition": definition, "updated_by": "api_key:k1", "updated_at_ms": 1_700_000_000_000}
    return RunbookRecord(tenant=tenant, id=id, version=version, **(values | fields))


async def test_add_get_list_round_trip(catalogue):
    first = record(definition={**record().definition, "name": "Ünïcode ✓ " + "x" * 400}, name="Ünïcode ✓")
    await catalogue.add(first)
    await catalogue.add(record("rb-0"))
    assert await catalogue.get("acme", "rb-1") == first
    assert await catalogue.get("acme", "rb-9") is None
    assert [r.id for r in await catalogue.list("acme")] == ["rb-0", "rb-1"]


async def test_an_existing_id_is_a_conflict(catalogue):
    await catalogue.add(record())
    with pytest.raises(Conflict):
        await catalogue.add(record(name="another"))
    assert (await catalogue.get("acme", "rb-1")).name == "Restart web"


async def test_tenants_are_isolated(catalogue):
    await catalogue.add(record(tenant="acme"))
    await catalogue.add(record(tenant="globex", name="theirs"))
    assert (await catalogue.get("globex", "rb-1")).name == "theirs"
    assert [r.tenant for r in await catalogue.list("acme")] == ["acme"]
    assert await catalogue.list("initech") == []
    assert await catalogue.delete("acme", "rb-1")
    assert (await catalogue.get("globex", "rb-1")) is not None


async def test_replace_needs_the_version_read(catalogue):
    await catalogue.add(record())
    v2 = record(version=2, name="Restart web, gently")
    await catalogue.replace(v2, expected_version=1)
    assert await catalogue.get("acme", "rb-1") == v2
    with pytest.raises(Conflict):
        await catalogue.replace(record(version=2, name="stale"), expected_version=1)
    assert (await catalogue.get("acme", "rb-1")).name == "Restart web, gently"
    with pytest.raises(NotFound):
        await catalogue.replace(record("rb-9", version=2), expected_version=1)


async def test_of_two_writers_that_read_one_version_one_wins(catalogue):
    await catalogue.add(record())
    results = await asyncio.gather(*(catalogue.replace(record(version=2, name=f"writer {i}"), expected_version=1)
                                     for i in range(2)), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "NoneType"]
    stored = await catalogue.get("acme", "rb-1")
    assert stored.version == 2 and stored.name in ("writer 0", "writer 1")


async def test_delete_with_and_without_a_version(catalogue):
    await catalogue.add(record())
    await catalogue.add(record("rb-2"))
    with pytest.raises(Conflict):
        await catalogue.delete("acme", "rb-1", expected_version=3)
    assert await catalogue.delete("acme", "rb-1", expected_version=1)
    assert await catalogue.delete("acme", "rb-2")
    assert not await catalogue.delete("acme", "rb-2")
    assert await catalogue.list("acme") == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["add", "replace", "stale", "delete"]), max_size=8))
async def test_the_stored_version_follows_the_writes(catalogue, ops):
    version: int | None = None
    for op in ops:
        if op == "add":
            try:
                await catalogue.add(record())
                version = 1
            except Conflict:
                assert version is not None
        elif op == "replace" and version is not None:
            await catalogue.replace(dataclasses.replace(record(), version=version + 1), expected_version=version)
            version += 1
        elif op == "stale" and version is not None and version > 1:
            with pytest.raises(Conflict):
                await catalogue.replace(record(version=version), expected_version=version - 1)
        elif op == "delete":
            assert await catalogue.delete("acme", "rb-1") == (version is not None)
            version = None
        stored = await catalogue.get("acme", "rb-1")
        assert (stored.version if stored else None) == version
    await catalogue.delete("acme", "rb-1")


# -- versions (docs/adr/0017) ----------------------------------------------------------------


async def test_every_version_written_is_kept_until_the_runbook_is_deleted(catalogue):
    await catalogue.add(record())
    v2 = record(version=2, name="Restart web, gently")
    await catalogue.replace(v2, expected_version=1)
    v3 = record(version=3, name="Restart web, at night")
    await catalogue.replace(v3, expected_version=2)
    assert [r.version for r in await catalogue.versions("acme", "rb-1")] == [1, 2, 3]
    assert await catalogue.version("acme", "rb-1", 2) == v2
    assert await catalogue.version("acme", "rb-1", 1) == record()
    assert await catalogue.version("acme", "rb-1", 4) is None
    assert await catalogue.versions("globex", "rb-1") == []
    with pytest.raises(Conflict) as stale:
        await catalogue.replace(record(version=3), expected_version=2)
    assert stale.value.current_version == 3
    assert [r.version for r in await catalogue.versions("acme", "rb-1")] == [1, 2, 3]  # the refused write kept nothing
    assert await catalogue.delete("acme", "rb-1", expected_version=3)
    assert await catalogue.versions("acme", "rb-1") == []
    await catalogue.add(record())  # the id again: a history of its own
    assert [r.version for r in await catalogue.versions("acme", "rb-1")] == [1]
