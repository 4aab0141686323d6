"""Contract of ports.repositories.OutboxRepository (the transactional outbox) and of the
incident repository's part in it (events stored with the change), run against every
adapter: memory, Django on SQLite, Django on PostgreSQL (RUNNERS in repositories_support.py).
"""

from __future__ import annotations

import pytest

from domain.incidents import events as ev
from ports.repositories import INCIDENT_EVENTS, OutboxMessage
from tests.contract.repositories_support import T0, Boom, add_incident, incident, uow  # noqa: F401

TOPIC = "test.topic"
OWNER, OTHER = "relay-a", "relay-b"
LEASE = 30_000


def msg(key: str, dedup: str, n: int = 0, topic: str = TOPIC) -> OutboxMessage:
    return OutboxMessage(topic, "acme", key, dedup, {"n": n, "nested": {"list": [1, 2]}}, T0 + n)


async def claim(uow, owner: str = OWNER, now: int = T0, limit: int = 100) -> list[str]:
    return [m.dedup for m in await uow.run(lambda u: u.outbox.claim(TOPIC, owner, now, LEASE, limit))]


async def test_add_ignores_a_dedup_already_there_and_keeps_the_payload(uow):
    assert await uow.run(lambda u: u.outbox.add([msg("k1", "a", 1), msg("k1", "b", 2)])) == 2
    assert await uow.run(lambda u: u.outbox.add([msg("k1", "a", 9), msg("k2", "c", 3)])) == 1
    pending = await uow.run(lambda u: u.outbox.pending(TOPIC))
    assert [(m.key, m.dedup, m.payload["n"]) for m in pending] == [("k1", "a", 1), ("k1", "b", 2), ("k2", "c", 3)]
    assert pending[0].payload == {"n": 1, "nested": {"list": [1, 2]}}
    assert pending[0].id < pending[1].id < pending[2].id
    assert await uow.run(lambda u: (u.outbox.has(TOPIC, "c"), u.outbox.has(TOPIC, "d"), u.outbox.has("other", "c"))) == (
        True, False, False)
    assert (pending[0].attempts, pending[0].created_at_ms) == (0, T0 + 1)


async def test_a_dedup_is_unique_per_topic_only(uow):
    await uow.run(lambda u: u.outbox.add([msg("k", "same"), msg("k", "same", topic="other.topic")]))
    assert [m.dedup for m in await uow.run(lambda u: u.outbox.pending("other.topic"))] == ["same"]
    assert await claim(uow) == ["same"]


async def test_claims_come_oldest_first_and_another_owner_waits_for_the_lease(uow):
    await uow.run(lambda u: u.outbox.add([msg("k1", "a"), msg("k2", "b"), msg("k1", "c")]))
    assert await claim(uow, limit=2) == ["a", "b"]
    assert await claim(uow, OTHER) == []  # k1 and k2 wait for their oldest, claimed by OWNER
    assert await claim(uow, OWNER) == ["a", "b", "c"]  # the owner may take its own again
    assert await claim(uow, OTHER, now=T0 + LEASE + 1) == ["a", "b", "c"]  # the lease lapsed


async def test_done_removes_and_release_frees_without_counting(uow):
    await uow.run(lambda u: u.outbox.add([msg("k1", "a"), msg("k1", "b")]))
    a, b = await uow.run(lambda u: u.outbox.claim(TOPIC, OWNER, T0, LEASE, 10))
    await uow.run(lambda u: u.outbox.done([a.id]))
    await uow.run(lambda u: u.outbox.release([b.id]))
    (left,) = await uow.run(lambda u: u.outbox.pending(TOPIC))
    assert (left.dedup, left.attempts) == ("b", 0)
    assert await claim(uow, OTHER) == ["b"]


async def test_a_retry_counts_keeps_the_error_and_holds_its_key_back(uow):
    await uow.run(lambda u: u.outbox.add([msg("k1", "a"), msg("k1", "b"), msg("k2", "c")]))
    a = (await uow.run(lambda u: u.outbox.claim(TOPIC, OWNER, T0, LEASE, 1)))[0]
    await uow.run(lambda u: u.outbox.retry(a.id, "engine unavailable", T0 + 5_000))
    assert await claim(uow, OTHER, now=T0 + 1) == ["c"]  # k1 waits for "a", and "b" does not overtake it
    await uow.run(lambda u: u.outbox.release([m.id for m in u.outbox.pending(TOPIC) if m.dedup == "c"]))
    retried = next(m for m in await uow.run(lambda u: u.outbox.pending(TOPIC)) if m.dedup == "a")
    assert (retried.attempts, retried.last_error, retried.not_before_ms) == (1, "engine unavailable", T0 + 5_000)
    assert await claim(uow, OTHER, now=T0 + 5_000) == ["a", "b", "c"]


async def test_a_failed_unit_of_work_leaves_no_message(uow):
    def work(u):
        u.outbox.add([msg("k1", "a")])
        raise Boom

    with pytest.raises(Boom):
        await uow.run(work)
    assert await uow.run(lambda u: u.outbox.pending(TOPIC)) == []


# ------------------------------------------------- incidents store their events with the change


async def test_an_incident_is_stored_with_its_events(uow):
    await add_incident(uow, incident())

    def acknowledge(u):
        inc = u.incidents.get("acme", "inc-1")
        inc.acknowledge("alice", T0 + 1)
        inc.add_note("alice", "looking", T0 + 2)
        u.incidents.save(inc)

    await uow.run(acknowledge)
    stored = await uow.run(lambda u: u.outbox.pending(INCIDENT_EVENTS))
    events = [ev.from_dict(m.payload) for m in stored]
    assert [type(e) for e in events] == [ev.IncidentOpened, ev.IncidentAcknowledged, ev.NoteAdded]
    assert [e.version for e in events] == [1, 2, 3]
    assert {(m.tenant, m.key) for m in stored} == {("acme", "inc-1")}
    assert events[2] == ev.NoteAdded(incident_id="inc-1", tenant="acme", at_ms=T0 + 2, actor="alice", version=3,
                                     text="looking")
    # a stored incident carries no pending events: reading and saving it again adds none
    assert await uow.run(lambda u: u.incidents.get("acme", "inc-1").pull_events()) == []


async def test_a_refused_save_stores_no_event(uow):
    await add_incident(uow, incident())
    stale = await uow.run(lambda u: u.incidents.get("acme", "inc-1"))

    def move(u):
        inc = u.incidents.get("acme", "inc-1")
        inc.acknowledge("alice", T0 + 1)
        u.incidents.save(inc)

    await uow.run(move)
    stale.add_note("bob", "late", T0 + 2)
    with pytest.raises(Exception):
        await uow.run(lambda u: u.incidents.save(stale))
    kinds = [m.payload["kind"] for m in await uow.run(lambda u: u.outbox.pending(INCIDENT_EVENTS))]
    assert kinds == ["incident.opened", "incident.acknowledged"]
