"""Where a tenant's saved dashboards are kept (domain/dashboards/dashboard.py)."""

from __future__ import annotations

from typing import Protocol

from domain.dashboards.dashboard import Dashboard


class DashboardRepository(Protocol):
    """Versioned dashboards per tenant (docs/adr/0017-configuration-resources.md)."""

    def add(self, dashboard: Dashboard) -> None:
        """Store a new dashboard; ``Conflict`` if its id exists in the tenant."""
        ...

    def get(self, tenant: str, dashboard_id: str) -> Dashboard | None: ...

    def list(self, tenant: str) -> list[Dashboard]:
        """The tenant's dashboards, by id."""
        ...

    def replace(self, dashboard: Dashboard, expected_version: int) -> None:
        """Replace it if stored at ``expected_version`` (one compare-and-set): else
        ``Conflict`` naming ``current_version``, or ``NotFound``."""
        ...

    def remove(self, tenant: str, dashboard_id: str, expected_version: int) -> bool:
        """Delete it if stored at ``expected_version``; False if there is none,
        ``Conflict`` naming ``current_version`` if it is at another."""
        ...
