"""Incident use cases: open from alerts, list, and the responder actions.

The aggregate decides what is allowed; after a change is stored, the incident's
workflow is told (signal), so durable escalation follows what responders did.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence

from domain.errors import NotFound
from domain.incidents.incident import Incident, IncidentStatus, Severity
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from ports.workflows import INCIDENT_WORKFLOW, WorkflowEngine

log = logging.getLogger(__name__)


def new_incident_id() -> str:
    return f"inc-{secrets.token_hex(6)}"


class IncidentService:
    def __init__(self, uow: UnitOfWorkRunner, workflows: WorkflowEngine, clock: Clock) -> None:
        self._uow = uow
        self._workflows = workflows
        self._clock = clock

    async def list(self, tenant: str, statuses: Sequence[IncidentStatus] = (), limit: int = 100) -> list[Incident]:
        return await self._uow.run(lambda uow: uow.incidents.list(tenant, statuses, limit))

    async def get(self, tenant: str, incident_id: str) -> Incident:
        found = await self._uow.run(lambda uow: uow.incidents.get(tenant, incident_id))
        if found is None:
            raise NotFound(f"no incident {incident_id!r}")
        return found

    async def open_or_attach(
        self, tenant: str, dedup_key: str, fingerprint: str, title: str, severity: Severity, at_ms: int, summary: str = ""
    ) -> tuple[Incident, bool]:
        """Attach the alert to the open incident of its group, or open one. Idempotent:
        a replayed alert finds its incident and attaches nothing new."""

        def work(uow: UnitOfWork) -> tuple[Incident, bool]:
            incident = uow.incidents.find_open_by_dedup_key(tenant, dedup_key)
            if incident is not None:
                if incident.attach_alert(fingerprint, max(at_ms, incident.opened_at_ms)):
                    if severity.is_more_severe_than(incident.severity):
                        incident.change_severity(severity, "system", max(at_ms, incident.opened_at_ms))
                    uow.incidents.save(incident)
                return incident, False
            incident = Incident.open(
                new_incident_id(), tenant, title, severity, at_ms, alerts=(fingerprint,), summary=summary, dedup_key=dedup_key
            )
            uow.incidents.add(incident)
            return incident, True

        incident, opened = await self._uow.run(work)
        # Always (re)start: starting is idempotent by workflow id, so a crash between the
        # store and the start is repaired by the replayed alert.
        await self._workflows.start(INCIDENT_WORKFLOW, incident.id, incident.tenant, incident.id)
        return incident, opened

    async def note_alert_resolved(self, tenant: str, dedup_key: str, fingerprint: str, at_ms: int) -> None:
        def work(uow: UnitOfWork) -> None:
            incident = uow.incidents.find_open_by_dedup_key(tenant, dedup_key)
            if incident is not None and fingerprint in incident.alerts:
                incident.add_note("system", f"alert {fingerprint} resolved", max(at_ms, incident.opened_at_ms))
                uow.incidents.save(incident)

        await self._uow.run(work)

    async def act(self, tenant: str, incident_id: str, action: Callable[[Incident, int], None], signal: str, actor: str) -> Incident:
        """Apply one responder action to the aggregate, store it, then signal the workflow."""
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> Incident:
            incident = uow.incidents.get(tenant, incident_id)
            if incident is None:
                raise NotFound(f"no incident {incident_id!r}")
            action(incident, max(now, incident.opened_at_ms))
            uow.incidents.save(incident)
            return incident

        incident = await self._uow.run(work)
        try:
            await self._workflows.signal(incident.id, signal, actor)
        except LookupError:
            log.warning("incident %s has no running workflow to signal %s", incident.id, signal)
        return incident

    async def acknowledge(self, tenant: str, incident_id: str, actor: str) -> Incident:
        return await self.act(tenant, incident_id, lambda i, now: i.acknowledge(actor, now), "acknowledge", actor)

    async def mitigate(self, tenant: str, incident_id: str, actor: str, note: str = "") -> Incident:
        return await self.act(tenant, incident_id, lambda i, now: i.mitigate(actor, now, note), "mitigate", actor)

    async def resolve(self, tenant: str, incident_id: str, actor: str, note: str = "") -> Incident:
        return await self.act(tenant, incident_id, lambda i, now: i.resolve(actor, now, note), "resolve", actor)

    async def close(self, tenant: str, incident_id: str, actor: str) -> Incident:
        return await self.act(tenant, incident_id, lambda i, now: i.close(actor, now), "close", actor)

    async def reopen(self, tenant: str, incident_id: str, actor: str, reason: str) -> Incident:
        return await self.act(tenant, incident_id, lambda i, now: i.reopen(actor, now, reason), "reopen", actor)

    async def add_note(self, tenant: str, incident_id: str, actor: str, text: str) -> Incident:
        return await self.act(tenant, incident_id, lambda i, now: i.add_note(actor, text, now), "add_note", actor)

    async def change_severity(self, tenant: str, incident_id: str, actor: str, severity: str) -> Incident:
        return await self.act(tenant, incident_id, lambda i, now: i.change_severity(severity, actor, now), "change_severity", actor)
