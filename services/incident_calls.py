"""What an incident's workflow must be told, as outbox messages (topic ``INCIDENT_CALLS``).

The alert pipeline does not call the workflow engine: in the unit of work that opens an
incident or takes an alert in, it writes the call it needs (start the workflow, attach
alerts, note a resolution) to the outbox, keyed by incident (so calls to one incident
stay in order) and deduplicated (a replayed alert queues nothing twice).
``services.incident_dispatch`` delivers them. The payloads are JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from domain.incidents.incident import Incident, Severity
from ports.repositories import OutboxMessage
from ports.workflows import INCIDENT_WORKFLOW
from services.incident_commands import Command, snapshot

INCIDENT_CALLS = "incident.calls"


@dataclass(frozen=True)
class AlertChange:
    """An alert the pipeline lets through: firing (open or join the incident of its
    ``dedup_key``) or resolved (noted on that incident, if the alert is part of it)."""

    tenant: str
    dedup_key: str
    fingerprint: str
    firing: bool
    at_ms: int
    title: str = ""
    severity: Severity = Severity.SEV3
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"severity": self.severity.value}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "AlertChange":
        return cls(**(doc | {"severity": Severity.parse(doc["severity"])}))


def attach_dedup(incident_id: str, fingerprint: str) -> str:
    return f"attach:{incident_id}:{fingerprint}"


def _call(incident: Incident, dedup: str, payload: dict[str, Any], now_ms: int) -> OutboxMessage:
    return OutboxMessage(INCIDENT_CALLS, incident.tenant, incident.id, dedup, payload, now_ms)


def start_call(incident: Incident, now_ms: int) -> OutboxMessage:
    """Start the incident's workflow with the incident as stored (idempotent by id)."""
    args = [incident.tenant, incident.id, snapshot(incident)]
    return _call(incident, f"start:{incident.id}@{incident.version}", {"op": "start", "workflow": INCIDENT_WORKFLOW,
                                                                        "args": args}, now_ms)


def attach_call(incident: Incident, alert: AlertChange, now_ms: int) -> OutboxMessage:
    """Attach a firing alert (its ``alert`` goes along: if the incident closed before
    the call is delivered, the alert opens or joins another one)."""
    return _call(incident, attach_dedup(incident.id, alert.fingerprint), {"op": "attach", "alert": alert.to_dict()},
                 now_ms)


def note_call(incident: Incident, alert: AlertChange, cmd: Command, now_ms: int) -> OutboxMessage:
    """A responder command from the system (the note that an alert resolved) as an update."""
    return _call(incident, f"note:{incident.id}:{alert.fingerprint}:{alert.at_ms}",
                 {"op": "update", "name": cmd.action, "args": list(cmd.args())}, now_ms)


def signal_call(incident: Incident, cmd: Command, now_ms: int) -> OutboxMessage:
    """A change already applied to the stored incident, signalled to an engine that
    does not own it (one per stored version)."""
    return _call(incident, f"signal:{incident.id}@{incident.version}",
                 {"op": "signal", "name": cmd.action, "args": list(cmd.args())}, now_ms)
