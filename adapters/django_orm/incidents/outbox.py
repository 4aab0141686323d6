"""The transactional outbox over ``oe_incidents_outboxmessage`` (ports.repositories.OutboxRepository).

A claim is one transaction (the unit of work's): read the topic's oldest rows, choose
those a relay may take (per key in order, the key's oldest due and unclaimed), then
``UPDATE ... WHERE`` the claim is still free. Two relays racing for a row: the UPDATE
of one matches nothing (the row lock on PostgreSQL, the single writer on SQLite), and
it takes only what it really claimed.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from adapters.django_orm.incidents.models import OutboxMessage as Row
from ports.repositories import OutboxMessage

_SCAN = 10  # rows read per row wanted: keys that must wait are skipped, the rest taken


def _message(row: Row) -> OutboxMessage:
    return OutboxMessage(row.topic, row.tenant, row.key, row.dedup, row.payload, row.created_at_ms, row.pk,
                         row.attempts, row.not_before_ms, row.last_error)


class DjangoOutboxRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def _rows(self):
        return Row.objects.using(self._db)

    def add(self, messages: Sequence[OutboxMessage]) -> int:
        added = 0
        for m in messages:
            try:
                with transaction.atomic(using=self._db):  # a savepoint: a taken dedup leaves the transaction usable
                    self._rows().create(topic=m.topic, tenant=m.tenant, key=m.key, dedup=m.dedup, payload=dict(m.payload),
                                        created_at_ms=m.created_at_ms, not_before_ms=m.not_before_ms)
                added += 1
            except IntegrityError:
                continue
        return added

    def claim(self, topic: str, owner: str, now_ms: int, lease_ms: int, limit: int) -> list[OutboxMessage]:
        if limit <= 0:
            return []
        chosen: list[int] = []
        blocked: set[str] = set()
        for row in self._rows().filter(topic=topic).order_by("id")[: limit * _SCAN]:
            if row.key in blocked:
                continue
            taken = row.claimed_by and row.claimed_by != owner and row.claimed_until_ms > now_ms
            if taken or row.not_before_ms > now_ms or len(chosen) >= limit:
                blocked.add(row.key)
                continue
            chosen.append(row.pk)
        if not chosen:
            return []
        free = Q(claimed_by="") | Q(claimed_by=owner) | Q(claimed_until_ms__lte=now_ms)
        self._rows().filter(free, pk__in=chosen).update(claimed_by=owner, claimed_until_ms=now_ms + lease_ms)
        got = self._rows().filter(pk__in=chosen, claimed_by=owner).order_by("id")
        return [_message(r) for r in got]

    def done(self, ids: Sequence[int]) -> None:
        self._rows().filter(pk__in=list(ids)).delete()

    def retry(self, message_id: int, error: str, not_before_ms: int) -> None:
        self._rows().filter(pk=message_id).update(attempts=F("attempts") + 1, last_error=error[:2000],
                                                  not_before_ms=not_before_ms, claimed_by="", claimed_until_ms=0)

    def release(self, ids: Sequence[int]) -> None:
        self._rows().filter(pk__in=list(ids)).update(claimed_by="", claimed_until_ms=0)

    def has(self, topic: str, dedup: str) -> bool:
        return self._rows().filter(topic=topic, dedup=dedup).exists()

    def pending(self, topic: str, limit: int = 100) -> list[OutboxMessage]:
        return [_message(r) for r in self._rows().filter(topic=topic).order_by("id")[: max(limit, 0)]]
