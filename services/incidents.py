"""Incident use cases: open from alerts, list, and the responder actions.

The aggregate decides what is allowed. Who applies a change depends on the engine
(docs/adr/0002-incident-workflows.md):

- ``orchestrated`` (Temporal): once an incident's workflow runs, it owns the incident.
  A responder action becomes a workflow *update*; the workflow checks it with the same
  domain rules (``services.incident_commands``), and an activity writes the new
  snapshot to the repository, which stays the read model. This service then never
  writes that row, so there is one writer and no lost update. Only when no workflow
  runs for the incident (closed, or never started) does the service write it itself.
- otherwise (the in-process engine, which runs no workflow): the service applies the
  change to the stored incident and then signals the engine.

Alerts from the pipeline never wait on the engine (docs/adr/0014-one-alert-path.md):
``take_alerts`` opens incidents, attaches alerts and notes resolutions in one unit of
work, and what the incident's workflow must hear (start it, attach these alerts, note
that one resolved) is written to the outbox in the same unit of work; the outbox relay
delivers it (``services.incident_calls``). Every stored change carries its domain
events into the outbox too; the relay publishes them to the live feed.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import NotFound, PermissionDenied, ValidationError
from domain.incidents.incident import Incident, IncidentStatus, Severity
from domain.remediation.runbook import Runbook
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from ports.workflows import (
    IncidentChange, IncidentWorkflowState, PostmortemPublishing, RemediationStarted, RemediationState, WorkflowEngine,
)
from services.incident_calls import INCIDENT_CALLS, AlertChange, attach_call, attach_dedup, note_call, signal_call, start_call
from services.incident_commands import Command, apply
from services.outbox import OutboxSignal
from services.runbooks import RunbookService

log = logging.getLogger(__name__)


def new_incident_id() -> str:
    return f"inc-{secrets.token_hex(6)}"


@dataclass(frozen=True)
class AlertOutcome:
    """What became of one ``AlertChange``: its incident (None: no open incident holds a
    resolved alert), whether this change opened it, and whether the incident's workflow
    still has to be told (``queued``: the relay delivers it)."""

    incident_id: str | None
    opened: bool = False
    queued: bool = False


class IncidentService:
    def __init__(self, uow: UnitOfWorkRunner, workflows: WorkflowEngine, clock: Clock, *, orchestrated: bool = False,
                 outbox: OutboxSignal | None = None, runbooks: RunbookService | None = None) -> None:
        self._uow = uow
        self._runbooks = runbooks  # the catalogue remediations run from (none: remediation is off)
        self._workflows = workflows
        self._clock = clock
        self._orchestrated = orchestrated
        self._outbox = outbox or OutboxSignal()  # woken after a unit of work left messages for the relay

    async def list(self, tenant: str, statuses: Sequence[IncidentStatus] = (), limit: int = 100) -> list[Incident]:
        return await self._uow.run(lambda uow: uow.incidents.list(tenant, statuses, limit))

    async def get(self, tenant: str, incident_id: str) -> Incident:
        found = await self._uow.run(lambda uow: uow.incidents.get(tenant, incident_id))
        if found is None:
            raise NotFound(f"no incident {incident_id!r}")
        return found

    # ----------------------------------------------------------- alerts from the pipeline

    async def take_alerts(self, changes: Sequence[AlertChange]) -> list[AlertOutcome]:
        """Open, attach and note, all of ``changes`` in one unit of work; the workflow
        calls they need are left in the outbox. Idempotent: a replayed alert finds its
        incident and adds nothing new."""
        if not changes:
            return []
        outcomes = await self._uow.run(lambda uow: self.record_alerts(uow, changes))
        self._outbox.wake()
        return outcomes

    def record_alerts(self, uow: UnitOfWork, changes: Sequence[AlertChange]) -> list[AlertOutcome]:
        """``take_alerts``' unit of work (and the relay's, when an alert must find
        another incident because the one it was meant for closed meanwhile).

        Firing alerts whose key has no open incident open one *together* (all of the
        batch's alerts of that key in its opening snapshot): a storm on one rule opens
        one incident with its alerts, not one and then an update per alert."""
        found: dict[tuple[str, str], Incident | None] = {}

        def incident_of(c: AlertChange) -> Incident | None:
            k = (c.tenant, c.dedup_key)
            if k not in found:
                found[k] = uow.incidents.find_open_by_dedup_key(c.tenant, c.dedup_key)
            return found[k]

        to_open: dict[tuple[str, str], list[AlertChange]] = {}
        for c in changes:
            if c.firing and incident_of(c) is None:
                to_open.setdefault((c.tenant, c.dedup_key), []).append(c)
        opened: dict[tuple[str, str], Incident] = {}
        for k, group in to_open.items():
            first = group[0]
            incident = Incident.open(new_incident_id(), first.tenant, first.title, Severity.most_severe(
                c.severity for c in group), first.at_ms, alerts=[c.fingerprint for c in group], summary=first.summary,
                dedup_key=first.dedup_key)
            uow.incidents.add(incident)
            uow.outbox.add([start_call(incident, self._clock.now_ms())])
            opened[k] = found[k] = incident
        out: list[AlertOutcome] = []
        firsts = {id(g[0]) for g in to_open.values()}
        for c in changes:
            k = (c.tenant, c.dedup_key)
            if k in opened and c.firing:
                out.append(AlertOutcome(opened[k].id, opened=id(c) in firsts))
                continue
            incident = incident_of(c)
            if incident is None:
                out.append(AlertOutcome(None))
            elif c.firing:
                out.append(self._attach(uow, incident, c))
            else:
                out.append(self._note_resolved(uow, incident, c))
        return out

    def _attach(self, uow: UnitOfWork, incident: Incident, c: AlertChange) -> AlertOutcome:
        if c.fingerprint in incident.alerts:
            return AlertOutcome(incident.id)
        if self._orchestrated:
            uow.outbox.add([attach_call(incident, c, self._clock.now_ms())])
            return AlertOutcome(incident.id, queued=True)
        if apply(incident, Command("attach_alert", "system", severity=c.severity.value, fingerprint=c.fingerprint),
                 c.at_ms):
            uow.incidents.save(incident)
        return AlertOutcome(incident.id)

    def _note_resolved(self, uow: UnitOfWork, incident: Incident, c: AlertChange) -> AlertOutcome:
        cmd = Command("add_note", "system", text=f"alert {c.fingerprint} resolved")
        now = self._clock.now_ms()
        if self._orchestrated:
            attached = c.fingerprint in incident.alerts or uow.outbox.has(INCIDENT_CALLS, attach_dedup(incident.id, c.fingerprint))
            if not attached:
                return AlertOutcome(None)
            uow.outbox.add([note_call(incident, c, cmd, now)])
            return AlertOutcome(incident.id, queued=True)
        if c.fingerprint not in incident.alerts:
            return AlertOutcome(None)
        apply(incident, cmd, c.at_ms)
        uow.incidents.save(incident)
        uow.outbox.add([signal_call(incident, cmd, now)])
        return AlertOutcome(incident.id, queued=True)

    async def open_or_attach(
        self, tenant: str, dedup_key: str, fingerprint: str, title: str, severity: Severity, at_ms: int, summary: str = ""
    ) -> tuple[Incident, bool]:
        """One firing alert (``take_alerts`` of one): its incident as stored now, and
        whether it opened it."""
        (outcome,) = await self.take_alerts([AlertChange(tenant, dedup_key, fingerprint, True, at_ms, title, severity,
                                                         summary)])
        assert outcome.incident_id is not None
        return await self.get(tenant, outcome.incident_id), outcome.opened

    # ------------------------------------------------------------- responder actions

    async def command(self, tenant: str, incident_id: str, cmd: Command, *, at_ms: int | None = None) -> Incident:
        """Apply one change: through the incident's workflow when it owns the incident,
        else to the stored incident (then the engine is signalled)."""
        if self._orchestrated:
            await self.get(tenant, incident_id)  # workflow ids are global: check the tenant first
            try:
                await self._workflows.update(incident_id, cmd.action, *cmd.args(), result_type=IncidentChange)
                return await self.get(tenant, incident_id)  # stored before the update answered
            except LookupError:
                log.info("incident %s has no running workflow; %s applied to the stored incident", incident_id, cmd.action)
        incident = await self.apply_to_row(tenant, incident_id, cmd, at_ms=at_ms)
        if not self._orchestrated:
            try:
                await self._workflows.signal(incident.id, cmd.action, *cmd.args())
            except LookupError:
                log.warning("incident %s has no running workflow to signal %s", incident.id, cmd.action)
        return incident

    async def apply_to_row(self, tenant: str, incident_id: str, cmd: Command, *, at_ms: int | None = None) -> Incident:
        """Apply ``cmd`` to the stored incident (no workflow owns it)."""
        now = self._clock.now_ms() if at_ms is None else at_ms

        def work(uow: UnitOfWork) -> Incident:
            incident = uow.incidents.get(tenant, incident_id)
            if incident is None:
                raise NotFound(f"no incident {incident_id!r}")
            if apply(incident, cmd, now):
                uow.incidents.save(incident)
            return incident

        incident = await self._uow.run(work)
        self._outbox.wake()  # its events
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

    async def workflow_state(self, tenant: str, incident_id: str) -> IncidentWorkflowState | None:
        """What the incident's workflow reports (escalation, pages, remediations,
        postmortem); None when no workflow runs for it."""
        await self.get(tenant, incident_id)
        try:
            return await self._workflows.query(incident_id, "state", result_type=IncidentWorkflowState)
        except LookupError:
            return None

    async def _workflow_update(self, tenant: str, incident_id: str, update: str, *args: object, result_type: type) -> object:
        await self.get(tenant, incident_id)
        try:
            return await self._workflows.update(incident_id, update, *args, result_type=result_type)
        except LookupError:
            raise NotFound(f"incident {incident_id!r} has no running workflow") from None

    async def escalate_now(self, tenant: str, incident_id: str, actor: str) -> IncidentWorkflowState:
        return await self._workflow_update(tenant, incident_id, "escalate_now", actor, result_type=IncidentWorkflowState)

    async def pause_escalation(self, tenant: str, incident_id: str, actor: str, paused: bool = True) -> IncidentWorkflowState:
        """Pause (or resume) the escalation; a signal, so the answer is the workflow's
        state as it is known now (the pause shows on the next read)."""
        await self.get(tenant, incident_id)
        try:
            await self._workflows.signal(incident_id, "pause_escalation" if paused else "resume_escalation", actor)
            return await self._workflows.query(incident_id, "state", result_type=IncidentWorkflowState)
        except LookupError:
            raise NotFound(f"incident {incident_id!r} has no running workflow") from None

    async def remediate(self, tenant: str, incident_id: str, actor: str, runbook_id: str,
                        dry_run: bool) -> RemediationStarted:
        """Run (or, dry, plan) the catalogue's runbook ``runbook_id`` as a child workflow
        of the incident's. Runbooks come from the catalogue only, never from the caller."""
        if self._runbooks is None:
            raise ValidationError("remediation is not configured: no runbook catalogue", field="runbook_id")
        await self.get(tenant, incident_id)
        runbook = await self._runbooks.for_run(tenant, runbook_id)
        Runbook.from_dict(runbook)  # the catalogue's are valid: this only fails on a catalogue bug
        return await self._workflow_update(tenant, incident_id, "start_remediation", actor, runbook, dry_run,
                                           result_type=RemediationStarted)

    async def decide_step(self, tenant: str, incident_id: str, run_id: str, signal: str, *args: object) -> None:
        """Approve, reject or complete a step of one of this incident's remediation runs.
        Whoever asked for the run cannot approve its gates (a second person must); the
        remediation workflow refuses it too, so no other caller gets around this."""
        await self.get(tenant, incident_id)
        if not run_id.startswith(f"{incident_id}.remediation."):
            raise NotFound(f"no remediation {run_id!r} for incident {incident_id!r}")
        try:
            if signal == "approve":
                _, approver, *_ = args
                state = await self._workflows.query(run_id, "state", result_type=RemediationState)
                if state.requested_by == approver:
                    raise PermissionDenied(f"{approver} asked for remediation {run_id} and cannot approve its gates; "
                                           "another responder must")
            await self._workflows.signal(run_id, signal, *args)
        except LookupError:
            raise NotFound(f"remediation {run_id!r} is not running") from None

    async def remediation_state(self, tenant: str, incident_id: str, run_id: str) -> RemediationState:
        await self.get(tenant, incident_id)
        if not run_id.startswith(f"{incident_id}.remediation."):
            raise NotFound(f"no remediation {run_id!r} for incident {incident_id!r}")
        try:
            return await self._workflows.query(run_id, "state", result_type=RemediationState)
        except LookupError:
            raise NotFound(f"remediation {run_id!r} is not running") from None

    async def publish_postmortem(self, tenant: str, incident_id: str, actor: str, body: str = "") -> PostmortemPublishing:
        return await self._workflow_update(tenant, incident_id, "publish_postmortem", actor, body,
                                           result_type=PostmortemPublishing)

