"""Maintenance windows over ``oe_alerts`` (ports.repositories.MaintenanceWindowRepository).

A replace or a versioned delete is one conditional statement (``... WHERE version = ?``):
of two writers that read the same version one wins, the other gets ``Conflict``."""

from __future__ import annotations

from typing import Any

from adapters.django_orm.alerts.models import MaintenanceWindow as WindowRow
from adapters.django_orm.rows import insert
from domain.alerts.maintenance import MaintenanceWindow, Schedule
from domain.errors import Conflict, NotFound
from domain.metrics.matchers import Matcher


def window_fields(w: MaintenanceWindow) -> dict[str, Any]:
    return {
        "tenant": w.tenant, "window_id": w.id, "name": w.name,
        "matchers": [[m.name, m.op.value, m.value] for m in w.matchers], "schedule": w.schedule.as_dict(),
        "comment": w.comment, "created_by": w.created_by, "created_at_ms": w.created_at_ms, "version": w.version,
        "updated_by": w.updated_by, "updated_at_ms": w.updated_at_ms, "seeded_from": w.seeded_from,
    }


def window_from_row(row: WindowRow) -> MaintenanceWindow:
    return MaintenanceWindow(
        id=row.window_id, tenant=row.tenant, name=row.name,
        matchers=tuple(Matcher.of(name, op, value) for name, op, value in row.matchers),
        schedule=Schedule.from_dict(row.schedule), comment=row.comment, created_by=row.created_by,
        created_at_ms=row.created_at_ms, version=row.version, updated_by=row.updated_by,
        updated_at_ms=row.updated_at_ms, seeded_from=row.seeded_from,
    )


class DjangoMaintenanceWindowRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def _rows(self, tenant: str):
        return WindowRow.objects.using(self._db).filter(tenant=tenant)

    def add(self, window: MaintenanceWindow) -> None:
        insert(WindowRow, self._db, window_fields(window), f"maintenance window {window.id!r}")

    def get(self, tenant: str, window_id: str) -> MaintenanceWindow | None:
        row = self._rows(tenant).filter(window_id=window_id).first()
        return None if row is None else window_from_row(row)

    def list(self, tenant: str) -> list[MaintenanceWindow]:
        # Ordered in Python, as the memory repository does, whatever the collation.
        return sorted((window_from_row(r) for r in self._rows(tenant)), key=lambda w: w.id)

    def _stale(self, window_id: str, stored: int, expected: int) -> Conflict:
        return Conflict(f"maintenance window {window_id!r} is at version {stored}, not {expected}",
                        current_version=stored)

    def replace(self, window: MaintenanceWindow, expected_version: int) -> None:
        mine = self._rows(window.tenant).filter(window_id=window.id)
        if mine.filter(version=expected_version).update(**window_fields(window)) == 0:
            stored = mine.values_list("version", flat=True).first()
            if stored is None:
                raise NotFound(f"no maintenance window {window.id!r}")
            raise self._stale(window.id, stored, expected_version)

    def remove(self, tenant: str, window_id: str, expected_version: int | None = None) -> bool:
        mine = self._rows(tenant).filter(window_id=window_id)
        matching = mine if expected_version is None else mine.filter(version=expected_version)
        if matching.delete()[0]:
            return True
        stored = mine.values_list("version", flat=True).first()
        if stored is None:
            return False
        raise self._stale(window_id, stored, expected_version or 0)
