"""The incident row as the read model the incident workflow projects its state into.

The workflow owns an incident while it runs; after each accepted change its activity
hands the new snapshot here, with the domain events the change recorded. Writing is
idempotent by version: a snapshot not newer than the stored row (a retried or replayed
activity) changes nothing, so the row only ever moves forward and there is exactly one
writer per incident. The events go into the outbox in the same unit of work (the
repository takes them), so they are published once the row is, never before.

A snapshot may carry only the end of the timeline (``timeline_from``): the entries
before it are the stored row's. If the row lacks them (a worker whose repository is
its own memory, not the database), ``TimelineGap`` says so and the workflow sends the
whole snapshot instead.
"""

from __future__ import annotations

from typing import Any

from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.incident_commands import events_from_data, restore, snapshot
from services.outbox import OutboxSignal


class TimelineGap(ValueError):
    """The stored row lacks the timeline entries a partial snapshot builds on."""


class IncidentProjection:
    def __init__(self, uow: UnitOfWorkRunner, outbox: OutboxSignal | None = None) -> None:
        self._uow = uow
        self._outbox = outbox  # woken after a store, so this process' relay publishes the events at once

    async def load(self, tenant: str, incident_id: str) -> dict[str, Any] | None:
        found = await self._uow.run(lambda uow: uow.incidents.get(tenant, incident_id))
        return None if found is None else snapshot(found)

    async def store(self, snap: dict[str, Any], events: list[dict[str, Any]] | None = None) -> bool:
        """Write the snapshot and its events unless the row already holds this version
        or a newer one."""
        incident = restore(snap)
        incident.restore_events(events_from_data(events))
        start = int(snap.get("timeline_from", 0))

        def work(uow: UnitOfWork) -> bool:
            stored = uow.incidents.get(incident.tenant, incident.id)
            if stored is not None and stored.version >= incident.version:
                return False
            if start:
                if stored is None or len(stored.timeline) < start:
                    raise TimelineGap(f"incident {incident.id}: a snapshot from timeline entry {start} needs the "
                                      f"entries before it stored ({0 if stored is None else len(stored.timeline)} are)")
                incident.timeline = stored.timeline[:start] + incident.timeline
            if stored is None:
                uow.incidents.add(incident)
            else:
                uow.incidents.save(incident)
            return True

        stored = await self._uow.run(work)
        if stored and self._outbox is not None:
            self._outbox.wake()
        return stored
