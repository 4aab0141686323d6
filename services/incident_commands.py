"""Responder commands and the incident snapshot: the one way an incident changes.

The REST path (no workflow engine), the incident workflow and its validators all apply
a ``Command`` with ``apply``, so the aggregate's rules are enforced the same way
wherever the change happens. ``snapshot``/``restore`` turn the aggregate into plain
JSON-ready data and back: that is what the workflow carries in its history (and across
continue-as-new) and what the projection activity writes to the repository.

Everything here is pure (no I/O, no clock): the workflow sandbox imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.errors import ValidationError
from domain.incidents.events import IncidentEvent, from_dict, to_dict
from domain.incidents.incident import Incident, Severity, TimelineEntry

ACTIONS = (
    "acknowledge", "mitigate", "resolve", "close", "reopen",
    "add_note", "attach_alert", "change_severity",
)


@dataclass(frozen=True)
class Command:
    """One change asked of an incident. ``text`` is the note, the resolve/mitigate note
    or the reopen reason; ``severity`` the new severity (or, for ``attach_alert``, the
    alert's severity, which raises the incident's when more severe)."""

    action: str
    actor: str
    text: str = ""
    severity: str = ""
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValidationError(f"unknown action {self.action!r}", field="action")

    @classmethod
    def from_args(cls, action: str, args: tuple[Any, ...] | list[Any]) -> "Command":
        """The command for ``action`` called with the positional arguments the workflow's
        update/signal of that name takes (see ``args``)."""
        a = list(args)
        if action in ("acknowledge", "close"):
            return cls(action, *a[:1])
        if action in ("mitigate", "resolve", "reopen", "add_note"):
            return cls(action, a[0], text=a[1] if len(a) > 1 else "")
        if action == "change_severity":
            return cls(action, a[0], severity=a[1])
        if action == "attach_alert":
            return cls(action, a[2] if len(a) > 2 else "system", fingerprint=a[0], severity=a[1] if len(a) > 1 else "")
        raise ValidationError(f"unknown action {action!r}", field="action")

    def args(self) -> tuple[Any, ...]:
        """The positional arguments of the workflow update/signal named ``action``."""
        if self.action in ("acknowledge", "close"):
            return (self.actor,)
        if self.action == "change_severity":
            return (self.actor, self.severity)
        if self.action == "attach_alert":
            return (self.fingerprint, self.severity, self.actor)
        return (self.actor, self.text)


def apply(incident: Incident, cmd: Command, now_ms: int) -> bool:
    """Apply ``cmd``; True when the incident changed. Raises the domain's errors
    (``InvalidTransition``, ``ValidationError``) and then leaves it untouched."""
    now = max(now_ms, incident.opened_at_ms)
    before = incident.version
    if cmd.action == "acknowledge":
        incident.acknowledge(cmd.actor, now)
    elif cmd.action == "mitigate":
        incident.mitigate(cmd.actor, now, cmd.text)
    elif cmd.action == "resolve":
        incident.resolve(cmd.actor, now, cmd.text)
    elif cmd.action == "close":
        incident.close(cmd.actor, now)
    elif cmd.action == "reopen":
        incident.reopen(cmd.actor, now, cmd.text)
    elif cmd.action == "add_note":
        incident.add_note(cmd.actor, cmd.text, now)
    elif cmd.action == "change_severity":
        incident.change_severity(cmd.severity, cmd.actor, now)
    elif cmd.action == "attach_alert":
        sev = Severity.parse(cmd.severity) if cmd.severity else None
        # attach refuses a closed incident before anything changed, and the severity
        # change cannot fail once the attach succeeded (same status, same actor).
        if incident.attach_alert(cmd.fingerprint, now, cmd.actor) and sev is not None:
            if sev.is_more_severe_than(incident.severity):
                incident.change_severity(sev, cmd.actor, now)
    # The events stay pending: whoever stores the change takes them into the outbox
    # with it (the repositories, or the workflow's persist activity).
    return incident.version != before


def check(incident: Incident, cmd: Command, now_ms: int) -> None:
    """Raise what ``apply`` would raise, changing nothing (update validators)."""
    apply(restore(snapshot(incident)), cmd, now_ms)


# ------------------------------------------------------------------ snapshots

_TIMES = ("opened_at_ms", "acknowledged_at_ms", "mitigated_at_ms", "resolved_at_ms", "closed_at_ms",
          "first_acknowledged_at_ms")


def snapshot(incident: Incident, *, timeline_from: int = 0) -> dict[str, Any]:
    """The aggregate as plain data. ``timeline_from``: leave out the first entries of the
    timeline (the incident's workflow sends its projection only what is new, so a long
    timeline does not travel with every change); ``restore`` gives such a snapshot a
    timeline that starts there, ``IncidentProjection`` puts the stored entries before it."""
    out: dict[str, Any] = {
        "id": incident.id, "tenant": incident.tenant, "title": incident.title,
        "severity": incident.severity.value, "status": incident.status.value,
        "alerts": list(incident.alerts), "summary": incident.summary, "dedup_key": incident.dedup_key,
        "version": incident.version, "reopen_count": incident.reopen_count,
        "timeline": [entry_to_dict(e) for e in incident.timeline[timeline_from:]],
    }
    if timeline_from:
        out["timeline_from"] = timeline_from
    for name in _TIMES:
        out[name] = getattr(incident, name)
    return out


def restore(data: dict[str, Any]) -> Incident:
    return Incident(
        id=data["id"], tenant=data["tenant"], title=data["title"], severity=data["severity"],
        status=data["status"], alerts=tuple(data.get("alerts", ())), summary=data.get("summary", ""),
        dedup_key=data.get("dedup_key"), version=data.get("version", 0), reopen_count=data.get("reopen_count", 0),
        timeline=[entry_from_dict(e) for e in data.get("timeline", ())],
        **{name: data.get(name) for name in _TIMES},
    )


def events_to_data(incident: Incident) -> list[dict[str, Any]]:
    """Take the incident's pending events as plain data (the workflow hands them to its
    persist activity, which stores them with the change)."""
    return [to_dict(e) for e in incident.pull_events()]


def events_from_data(docs: list[dict[str, Any]] | None) -> list[IncidentEvent]:
    return [from_dict(d) for d in docs or ()]


def entry_to_dict(e: TimelineEntry) -> dict[str, Any]:
    return {"at_ms": e.at_ms, "kind": e.kind, "actor": e.actor, "text": e.text, "data": [list(p) for p in e.data]}


def entry_from_dict(d: dict[str, Any]) -> TimelineEntry:
    return TimelineEntry(d["at_ms"], d["kind"], d["actor"], d.get("text", ""), tuple((k, v) for k, v in d.get("data", ())))
