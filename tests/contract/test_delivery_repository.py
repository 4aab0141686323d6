"""Contract of ports.repositories.DeliveryRepository (the delivery audit, one for alert
groups and people), run against every adapter: memory, Django on SQLite, Django on
PostgreSQL (RUNNERS in repositories_support.py)."""

from __future__ import annotations

from domain.notifications.delivery import AttemptOutcome, Delivery, DeliveryStatus
from ports.repositories import DeliveryQuery
from tests.contract.repositories_support import T0, uow  # noqa: F401


def group(key: str, at: int, receiver: str = "ops", group_key: str = "g-1", tenant: str = "acme") -> Delivery:
    return Delivery(key, tenant, receiver, "chat", "slack", group_key, at, at, alerts=("fp-1", "fp-2"),
                    subject="[FIRING:2] Disk")


def page(key: str, at: int, person: str = "ann", incident: str = "inc-1") -> Delivery:
    return Delivery(key, "acme", "", "", "", "", at, at, recipient=person, incident_id=incident,
                    subject="[SEV2] db down (incident inc-1)")


async def listed(uow, **query) -> list[str]:
    return [d.key for d in await uow.run(lambda u: u.deliveries.list("acme", DeliveryQuery(**query)))]


async def test_add_if_absent_keeps_the_first_and_save_replaces(uow):
    assert await uow.run(lambda u: u.deliveries.add_if_absent(page("k1", T0)))
    assert not await uow.run(lambda u: u.deliveries.add_if_absent(page("k1", T0 + 5, person="bob")))
    d = await uow.run(lambda u: u.deliveries.get("acme", "k1"))
    assert (d.recipient, d.incident_id, d.subject, d.status) == ("ann", "inc-1", "[SEV2] db down (incident inc-1)",
                                                                 DeliveryStatus.QUEUED)
    d.channel = d.channel_type = "email"
    d.record(AttemptOutcome.FAILED, T0 + 1, status_code=451, detail="try later")
    d.record(AttemptOutcome.SENT, T0 + 2, status_code=250)
    await uow.run(lambda u: u.deliveries.save(d))
    back = await uow.run(lambda u: u.deliveries.get("acme", "k1"))
    assert back.status is DeliveryStatus.SENT and back.channel == "email" and back.to == "ann"
    assert [(a.outcome, a.status_code) for a in back.attempts] == [(AttemptOutcome.FAILED, 451), (AttemptOutcome.SENT, 250)]
    assert await uow.run(lambda u: u.deliveries.get("other", "k1")) is None


async def test_the_audit_is_filtered_by_whom_what_status_and_time(uow):
    def seed(u):
        u.deliveries.add_if_absent(group("g1", T0))
        u.deliveries.add_if_absent(group("g2", T0 + 10, receiver="pager", group_key="g-2"))
        u.deliveries.add_if_absent(page("p1", T0 + 20))
        u.deliveries.add_if_absent(page("p2", T0 + 30, person="bob", incident="inc-2"))
        u.deliveries.add_if_absent(group("x1", T0 + 40, tenant="other"))
        sent = page("p3", T0 + 50, person="ops", incident="inc-3")  # a person named like a receiver: "to" finds both
        sent.record(AttemptOutcome.SENT, T0 + 51)
        u.deliveries.add_if_absent(sent)

    await uow.run(seed)
    assert await listed(uow) == ["p3", "p2", "p1", "g2", "g1"]  # newest first, one tenant's
    assert await listed(uow, incident_id="inc-1") == ["p1"]
    assert await listed(uow, group_key="g-2") == ["g2"]
    assert await listed(uow, to="ann") == ["p1"] and await listed(uow, to="ops") == ["p3", "g1"]
    assert await listed(uow, statuses=[DeliveryStatus.SENT]) == ["p3"]
    assert await listed(uow, statuses=[DeliveryStatus.QUEUED], since_ms=T0 + 10, until_ms=T0 + 30) == ["p1", "g2"]
    assert await listed(uow, limit=2) == ["p3", "p2"]
