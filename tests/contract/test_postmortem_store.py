"""Contract of ports.postmortems.PostmortemStore, run against every adapter: in memory,
and the Django ORM on SQLite and on PostgreSQL (tests/contract/django_support.py).

To cover a new adapter, append one async context manager factory to STORES: it yields
a store over empty tables and cleans up after the test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import uuid
from contextlib import asynccontextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory.postmortems import MemoryPostmortemStore
from ports.postmortems import Postmortem, PostmortemStore
from tests.contract.django_support import django_runner

T0 = 1_700_000_000_000


@asynccontextmanager
async def memory_store():
    yield MemoryPostmortemStore()


@asynccontextmanager
async def django_store(alias: str):
    async with django_runner(alias) as runner:
        from adapters.django_orm.incidents.postmortems import DjangoPostmortemStore  # after Django is set up

        yield DjangoPostmortemStore(runner)


STORES = [
    pytest.param(memory_store, id="memory"),
    pytest.param(lambda: django_store("sqlite"), id="django-sqlite"),
    pytest.param(lambda: django_store("postgres"), id="django-postgres"),
]


@pytest.fixture(params=STORES)
async def store(request) -> PostmortemStore:
    async with request.param() as s:
        yield s


def postmortem(id="inc-1.pm1", tenant="acme", incident_id="inc-1", version=1, **fields) -> Postmortem:
    values = {"title": "Postmortem: disk full", "owner": "alice", "due_at_ms": T0 + 86_400_000,
              "body": "# Postmortem: disk full\n\n- Opened: 2023-11-14 22:13:20 UTC\n", **fields}
    return Postmortem(id=id, tenant=tenant, incident_id=incident_id, version=version, **values)


async def test_save_and_get_round_trip(store):
    draft = postmortem(body="# Ünïcode ✓\n\n" + "line\n" * 2_000, title="Postmortem: " + "x" * 500)
    await store.save(draft)

    assert await store.get("acme", "inc-1.pm1") == draft
    assert await store.get("acme", "inc-1.pm2") is None
    assert await store.for_incident("acme", "inc-1") == [draft]


async def test_published_fields_round_trip_set_and_unset(store):
    draft = postmortem()
    assert (draft.status, draft.published_by, draft.published_at_ms) == ("draft", None, None)
    await store.save(draft)
    assert await store.get("acme", draft.id) == draft

    published = dataclasses.replace(draft, status="published", published_by="bob", published_at_ms=T0 + 5, version=2)
    await store.save(published)
    assert await store.get("acme", draft.id) == published

    cleared = dataclasses.replace(published, status="cancelled", published_by=None, published_at_ms=None, version=3)
    await store.save(cleared)
    assert await store.get("acme", draft.id) == cleared


async def test_postmortems_are_isolated_by_tenant(store):
    mine = postmortem(tenant="acme")
    await store.save(mine)

    assert await store.get("globex", mine.id) is None
    assert await store.for_incident("globex", mine.incident_id) == []

    theirs = postmortem(tenant="globex", title="Postmortem: theirs", owner="carol", version=1)
    await store.save(theirs)  # the same id in another tenant is another document
    assert await store.get("acme", mine.id) == mine
    assert await store.get("globex", mine.id) == theirs
    assert await store.for_incident("acme", mine.incident_id) == [mine]
    assert await store.for_incident("globex", mine.incident_id) == [theirs]


async def test_for_incident_keeps_that_incident_only_ordered_by_id(store):
    ids = ["inc-1.pm2", "inc-1.pm10", "inc-1.Pm3", "inc-1.pm1"]  # code-point order, not the collation's
    for pid in ids:
        await store.save(postmortem(pid))
    await store.save(postmortem("inc-2.pm1", incident_id="inc-2"))
    await store.save(postmortem("inc-10.pm1", incident_id="inc-10"))

    assert [p.id for p in await store.for_incident("acme", "inc-1")] == sorted(ids)
    assert [p.id for p in await store.for_incident("acme", "inc-2")] == ["inc-2.pm1"]
    assert await store.for_incident("acme", "inc-3") == []


async def test_an_older_version_never_replaces_a_newer_one(store):
    v2 = postmortem(version=2, owner="bob")
    await store.save(v2)

    await store.save(postmortem(version=1, owner="stale"))
    assert await store.get("acme", v2.id) == v2

    v2_again = dataclasses.replace(v2, body="edited at the same version")
    await store.save(v2_again)  # equal replaces: a retried write of the same version lands
    assert await store.get("acme", v2.id) == v2_again

    v3 = dataclasses.replace(v2, owner="carol", version=3)
    await store.save(v3)
    await store.save(postmortem(version=2, owner="late retry"))
    assert await store.get("acme", v2.id) == v3
    assert await store.for_incident("acme", v2.incident_id) == [v3]


async def test_racing_saves_keep_the_highest_version(store):
    """Writers in parallel (the Django runner's pool on PostgreSQL): a missing row is
    inserted once, and whatever the order the highest version stays."""
    for round_ in range(5):
        versions = list(range(1, 9))
        random.Random(round_).shuffle(versions)
        pid = f"inc-race.pm{round_}"
        await asyncio.gather(*(store.save(postmortem(pid, owner=f"v{v}", version=v)) for v in versions))
        stored = await store.get("acme", pid)
        assert (stored.version, stored.owner) == (8, "v8")


SAVES = st.lists(st.tuples(st.integers(1, 5), st.sampled_from(["alice", "bob", "carol"])), min_size=1, max_size=8)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(saves=SAVES)
async def test_any_sequence_of_saves_leaves_the_last_of_the_highest_version(store, saves):
    incident_id = f"inc-{uuid.uuid4().hex[:12]}"  # one store serves every example: isolate by incident
    pid = f"{incident_id}.pm1"
    expected = None
    for i, (version, owner) in enumerate(saves):
        doc = postmortem(pid, incident_id=incident_id, version=version, owner=owner, body=f"save #{i}")
        await store.save(doc)
        if expected is None or expected.version <= version:
            expected = doc

    assert await store.get("acme", pid) == expected
    assert await store.for_incident("acme", incident_id) == [expected]


@pytest.mark.parametrize("alias", ["sqlite", "postgres"])
async def test_django_store_raises_on_a_value_the_columns_refuse(alias):
    """The unique-key fallback in ``save`` must not swallow other integrity errors."""
    from django.db import IntegrityError

    async with django_store(alias) as django:
        with pytest.raises(IntegrityError):
            await django.save(postmortem(version=-1))  # the version column is unsigned
        assert await django.get("acme", "inc-1.pm1") is None
