"""In-memory maintenance windows (ports.repositories.MaintenanceWindowRepository)."""

from __future__ import annotations

from typing import Any

from domain.errors import Conflict, NotFound


class MemoryMaintenanceWindowRepository:
    def __init__(self, table: Any) -> None:  # adapters.memory.repositories._Table
        self._t = table

    def add(self, window) -> None:
        if (window.tenant, window.id) in self._t.rows:
            raise Conflict(f"maintenance window {window.id!r} already exists")
        self._t.put((window.tenant, window.id), window)

    def get(self, tenant: str, window_id: str):
        return self._t.get((tenant, window_id))

    def list(self, tenant: str) -> list:
        return sorted(self._t.where(lambda w: w.tenant == tenant), key=lambda w: w.id)

    def _check(self, tenant: str, window_id: str, expected_version: int):
        stored = self._t.get((tenant, window_id))
        if stored is not None and stored.version != expected_version:
            raise Conflict(f"maintenance window {window_id!r} is at version {stored.version}, not {expected_version}",
                           current_version=stored.version)
        return stored

    def replace(self, window, expected_version: int) -> None:
        if self._check(window.tenant, window.id, expected_version) is None:
            raise NotFound(f"no maintenance window {window.id!r}")
        self._t.put((window.tenant, window.id), window)

    def remove(self, tenant: str, window_id: str, expected_version: int | None = None) -> bool:
        if expected_version is not None:
            self._check(tenant, window_id, expected_version)
        return self._t.rows.pop((tenant, window_id), None) is not None
