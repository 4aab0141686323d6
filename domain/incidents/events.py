"""Domain events the incident aggregate records (collected with ``Incident.pull_events``).

Every accepted change records exactly one event, and the incident's timeline entry for
the change is derived from it (``entry``, ``text``, ``data``): the timeline and what
subscribers are told cannot disagree. The repositories take the pending events into
the transactional outbox of the same unit of work that stores the change
(docs/adr/0014-one-alert-path.md), and the outbox relay publishes them (the live feed
of ``/api/v1/stream``), so the aggregate never talks to the outside world itself.

Each event is frozen and carries what a subscriber needs without loading the incident:
its id, its tenant, the version the change produced (one change, one version: the
event's identity), when it happened and who did it. ``kind`` is the stable name used on
the wire; ``to_dict``/``from_dict`` are the wire form.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # annotations only: incident.py imports this module
    from domain.incidents.incident import Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentEvent:
    """Base of every incident event."""

    kind: ClassVar[str] = "incident.event"
    entry: ClassVar[str] = ""  # the kind of the timeline entry it makes
    incident_id: str
    tenant: str
    at_ms: int
    actor: str
    version: int = 0  # the incident's version after this change

    def __deepcopy__(self, memo) -> "IncidentEvent":
        return self  # frozen, and every field is immutable

    def entry_text(self) -> str:
        """The timeline entry's text."""
        return ""

    def entry_data(self) -> tuple[tuple[str, str], ...]:
        """The timeline entry's (key, value) pairs."""
        return ()


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentOpened(IncidentEvent):
    kind: ClassVar[str] = "incident.opened"
    entry: ClassVar[str] = "opened"
    title: str
    severity: Severity
    alerts: tuple[str, ...] = ()
    dedup_key: str | None = None

    def entry_text(self) -> str:
        return self.title

    def entry_data(self) -> tuple[tuple[str, str], ...]:
        return (("severity", _value(self.severity)), ("alerts", str(len(self.alerts))))


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentAcknowledged(IncidentEvent):
    kind: ClassVar[str] = "incident.acknowledged"
    entry: ClassVar[str] = "acknowledged"


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentMitigated(IncidentEvent):
    kind: ClassVar[str] = "incident.mitigated"
    entry: ClassVar[str] = "mitigated"
    note: str = ""

    def entry_text(self) -> str:
        return self.note


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentResolved(IncidentEvent):
    kind: ClassVar[str] = "incident.resolved"
    entry: ClassVar[str] = "resolved"
    note: str = ""

    def entry_text(self) -> str:
        return self.note


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentClosed(IncidentEvent):
    kind: ClassVar[str] = "incident.closed"
    entry: ClassVar[str] = "closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentReopened(IncidentEvent):
    kind: ClassVar[str] = "incident.reopened"
    entry: ClassVar[str] = "reopened"
    reason: str
    cycle: int = 0  # the response cycle it starts (2 for the first reopen)

    def entry_text(self) -> str:
        return self.reason

    def entry_data(self) -> tuple[tuple[str, str], ...]:
        return (("cycle", str(self.cycle)),)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertAttached(IncidentEvent):
    kind: ClassVar[str] = "incident.alert_attached"
    entry: ClassVar[str] = "alert_attached"
    fingerprint: str

    def entry_data(self) -> tuple[tuple[str, str], ...]:
        return (("fingerprint", self.fingerprint),)


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteAdded(IncidentEvent):
    kind: ClassVar[str] = "incident.note_added"
    entry: ClassVar[str] = "note"
    text: str

    def entry_text(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True, kw_only=True)
class SeverityChanged(IncidentEvent):
    kind: ClassVar[str] = "incident.severity_changed"
    entry: ClassVar[str] = "severity_changed"
    previous: Severity
    severity: Severity

    def entry_data(self) -> tuple[tuple[str, str], ...]:
        return (("from", _value(self.previous)), ("to", _value(self.severity)))


EVENT_TYPES: dict[str, type[IncidentEvent]] = {
    t.kind: t for t in (IncidentOpened, IncidentAcknowledged, IncidentMitigated, IncidentResolved, IncidentClosed,
                        IncidentReopened, AlertAttached, NoteAdded, SeverityChanged)
}
_SEVERITY_FIELDS = ("severity", "previous")


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def to_dict(event: IncidentEvent) -> dict[str, Any]:
    """The wire form: ``kind`` and every field, enums as their values, tuples as lists."""
    out: dict[str, Any] = {"kind": event.kind}
    for f in dataclasses.fields(event):
        v = _value(getattr(event, f.name))
        out[f.name] = list(v) if isinstance(v, tuple) else v
    return out


def from_dict(doc: Mapping[str, Any]) -> IncidentEvent:
    """Inverse of ``to_dict``; unknown kinds raise ``KeyError``."""
    from domain.incidents.incident import Severity  # here: incident.py imports this module

    cls = EVENT_TYPES[doc["kind"]]
    names = {f.name for f in dataclasses.fields(cls)}
    kw = {k: v for k, v in doc.items() if k in names}
    for name in _SEVERITY_FIELDS:
        if name in kw:
            kw[name] = Severity.parse(kw[name])
    if "alerts" in kw:
        kw["alerts"] = tuple(kw["alerts"])
    return cls(**kw)
