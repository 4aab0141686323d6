"""Domain events the incident aggregate records (collected with ``Incident.pull_events``).

Services pull them after saving the aggregate and publish them (bus, WebSocket, workflow
signals), so the aggregate never talks to the outside world itself. Each event is
frozen and carries what a subscriber needs without loading the incident: its id, its
tenant, when it happened and who did it. ``kind`` is the stable name used on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # annotations only: incident.py imports this module
    from domain.incidents.incident import Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentEvent:
    """Base of every incident event."""

    kind: ClassVar[str] = "incident.event"
    incident_id: str
    tenant: str
    at_ms: int
    actor: str

    def __deepcopy__(self, memo) -> "IncidentEvent":
        return self  # frozen, and every field is immutable


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentOpened(IncidentEvent):
    kind: ClassVar[str] = "incident.opened"
    title: str
    severity: Severity
    alerts: tuple[str, ...] = ()
    dedup_key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentAcknowledged(IncidentEvent):
    kind: ClassVar[str] = "incident.acknowledged"


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentMitigated(IncidentEvent):
    kind: ClassVar[str] = "incident.mitigated"
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentResolved(IncidentEvent):
    kind: ClassVar[str] = "incident.resolved"
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentClosed(IncidentEvent):
    kind: ClassVar[str] = "incident.closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentReopened(IncidentEvent):
    kind: ClassVar[str] = "incident.reopened"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertAttached(IncidentEvent):
    kind: ClassVar[str] = "incident.alert_attached"
    fingerprint: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteAdded(IncidentEvent):
    kind: ClassVar[str] = "incident.note_added"
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SeverityChanged(IncidentEvent):
    kind: ClassVar[str] = "incident.severity_changed"
    previous: Severity
    severity: Severity
