"""The in-process workflow engine (``OBSERVER_WORKFLOWS=memory``): it runs no workflow.

With it, the incident service owns every incident row itself (it is not
``orchestrated``): it applies responder actions to the stored incident and signals the
engine. This engine records the starts and signals (starts idempotent by workflow id,
as in Temporal), keeps each incident as its start snapshot with the responder signals
applied (``services.incident_commands``, the workflow's own rules), and answers the
incident workflow's queries in the same shapes as Temporal's (``state`` an
``IncidentWorkflowState``, ``status`` a string, ``timeline`` entries), with
``engine="memory"`` and an escalation that says none runs. Everything that needs a
running workflow (an update, pausing an escalation, any other signal or query) is
refused with ``WorkflowUnavailable``, never answered with ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.errors import DomainError
from domain.incidents.incident import Incident
from ports.workflows import INCIDENT_WORKFLOW, EscalationState, IncidentWorkflowState, WorkflowRun, WorkflowUnavailable
from services.incident_commands import ACTIONS, Command, apply, entry_to_dict, restore

NO_ENGINE = "OBSERVER_WORKFLOWS=memory runs no workflow (no escalation, remediation or postmortem)"


class InProcessWorkflowEngine:
    def __init__(self) -> None:
        self._runs: dict[str, WorkflowRun] = {}
        self._incidents: dict[str, Incident] = {}
        self.cancelled: set[str] = set()

    async def start(self, workflow: str, workflow_id: str, *args: Any) -> bool:
        if workflow_id in self._runs:
            return False
        self._runs[workflow_id] = WorkflowRun(workflow, workflow_id, tuple(args))
        if workflow == INCIDENT_WORKFLOW and len(args) > 2 and isinstance(args[2], dict):
            self._incidents[workflow_id] = restore(args[2])
        return True

    def _run(self, workflow_id: str) -> WorkflowRun:
        try:
            return self._runs[workflow_id]
        except KeyError:
            raise LookupError(f"no workflow {workflow_id!r}") from None

    async def signal(self, workflow_id: str, signal: str, *args: Any) -> None:
        run = self._run(workflow_id)
        if signal not in ACTIONS:
            raise WorkflowUnavailable(f"{NO_ENGINE}: nothing takes the signal {signal!r}")
        self._runs[workflow_id] = WorkflowRun(run.workflow, run.workflow_id, run.args, run.signals + ((signal, tuple(args)),))
        incident = self._incidents.get(workflow_id)
        if incident is not None:
            try:  # no clock here: stamped at the incident's last change (the stored row has the real time)
                apply(incident, Command.from_args(signal, args), 0)
            except DomainError:
                pass  # refused, as the workflow's signal handler would (the stored incident is the truth here)
            incident.pull_events()  # the service stored the change and its events already

    async def update(self, workflow_id: str, update: str, *args: Any, result_type: type | None = None) -> Any:
        self._run(workflow_id)
        raise WorkflowUnavailable(f"{NO_ENGINE}: {update!r} needs OBSERVER_WORKFLOWS=temporal")

    async def query(self, workflow_id: str, query: str, *args: Any, result_type: type | None = None) -> Any:
        run = self._run(workflow_id)
        incident = self._incidents.get(workflow_id)
        if query == "status":
            return "loading" if incident is None else incident.status.value
        if query == "timeline":
            return [] if incident is None else [entry_to_dict(e) for e in incident.timeline]
        if query == "state":
            return IncidentWorkflowState(
                incident_id=workflow_id, tenant=str(run.args[0]) if run.args else "",
                status="loading" if incident is None else incident.status.value,
                severity=None if incident is None else incident.severity.value,
                version=None if incident is None else incident.version,
                escalation=EscalationState(policy=None, total_steps=None, reason=NO_ENGINE),
                history_length=1 + len(run.signals), engine="memory")
        raise WorkflowUnavailable(f"{NO_ENGINE}: nothing answers the query {query!r}")

    async def cancel(self, workflow_id: str) -> None:
        self._run(workflow_id)
        self.cancelled.add(workflow_id)

    async def runs(self) -> Sequence[WorkflowRun]:
        return list(self._runs.values())
