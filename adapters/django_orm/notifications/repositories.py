"""The delivery repository over ``oe_notifications`` (ports.repositories.DeliveryRepository)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, connections, transaction
from django.db.models import F
from django.db.models.functions import Collate

from adapters.django_orm.notifications import mappers
from adapters.django_orm.notifications.models import Delivery as DeliveryRow
from adapters.django_orm.rows import upsert
from domain.notifications.delivery import Delivery, DeliveryStatus


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

    def list(
        self, tenant: str, *, statuses: Sequence[DeliveryStatus] = (), receiver: str | None = None,
        group_key: str | None = None, limit: int = 100,
    ) -> list[Delivery]:
        """Newest first, ties by key in code-point order (the "C" collation on PostgreSQL,
        SQLite's binary one), as the reference sorts them."""
        rows = self._rows().filter(tenant=tenant)
        if statuses:
            rows = rows.filter(status__in=sorted(DeliveryStatus(s).value for s in statuses))
        if receiver is not None:
            rows = rows.filter(receiver=receiver)
        if group_key is not None:
            rows = rows.filter(group_key=group_key)
        by_key = Collate(F("key"), "C") if connections[self._db].vendor == "postgresql" else F("key")
        rows = rows.order_by(F("created_at_ms").desc(), by_key.desc())[: max(limit, 0)]
        return [mappers.delivery_from_row(r) for r in rows]
