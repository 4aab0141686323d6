"""Incident use cases: open from alerts, list, and the responder actions.

The aggregate decides what is allowed. Who applies a change depends on the engine
(docs/adr/0002-incident-workflows.md):

- ``orchestrated`` (Temporal): once an incident's workflow runs, it owns the incident.
  A responder action becomes a workflow *update*; the workflow checks it with the same
  domain rules (``services.incident_commands``), and an activity writes the new
  snapshot to the repository, which stays the read model. This service then never
  writes that row, so there is one writer and no lost update. Only when no workflow
  runs for the incident (closed, or never started) does the service write it itself.
- otherwise (the in-process recording engine): the service applies the change to the
  stored incident and then signals the workflow, as before.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Any

from domain.errors import NotFound, PermissionDenied, ValidationError
from domain.incidents.incident import Incident, IncidentStatus, Severity
from domain.remediation.runbook import Runbook
from ports.cache import PubSub
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from ports.workflows import INCIDENT_WORKFLOW, WorkflowEngine
from services.incident_commands import Command, apply, restore, snapshot
from services.runbooks import RunbookService
from services.streaming import incident_event, incidents_channel, publish_event

log = logging.getLogger(__name__)


def new_incident_id() -> str:
    return f"inc-{secrets.token_hex(6)}"


class IncidentService:
    def __init__(self, uow: UnitOfWorkRunner, workflows: WorkflowEngine, clock: Clock, *, orchestrated: bool = False,
                 pubsub: PubSub | None = None, runbooks: RunbookService | None = None) -> None:
        self._uow = uow
        self._runbooks = runbooks  # the catalogue remediations run from (none: remediation is off)
        self._pubsub = pubsub  # live updates (services/streaming.py), published after each change
        self._workflows = workflows
        self._clock = clock
        self._orchestrated = orchestrated

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
        if self._orchestrated:
            found = await self._uow.run(lambda uow: uow.incidents.find_open_by_dedup_key(tenant, dedup_key))
            if found is not None:
                try:
                    cmd = Command("attach_alert", "system", severity=severity.value, fingerprint=fingerprint)
                    updated = restore(await self._workflows.update(found.id, cmd.action, *cmd.args()))
                    return await self._live(updated, "alert_attached"), False
                except LookupError:
                    log.warning("incident %s has no running workflow; attaching here and restarting it", found.id)

        def work(uow: UnitOfWork) -> tuple[Incident, bool]:
            incident = uow.incidents.find_open_by_dedup_key(tenant, dedup_key)
            if incident is not None:
                if apply(incident, Command("attach_alert", "system", severity=severity.value, fingerprint=fingerprint), at_ms):
                    uow.incidents.save(incident)
                return incident, False
            incident = Incident.open(
                new_incident_id(), tenant, title, severity, at_ms, alerts=(fingerprint,), summary=summary, dedup_key=dedup_key
            )
            uow.incidents.add(incident)
            return incident, True

        incident, opened = await self._uow.run(work)
        # Always (re)start: starting is idempotent by workflow id, so a crash between the
        # store and the start is repaired by the replayed alert. The snapshot spares the
        # workflow a read of a row that may not be visible to its worker yet.
        await self._workflows.start(INCIDENT_WORKFLOW, incident.id, incident.tenant, incident.id, snapshot(incident))
        return await self._live(incident, "opened" if opened else "alert_attached"), opened

    async def note_alert_resolved(self, tenant: str, dedup_key: str, fingerprint: str, at_ms: int) -> None:
        found = await self._uow.run(lambda uow: uow.incidents.find_open_by_dedup_key(tenant, dedup_key))
        if found is not None and fingerprint in found.alerts:
            await self.command(tenant, found.id, Command("add_note", "system", text=f"alert {fingerprint} resolved"),
                               at_ms=at_ms)

    async def command(self, tenant: str, incident_id: str, cmd: Command, *, at_ms: int | None = None) -> Incident:
        """Apply one change: through the incident's workflow when it owns the incident,
        else to the stored incident (then the workflow is signalled)."""
        if self._orchestrated:
            await self.get(tenant, incident_id)  # workflow ids are global: check the tenant first
            try:
                return await self._live(restore(await self._workflows.update(incident_id, cmd.action, *cmd.args())), cmd.action)
            except LookupError:
                log.info("incident %s has no running workflow; %s applied to the stored incident", incident_id, cmd.action)
        now = self._clock.now_ms() if at_ms is None else at_ms

        def work(uow: UnitOfWork) -> Incident:
            incident = uow.incidents.get(tenant, incident_id)
            if incident is None:
                raise NotFound(f"no incident {incident_id!r}")
            if apply(incident, cmd, now):
                uow.incidents.save(incident)
            return incident

        incident = await self._uow.run(work)
        if not self._orchestrated:
            try:
                await self._workflows.signal(incident.id, cmd.action, *cmd.args())
            except LookupError:
                log.warning("incident %s has no running workflow to signal %s", incident.id, cmd.action)
        return await self._live(incident, cmd.action)

    async def _live(self, incident: Incident, change: str) -> Incident:
        """Tell live subscribers (after the change is committed); never fails the change."""
        await publish_event(self._pubsub, incidents_channel(incident.tenant), incident_event(incident, change))
        return incident

    async def acknowledge(self, tenant: str, incident_id: str, actor: str) -> Incident:
        return await self.command(tenant, incident_id, Command("acknowledge", actor))

    async def mitigate(self, tenant: str, incident_id: str, actor: str, note: str = "") -> Incident:
        return await self.command(tenant, incident_id, Command("mitigate", actor, text=note))

    async def resolve(self, tenant: str, incident_id: str, actor: str, note: str = "") -> Incident:
        return await self.command(tenant, incident_id, Command("resolve", actor, text=note))

    async def close(self, tenant: str, incident_id: str, actor: str) -> Incident:
        return await self.command(tenant, incident_id, Command("close", actor))

    async def reopen(self, tenant: str, incident_id: str, actor: str, reason: str) -> Incident:
        return await self.command(tenant, incident_id, Command("reopen", actor, text=reason))

    async def add_note(self, tenant: str, incident_id: str, actor: str, text: str) -> Incident:
        return await self.command(tenant, incident_id, Command("add_note", actor, text=text))

    async def change_severity(self, tenant: str, incident_id: str, actor: str, severity: str) -> Incident:
        return await self.command(tenant, incident_id, Command("change_severity", actor, severity=severity))

    # ------------------------------------------------- escalation, remediation, postmortem

    async def workflow_state(self, tenant: str, incident_id: str) -> dict[str, Any] | None:
        """What the incident's workflow reports (escalation, pages, remediations,
        postmortem); None when no workflow runs for it."""
        await self.get(tenant, incident_id)
        try:
            return await self._workflows.query(incident_id, "state")
        except LookupError:
            return None

    async def _workflow_update(self, tenant: str, incident_id: str, update: str, *args: Any) -> Any:
        await self.get(tenant, incident_id)
        try:
            return await self._workflows.update(incident_id, update, *args)
        except LookupError:
            raise NotFound(f"incident {incident_id!r} has no running workflow") from None

    async def escalate_now(self, tenant: str, incident_id: str, actor: str) -> Any:
        return await self._workflow_update(tenant, incident_id, "escalate_now", actor)

    async def pause_escalation(self, tenant: str, incident_id: str, actor: str, paused: bool = True) -> Any:
        """Pause (or resume) the escalation; a signal, so the answer is the workflow's
        state as it is known now (the pause shows on the next read)."""
        await self.get(tenant, incident_id)
        try:
            await self._workflows.signal(incident_id, "pause_escalation" if paused else "resume_escalation", actor)
            return await self._workflows.query(incident_id, "state")
        except LookupError:
            raise NotFound(f"incident {incident_id!r} has no running workflow") from None

    async def remediate(self, tenant: str, incident_id: str, actor: str, runbook_id: str, dry_run: bool) -> Any:
        """Run (or, dry, plan) the catalogue's runbook ``runbook_id`` as a child workflow
        of the incident's. Runbooks come from the catalogue only, never from the caller."""
        if self._runbooks is None:
            raise ValidationError("remediation is not configured: no runbook catalogue", field="runbook_id")
        await self.get(tenant, incident_id)
        runbook = await self._runbooks.for_run(tenant, runbook_id)
        plan = Runbook.from_dict(runbook).plan()
        result = await self._workflow_update(tenant, incident_id, "start_remediation", actor, runbook, dry_run)
        return result if result is not None else {"workflow_id": None, "dry_run": dry_run, "plan": plan}

    async def decide_step(self, tenant: str, incident_id: str, run_id: str, signal: str, *args: Any) -> None:
        """Approve, reject or complete a step of one of this incident's remediation runs.
        Whoever asked for the run cannot approve its gates (a second person must); the
        remediation workflow refuses it too, so no other caller gets around this."""
        await self.get(tenant, incident_id)
        if not run_id.startswith(f"{incident_id}.remediation."):
            raise NotFound(f"no remediation {run_id!r} for incident {incident_id!r}")
        try:
            if signal == "approve":
                _, approver, *_ = args
                state = await self._workflows.query(run_id, "state")
                if isinstance(state, dict) and state.get("requested_by") == approver:
                    raise PermissionDenied(f"{approver} asked for remediation {run_id} and cannot approve its gates; "
                                           "another responder must")
            await self._workflows.signal(run_id, signal, *args)
        except LookupError:
            raise NotFound(f"remediation {run_id!r} is not running") from None

    async def remediation_state(self, tenant: str, incident_id: str, run_id: str) -> Any:
        await self.get(tenant, incident_id)
        if not run_id.startswith(f"{incident_id}.remediation."):
            raise NotFound(f"no remediation {run_id!r} for incident {incident_id!r}")
        try:
            return await self._workflows.query(run_id, "state")
        except LookupError:
            raise NotFound(f"remediation {run_id!r} is not running") from None

    async def publish_postmortem(self, tenant: str, incident_id: str, actor: str, body: str = "") -> Any:
        return await self._workflow_update(tenant, incident_id, "publish_postmortem", actor, body)
