"""Contract of ports.oncall_store.OnCallRepository (``uow.oncall``): escalation policies
and on-call schedules, versioned, per tenant; run against every adapter (memory, Django
on SQLite and on PostgreSQL: RUNNERS in repositories_support.py)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from domain.errors import Conflict, NotFound
from ports.oncall_store import POLICY, SCHEDULE, CalendarFeed, OnCallRecord
from tests.contract.repositories_support import T0, uow  # noqa: F401  (uow is the fixture)


def record(id="primary", tenant="acme", kind=SCHEDULE, version=1, name="Primary") -> OnCallRecord:
    return OnCallRecord(tenant, kind, id, name, {"id": id, "name": name, "layers": [], "overrides": []}, version,
                        "ada", T0)


async def test_add_then_get_returns_what_was_stored(uow):
    await uow.run(lambda u: u.oncall.add(record()))
    got = await uow.run(lambda u: u.oncall.get("acme", SCHEDULE, "primary"))
    assert got == record()
    assert await uow.run(lambda u: u.oncall.get("acme", POLICY, "primary")) is None  # kinds are apart
    assert await uow.run(lambda u: u.oncall.get("other", SCHEDULE, "primary")) is None  # tenants are apart


async def test_adding_an_existing_id_conflicts_and_the_unit_of_work_can_go_on(uow):
    await uow.run(lambda u: u.oncall.add(record()))

    def twice(u):
        with pytest.raises(Conflict):
            u.oncall.add(record(name="Again"))
        u.oncall.add(record("secondary"))

    await uow.run(twice)
    assert [r.id for r in await uow.run(lambda u: u.oncall.list("acme", SCHEDULE))] == ["primary", "secondary"]
    assert (await uow.run(lambda u: u.oncall.get("acme", SCHEDULE, "primary"))).name == "Primary"


async def test_the_same_id_in_another_kind_or_tenant_is_another_resource(uow):
    await uow.run(lambda u: [u.oncall.add(record()), u.oncall.add(record(kind=POLICY)),
                             u.oncall.add(record(tenant="other"))])
    assert await uow.run(lambda u: u.oncall.count("acme")) == 2
    assert await uow.run(lambda u: u.oncall.count("other")) == 1
    assert await uow.run(lambda u: u.oncall.count("nobody")) == 0


async def test_list_is_ordered_by_id_and_pages_with_after_and_limit(uow):
    ids = ["b", "a", "d", "c", "e"]
    await uow.run(lambda u: [u.oncall.add(record(i, kind=POLICY)) for i in ids])
    await uow.run(lambda u: u.oncall.add(record("zz", kind=SCHEDULE)))
    assert [r.id for r in await uow.run(lambda u: u.oncall.list("acme", POLICY))] == ["a", "b", "c", "d", "e"]
    assert [r.id for r in await uow.run(lambda u: u.oncall.list("acme", POLICY, limit=2))] == ["a", "b"]
    assert [r.id for r in await uow.run(lambda u: u.oncall.list("acme", POLICY, after="b", limit=2))] == ["c", "d"]
    assert await uow.run(lambda u: u.oncall.list("acme", POLICY, after="e")) == []


async def test_replace_at_the_read_version_stores_and_a_stale_one_conflicts_naming_the_current(uow):
    await uow.run(lambda u: u.oncall.add(record()))
    await uow.run(lambda u: u.oncall.replace(record(version=2, name="Renamed"), 1))
    assert (await uow.run(lambda u: u.oncall.get("acme", SCHEDULE, "primary"))).name == "Renamed"
    with pytest.raises(Conflict) as stale:
        await uow.run(lambda u: u.oncall.replace(record(version=2, name="Lost"), 1))
    assert stale.value.current_version == 2
    assert (await uow.run(lambda u: u.oncall.get("acme", SCHEDULE, "primary"))).name == "Renamed"
    with pytest.raises(NotFound):
        await uow.run(lambda u: u.oncall.replace(record("gone", version=2), 1))


async def test_two_writers_of_the_same_version_one_wins(uow):
    await uow.run(lambda u: u.oncall.add(record()))
    results = await asyncio.gather(
        uow.run(lambda u: u.oncall.replace(record(version=2, name="First"), 1)),
        uow.run(lambda u: u.oncall.replace(record(version=2, name="Second"), 1)),
        return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "NoneType"]


async def test_delete_checks_the_version_when_given(uow):
    await uow.run(lambda u: [u.oncall.add(record()), u.oncall.add(record("other"))])
    with pytest.raises(Conflict) as stale:
        await uow.run(lambda u: u.oncall.delete("acme", SCHEDULE, "primary", 7))
    assert stale.value.current_version == 1
    assert await uow.run(lambda u: u.oncall.delete("acme", SCHEDULE, "primary", 1)) is True
    assert await uow.run(lambda u: u.oncall.delete("acme", SCHEDULE, "primary", 1)) is False
    assert await uow.run(lambda u: u.oncall.delete("acme", SCHEDULE, "other")) is True
    assert await uow.run(lambda u: u.oncall.count("acme")) == 0


async def test_a_failing_unit_of_work_leaves_nothing_behind(uow):
    class Boom(Exception):
        pass

    def work(u):
        u.oncall.add(record())
        raise Boom

    with pytest.raises(Boom):
        await uow.run(work)
    assert await uow.run(lambda u: u.oncall.get("acme", SCHEDULE, "primary")) is None


async def test_a_tenant_is_seeded_once(uow):
    assert await uow.run(lambda u: u.oncall.claim_seed("acme", T0)) is True
    assert await uow.run(lambda u: u.oncall.claim_seed("acme", T0 + 1)) is False
    assert await uow.run(lambda u: u.oncall.claim_seed("other", T0)) is True


async def test_documents_come_back_as_written(uow):
    doc = {"id": "p", "levels": [{"timeout_ms": 60_000, "targets": [{"kind": "user", "ref": "ada"}]}],
           "severities": ["SEV1"], "repeat": 2, "description": "ünïcode ok"}
    await uow.run(lambda u: u.oncall.add(replace(record("p", kind=POLICY), document=doc)))
    assert (await uow.run(lambda u: u.oncall.get("acme", POLICY, "p"))).document == doc


# ------------------------------------------------------------------ calendar feeds


def feed(id="f-1", tenant="acme", user="ada", token_hash="a" * 64, at=T0) -> CalendarFeed:
    return CalendarFeed(id, tenant, user, token_hash, "ada", at)


async def test_feeds_are_found_by_token_hash_listed_per_user_and_deleted(uow):
    await uow.run(lambda u: [u.oncall.add_feed(feed()), u.oncall.add_feed(feed("f-2", user="bob", token_hash="b" * 64,
                                                                                at=T0 + 1)),
                             u.oncall.add_feed(feed("f-1", tenant="other", token_hash="c" * 64))])
    assert await uow.run(lambda u: u.oncall.feed_by_hash("b" * 64)) == feed("f-2", user="bob", token_hash="b" * 64,
                                                                            at=T0 + 1)
    assert (await uow.run(lambda u: u.oncall.feed_by_hash("c" * 64))).tenant == "other"
    assert await uow.run(lambda u: u.oncall.feed_by_hash("d" * 64)) is None
    assert [f.id for f in await uow.run(lambda u: u.oncall.feeds("acme"))] == ["f-1", "f-2"]
    assert [f.id for f in await uow.run(lambda u: u.oncall.feeds("acme", "bob"))] == ["f-2"]
    assert await uow.run(lambda u: u.oncall.delete_feed("acme", "f-1")) is True
    assert await uow.run(lambda u: u.oncall.delete_feed("acme", "f-1")) is False
    assert await uow.run(lambda u: u.oncall.feed_by_hash("a" * 64)) is None
    assert (await uow.run(lambda u: u.oncall.feed_by_hash("c" * 64))).id == "f-1"  # the other tenant's stays


async def test_a_feed_id_or_token_is_used_once(uow):
    await uow.run(lambda u: u.oncall.add_feed(feed()))
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.oncall.add_feed(feed(token_hash="e" * 64)))
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.oncall.add_feed(feed("f-9")))
