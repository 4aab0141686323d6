"""In-memory saved dashboards (ports.dashboards.DashboardRepository)."""

from __future__ import annotations

from typing import Any

from domain.dashboards.dashboard import Dashboard
from domain.errors import Conflict, NotFound


class MemoryDashboardRepository:
    def __init__(self, table: Any) -> None:  # adapters.memory.repositories._Table
        self._t = table

    def add(self, dashboard: Dashboard) -> None:
        if (dashboard.tenant, dashboard.id) in self._t.rows:
            raise Conflict(f"dashboard {dashboard.id!r} already exists")
        self._t.put((dashboard.tenant, dashboard.id), dashboard)

    def get(self, tenant: str, dashboard_id: str) -> Dashboard | None:
        return self._t.get((tenant, dashboard_id))

    def list(self, tenant: str) -> list[Dashboard]:
        return sorted(self._t.where(lambda d: d.tenant == tenant), key=lambda d: d.id)

    def _check(self, tenant: str, dashboard_id: str, expected_version: int) -> Dashboard | None:
        stored = self._t.get((tenant, dashboard_id))
        if stored is not None and stored.version != expected_version:
            raise Conflict(f"dashboard {dashboard_id!r} is at version {stored.version}, not {expected_version}",
                           current_version=stored.version)
        return stored

    def replace(self, dashboard: Dashboard, expected_version: int) -> None:
        if self._check(dashboard.tenant, dashboard.id, expected_version) is None:
            raise NotFound(f"no dashboard {dashboard.id!r}")
        self._t.put((dashboard.tenant, dashboard.id), dashboard)

    def remove(self, tenant: str, dashboard_id: str, expected_version: int) -> bool:
        if self._check(tenant, dashboard_id, expected_version) is None:
            return False
        return self._t.rows.pop((tenant, dashboard_id), None) is not None
