"""The incident row as the read model the incident workflow projects its state into.

The workflow owns an incident while it runs; after each accepted change its activity
hands the new snapshot here. Writing is idempotent by version: a snapshot not newer
than the stored row (a retried or replayed activity) changes nothing, so the row only
ever moves forward and there is exactly one writer per incident.
"""

from __future__ import annotations

from typing import Any

from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.incident_commands import restore, snapshot


class IncidentProjection:
    def __init__(self, uow: UnitOfWorkRunner) -> None:
        self._uow = uow

    async def load(self, tenant: str, incident_id: str) -> dict[str, Any] | None:
        found = await self._uow.run(lambda uow: uow.incidents.get(tenant, incident_id))
        return None if found is None else snapshot(found)

    async def store(self, snap: dict[str, Any]) -> bool:
        """Write the snapshot unless the row already holds this version or a newer one."""
        incident = restore(snap)

        def work(uow: UnitOfWork) -> bool:
            stored = uow.incidents.get(incident.tenant, incident.id)
            if stored is None:
                uow.incidents.add(incident)
                return True
            if stored.version >= incident.version:
                return False
            uow.incidents.save(incident)
            return True

        return await self._uow.run(work)
