"""The delivery repository over ``oe_notifications`` (ports.repositories.DeliveryRepository)."""

from __future__ import annotations

from django.db import IntegrityError, connections, transaction
from django.db.models import F, Q
from django.db.models.functions import Collate

from adapters.django_orm.notifications import mappers
from adapters.django_orm.notifications.models import Delivery as DeliveryRow
from adapters.django_orm.rows import upsert
from domain.notifications.delivery import Delivery, DeliveryStatus
from ports.repositories import DeliveryQuery


class DjangoDeliveryRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def _rows(self):
        return DeliveryRow.objects.using(self._db)

    def add_if_absent(self, delivery: Delivery) -> bool:
        """One INSERT in a savepoint: a concurrent worker inserting the same key waits on
        the unique index and then finds it taken (False), never a duplicate row."""
        try:
            with transaction.atomic(using=self._db):
                self._rows().create(**mappers.delivery_fields(delivery))
        except IntegrityError:
            return False
        return True

    def save(self, delivery: Delivery) -> None:
        upsert(DeliveryRow, self._db, mappers.delivery_fields(delivery), ["tenant", "key"])

    def get(self, tenant: str, key: str) -> Delivery | None:
        row = self._rows().filter(tenant=tenant, key=key).first()
        return mappers.delivery_from_row(row) if row is not None else None

    def list(self, tenant: str, query: DeliveryQuery) -> list[Delivery]:
        """Newest first, ties by key in code-point order (the "C" collation on PostgreSQL,
        SQLite's binary one), as the reference sorts them."""
        q = query
        rows = self._rows().filter(tenant=tenant)
        if q.statuses:
            rows = rows.filter(status__in=sorted(DeliveryStatus(s).value for s in q.statuses))
        if q.to is not None:
            rows = rows.filter(Q(receiver=q.to) | Q(recipient=q.to))
        if q.group_key is not None:
            rows = rows.filter(group_key=q.group_key)
        if q.incident_id is not None:
            rows = rows.filter(incident_id=q.incident_id)
        if q.since_ms is not None:
            rows = rows.filter(created_at_ms__gte=q.since_ms)
        if q.until_ms is not None:
            rows = rows.filter(created_at_ms__lt=q.until_ms)
        by_key = Collate(F("key"), "C") if connections[self._db].vendor == "postgresql" else F("key")
        rows = rows.order_by(F("created_at_ms").desc(), by_key.desc())[: max(q.limit, 0)]
        return [mappers.delivery_from_row(r) for r in rows]
