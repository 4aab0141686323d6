"""Saved dashboards over ``oe_dashboards`` (ports.dashboards.DashboardRepository).

A replace or a delete is one conditional statement (``... WHERE version = ?``): of two
writers that read the same version one wins, the other gets ``Conflict``."""

from __future__ import annotations

from typing import Any

from adapters.django_orm.dashboards.models import Dashboard as Row
from adapters.django_orm.rows import insert
from domain.dashboards.dashboard import Dashboard, Panel, panel_definition
from domain.errors import Conflict, NotFound


def _fields(d: Dashboard) -> dict[str, Any]:
    return {"tenant": d.tenant, "dashboard_id": d.id, "title": d.title, "description": d.description,
            "panels": [panel_definition(p) for p in d.panels], "version": d.version, "created_by": d.created_by,
            "created_at_ms": d.created_at_ms, "updated_by": d.updated_by, "updated_at_ms": d.updated_at_ms}


def _panel(doc: dict[str, Any]) -> Panel:
    rng = doc["range"]
    return Panel(doc["title"], tuple(doc["queries"]), doc["chart"], rng["from"], rng["to"], rng["timezone"], doc["step"])


def _from_row(row: Row) -> Dashboard:
    return Dashboard(row.dashboard_id, row.tenant, row.title, row.description, tuple(_panel(p) for p in row.panels),
                     row.version, row.created_by, row.created_at_ms, row.updated_by, row.updated_at_ms)


class DjangoDashboardRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def _rows(self, tenant: str):
        return Row.objects.using(self._db).filter(tenant=tenant)

    def add(self, dashboard: Dashboard) -> None:
        insert(Row, self._db, _fields(dashboard), f"dashboard {dashboard.id!r}")

    def get(self, tenant: str, dashboard_id: str) -> Dashboard | None:
        row = self._rows(tenant).filter(dashboard_id=dashboard_id).first()
        return None if row is None else _from_row(row)

    def list(self, tenant: str) -> list[Dashboard]:
        return sorted((_from_row(r) for r in self._rows(tenant)), key=lambda d: d.id)  # by id, whatever the collation

    def _stale(self, dashboard_id: str, stored: int, expected: int) -> Conflict:
        return Conflict(f"dashboard {dashboard_id!r} is at version {stored}, not {expected}", current_version=stored)

    def replace(self, dashboard: Dashboard, expected_version: int) -> None:
        mine = self._rows(dashboard.tenant).filter(dashboard_id=dashboard.id)
        if mine.filter(version=expected_version).update(**_fields(dashboard)) == 0:
            stored = mine.values_list("version", flat=True).first()
            if stored is None:
                raise NotFound(f"no dashboard {dashboard.id!r}")
            raise self._stale(dashboard.id, stored, expected_version)

    def remove(self, tenant: str, dashboard_id: str, expected_version: int) -> bool:
        mine = self._rows(tenant).filter(dashboard_id=dashboard_id)
        if mine.filter(version=expected_version).delete()[0]:
            return True
        stored = mine.values_list("version", flat=True).first()
        if stored is None:
            return False
        raise self._stale(dashboard_id, stored, expected_version)
