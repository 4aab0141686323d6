"""Delivers the calls the alert pipeline left for the incident workflows (the outbox
handler of ``INCIDENT_CALLS``; docs/adr/0014-one-alert-path.md).

The pipeline commits and moves on; this handler, run by the outbox relay, makes the
workflow engine calls: start a workflow (idempotent by incident id), attach alerts,
send a note. Calls to one incident go in order; different incidents are called
concurrently. Consecutive attaches to one incident become *one* ``attach_alerts``
update, so an alert storm on one rule costs a handful of round trips however many
alerts it has.

When a call cannot be delivered because of the incident, not the engine:

* the incident closed meanwhile (the workflow refuses, or has ended): the alerts open
  or join another incident of their key (``IncidentService.record_alerts``);
* the incident is open but no workflow runs for it (it failed or was terminated): the
  alerts are attached to the stored row and the workflow is started again from it;
* a note the workflow refuses is dropped (it would be refused again), one for an
  incident without a workflow is written to the row.

Anything else (the engine is unreachable) fails the call: the relay retries it with
backoff, and the calls after it on that incident wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from domain.errors import DomainError, InvalidTransition
from domain.incidents.incident import Severity
from ports.clock import Clock
from ports.repositories import OutboxMessage, UnitOfWork, UnitOfWorkRunner
from ports.workflows import IncidentChange, WorkflowEngine
from services.incident_calls import INCIDENT_CALLS, AlertChange, start_call
from services.incident_commands import Command, apply
from services.incidents import IncidentService
from services.outbox import Handled

log = logging.getLogger(__name__)


class IncidentCalls:
    topic = INCIDENT_CALLS

    def __init__(self, workflows: WorkflowEngine, incidents: IncidentService, uow: UnitOfWorkRunner, clock: Clock,
                 *, concurrency: int = 16) -> None:
        self._workflows = workflows
        self._incidents = incidents
        self._uow = uow
        self._clock = clock
        self._gate = asyncio.Semaphore(concurrency)

    async def handle(self, messages: Sequence[OutboxMessage]) -> Handled:
        by_incident: dict[str, list[OutboxMessage]] = {}
        for m in messages:
            by_incident.setdefault(m.key, []).append(m)
        handled = Handled()
        for done, failed in await asyncio.gather(*(self._incident_calls(ms) for ms in by_incident.values())):
            handled.done += done
            handled.failed.update(failed)
        return handled

    async def _incident_calls(self, messages: list[OutboxMessage]) -> tuple[list[int], dict[int, str]]:
        done: list[int] = []
        i = 0
        async with self._gate:
            while i < len(messages):
                run = [messages[i]]
                if messages[i].payload["op"] == "attach":
                    while i + len(run) < len(messages) and messages[i + len(run)].payload["op"] == "attach":
                        run.append(messages[i + len(run)])
                try:
                    await self._deliver(run)
                except Exception as exc:
                    return done, {run[0].id: f"{type(exc).__name__}: {exc}"}
                done += [m.id for m in run]
                i += len(run)
        return done, {}

    async def _deliver(self, run: list[OutboxMessage]) -> None:
        first = run[0]
        op = first.payload["op"]
        if op == "start":
            await self._workflows.start(first.payload["workflow"], first.key, *first.payload["args"])
        elif op == "attach":
            await self._attach(first.tenant, first.key, [AlertChange.from_dict(m.payload["alert"]) for m in run])
        elif op == "update":
            await self._update(first)
        elif op == "signal":
            try:
                await self._workflows.signal(first.key, first.payload["name"], *first.payload["args"])
            except LookupError:
                log.warning("incident %s has no workflow to signal %s", first.key, first.payload["name"])
        else:
            raise ValueError(f"unknown incident call {op!r}")

    async def _attach(self, tenant: str, incident_id: str, alerts: list[AlertChange]) -> None:
        severity = Severity.most_severe(a.severity for a in alerts).value
        try:
            await self._workflows.update(incident_id, "attach_alerts", [a.fingerprint for a in alerts], severity,
                                         "system", result_type=IncidentChange)
        except (LookupError, InvalidTransition) as exc:
            log.info("incident %s cannot take %d alerts (%s); finding them an incident", incident_id, len(alerts), exc)
            await self._redirect(tenant, incident_id, alerts)

    async def _redirect(self, tenant: str, incident_id: str, alerts: list[AlertChange]) -> None:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> None:
            incident = uow.incidents.get(tenant, incident_id)
            if incident is not None and incident.is_active:
                # Open, but its workflow is gone (failed, terminated): repair as the row's writer.
                for a in alerts:
                    apply(incident, Command("attach_alert", "system", severity=a.severity.value,
                                            fingerprint=a.fingerprint), a.at_ms)
                uow.incidents.save(incident)
                uow.outbox.add([start_call(incident, now)])
                return
            self._incidents.record_alerts(uow, alerts)

        await self._uow.run(work)

    async def _update(self, m: OutboxMessage) -> None:
        name, args = m.payload["name"], m.payload["args"]
        try:
            await self._workflows.update(m.key, name, *args, result_type=IncidentChange)
        except LookupError:
            try:
                await self._incidents.apply_to_row(m.tenant, m.key, Command.from_args(name, args))
            except DomainError as exc:  # gone, or refused: it would be again
                log.warning("incident %s: %s dropped: %s", m.key, name, exc)
        except DomainError as exc:  # refused now, refused again: drop it
            log.warning("incident %s refused %s: %s", m.key, name, exc)
