"""Escalation policies and on-call schedules over ``oe_oncall`` (ports.oncall_store), a
repository of the Django unit of work. A replacement is one conditional
``UPDATE ... WHERE version = expected``: of two writers that read the same version, the
second matches nothing and gets ``Conflict``."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from adapters.django_orm.oncall.models import OnCallFeed, OnCallResource, OnCallSeed
from domain.errors import Conflict, NotFound
from ports.oncall_store import CalendarFeed, OnCallRecord


def _record(row: OnCallResource) -> OnCallRecord:
    return OnCallRecord(row.tenant, row.kind, row.resource_id, row.name, row.document, row.version, row.updated_by,
                        row.updated_at_ms)


def _fields(record: OnCallRecord) -> dict:
    return {"name": record.name, "document": dict(record.document), "version": record.version,
            "updated_by": record.updated_by, "updated_at_ms": record.updated_at_ms}


def _feed(row: OnCallFeed) -> CalendarFeed:
    return CalendarFeed(row.feed_id, row.tenant, row.user, row.token_hash, row.created_by, row.created_at_ms)


class DjangoOnCallRepository:
    def __init__(self, using: str = "default") -> None:
        self._db = using

    def _rows(self, tenant: str, kind: str):
        return OnCallResource.objects.using(self._db).filter(tenant=tenant, kind=kind)

    def add(self, record: OnCallRecord) -> None:
        try:
            with transaction.atomic(using=self._db):  # a savepoint: the unit of work goes on after a Conflict
                OnCallResource.objects.using(self._db).create(tenant=record.tenant, kind=record.kind,
                                                              resource_id=record.id, **_fields(record))
        except IntegrityError:
            if self._rows(record.tenant, record.kind).filter(resource_id=record.id).exists():
                raise Conflict(f"{record.kind} {record.id!r} exists already") from None
            raise

    def get(self, tenant: str, kind: str, resource_id: str) -> OnCallRecord | None:
        row = self._rows(tenant, kind).filter(resource_id=resource_id).first()
        return None if row is None else _record(row)

    def list(self, tenant: str, kind: str, *, after: str | None = None, limit: int | None = None) -> list[OnCallRecord]:
        # Ordered in Python, as the memory repository does, whatever the database's collation.
        rows = sorted((_record(r) for r in self._rows(tenant, kind)), key=lambda r: r.id)
        if after is not None:
            rows = [r for r in rows if r.id > after]
        return rows if limit is None else rows[:limit]

    def _stale(self, kind: str, resource_id: str, stored: int, expected: int) -> Conflict:
        return Conflict(f"{kind} {resource_id!r} is at version {stored}, not {expected}", current_version=stored)

    def replace(self, record: OnCallRecord, expected_version: int) -> None:
        mine = self._rows(record.tenant, record.kind).filter(resource_id=record.id)
        if mine.filter(version=expected_version).update(**_fields(record)) == 0:
            stored = mine.values_list("version", flat=True).first()
            if stored is None:
                raise NotFound(f"no {record.kind} {record.id!r}")
            raise self._stale(record.kind, record.id, stored, expected_version)

    def delete(self, tenant: str, kind: str, resource_id: str, expected_version: int | None = None) -> bool:
        mine = self._rows(tenant, kind).filter(resource_id=resource_id)
        matching = mine if expected_version is None else mine.filter(version=expected_version)
        if matching.delete()[0]:
            return True
        stored = mine.values_list("version", flat=True).first()
        if stored is None:
            return False
        raise self._stale(kind, resource_id, stored, expected_version or 0)

    def count(self, tenant: str) -> int:
        return OnCallResource.objects.using(self._db).filter(tenant=tenant).count()

    def claim_seed(self, tenant: str, at_ms: int) -> bool:
        _, created = OnCallSeed.objects.using(self._db).get_or_create(tenant=tenant, defaults={"seeded_at_ms": at_ms})
        return created

    def add_feed(self, feed: CalendarFeed) -> None:
        try:
            with transaction.atomic(using=self._db):
                OnCallFeed.objects.using(self._db).create(
                    tenant=feed.tenant, feed_id=feed.id, user=feed.user, token_hash=feed.token_hash,
                    created_by=feed.created_by, created_at_ms=feed.created_at_ms)
        except IntegrityError:
            raise Conflict(f"calendar feed {feed.id!r} exists already") from None

    def feed_by_hash(self, token_hash: str) -> CalendarFeed | None:
        row = OnCallFeed.objects.using(self._db).filter(token_hash=token_hash).first()
        return None if row is None else _feed(row)

    def feeds(self, tenant: str, user: str | None = None) -> list[CalendarFeed]:
        rows = OnCallFeed.objects.using(self._db).filter(tenant=tenant)
        if user is not None:
            rows = rows.filter(user=user)
        return sorted((_feed(r) for r in rows), key=lambda f: (f.created_at_ms, f.id))

    def delete_feed(self, tenant: str, feed_id: str) -> bool:
        return OnCallFeed.objects.using(self._db).filter(tenant=tenant, feed_id=feed_id).delete()[0] > 0
