"""The incident aggregate: severity, a guarded lifecycle, alerts, a timeline, events.

The lifecycle is a strict state machine (``TRANSITIONS``): a responder acknowledges,
mitigates, resolves and closes, in that order, and may reopen a resolved incident.
Anything else raises ``InvalidTransition`` and leaves the incident untouched, so a
double-clicked button or a replayed workflow signal can never corrupt it.

Every accepted change records one domain event (``domain.incidents.events``), queued
for ``pull_events``; its ``TimelineEntry`` is derived from the event, and ``version``
(the repositories' optimistic-concurrency token) moves to the event's, one more. A
change that would change nothing (attaching an alert already attached, setting the
current severity) is a no-op: no entry, no event, no bump.

Times are caller-supplied milliseconds since the epoch. They never go backwards on one
incident: a change stamped earlier than the last one (clock skew between replicas) is
recorded at the last one's time, so timestamps stay ordered and MTTA/MTTR never
negative.

Reopen and the metrics: a reopen moves a resolved incident back to ``triggered`` for a
new response cycle. ``opened_at_ms`` is kept; ``acknowledged_at_ms``,
``mitigated_at_ms`` and ``resolved_at_ms`` are cleared because they describe the
current cycle. ``first_acknowledged_at_ms`` is never cleared, so MTTA is measured from
the first open to the *first* acknowledgement, and MTTR from the first open to the
*final* resolution (``resolved_at_ms`` of the last cycle): a reopened incident counts
as unresolved until it is resolved again (see ``domain.incidents.analytics``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from domain.errors import InvalidTransition, ValidationError
from domain.incidents import events as ev


class Severity(str, Enum):
    """SEV1 is the most severe. Values sort in severity order (``"SEV1" < "SEV2"``)."""

    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"

    @property
    def rank(self) -> int:
        """1 for SEV1 (most severe) ... 4 for SEV4."""
        return int(self.value[3:])

    def is_more_severe_than(self, other: "Severity") -> bool:
        return self.rank < Severity.parse(other).rank

    @classmethod
    def most_severe(cls, severities) -> "Severity":
        """The most severe of a non-empty iterable (strings are parsed)."""
        parsed = [cls.parse(s) for s in severities]
        if not parsed:
            raise ValidationError("no severity given", field="severity")
        return min(parsed, key=lambda s: s.rank)

    @classmethod
    def parse(cls, text: "str | Severity") -> "Severity":
        """Accepts ``SEV1``/``sev-1``/``1`` and the alert-label words (``critical`` ...)."""
        if isinstance(text, Severity):
            return text
        if not isinstance(text, str):
            raise ValidationError(f"severity must be text, not {type(text).__name__}", field="severity")
        key = text.strip().lower().replace(" ", "").replace("-", "").replace("_", "")
        found = _SEVERITY_ALIASES.get(key)
        if found is None:
            raise ValidationError(
                f"unknown severity {text!r}: use SEV1..SEV4, 1..4, critical, high, medium/warning, low/info",
                field="severity",
            )
        return found


_SEVERITY_ALIASES: dict[str, Severity] = {
    **{f"sev{n}": Severity(f"SEV{n}") for n in range(1, 5)},
    **{str(n): Severity(f"SEV{n}") for n in range(1, 5)},
    "critical": Severity.SEV1,
    "high": Severity.SEV2,
    "error": Severity.SEV2,
    "warning": Severity.SEV3,
    "medium": Severity.SEV3,
    "info": Severity.SEV4,
    "low": Severity.SEV4,
}


class IncidentStatus(str, Enum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Action(str, Enum):
    """The lifecycle events of ``TRANSITIONS`` (what ``allowed_actions`` lists)."""

    ACKNOWLEDGE = "acknowledge"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"


_S = IncidentStatus
TRANSITIONS: dict[tuple[IncidentStatus, Action], IncidentStatus] = {
    (_S.TRIGGERED, Action.ACKNOWLEDGE): _S.ACKNOWLEDGED,
    (_S.ACKNOWLEDGED, Action.MITIGATE): _S.MITIGATED,
    (_S.MITIGATED, Action.RESOLVE): _S.RESOLVED,
    (_S.RESOLVED, Action.CLOSE): _S.CLOSED,
    (_S.RESOLVED, Action.REOPEN): _S.TRIGGERED,
}
"""The only legal lifecycle moves: (status, action) -> new status. Everything else is refused."""

ACTIVE_STATUSES = frozenset({_S.TRIGGERED, _S.ACKNOWLEDGED, _S.MITIGATED})


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of the incident's history. ``data`` holds (key, value) pairs, in order."""

    at_ms: int
    kind: str
    actor: str
    text: str = ""
    data: tuple[tuple[str, str], ...] = ()

    def get(self, key: str, default: str | None = None) -> str | None:
        return next((v for k, v in self.data if k == key), default)

    def __deepcopy__(self, memo) -> "TimelineEntry":
        return self  # immutable all the way down, like a tuple of strings


def _require_text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string", field=name)
    return value


def _require_time(value: object, name: str = "now_ms") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be integer milliseconds since the epoch", field=name)
    return value


@dataclass
class Incident:
    """The aggregate root. Build new ones with ``Incident.open``; the constructor is for
    repositories rehydrating a stored incident (strings are coerced to the enums)."""

    id: str
    tenant: str
    title: str
    severity: Severity
    status: IncidentStatus
    opened_at_ms: int
    acknowledged_at_ms: int | None = None
    mitigated_at_ms: int | None = None
    resolved_at_ms: int | None = None
    closed_at_ms: int | None = None
    alerts: tuple[str, ...] = ()
    timeline: list[TimelineEntry] = field(default_factory=list)
    summary: str = ""
    dedup_key: str | None = None
    version: int = 0
    first_acknowledged_at_ms: int | None = None
    reopen_count: int = 0
    _pending: list[ev.IncidentEvent] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.severity = Severity.parse(self.severity)
        self.status = IncidentStatus(self.status)
        self.alerts = tuple(self.alerts)

    # ----------------------------------------------------------------- creation

    @classmethod
    def open(
        cls,
        id: str,
        tenant: str,
        title: str,
        severity: Severity | str,
        now_ms: int,
        *,
        alerts=(),
        summary: str = "",
        dedup_key: str | None = None,
        actor: str = "system",
    ) -> "Incident":
        """A new triggered incident, with its "opened" entry and ``IncidentOpened`` event."""
        _require_text(id, "id")
        _require_text(tenant, "tenant")
        _require_text(title, "title")
        _require_text(actor, "actor")
        _require_time(now_ms)
        sev = Severity.parse(severity)
        fps: list[str] = []
        for i, fp in enumerate(alerts):
            try:
                _require_text(fp, "fingerprint")
            except ValidationError as e:
                raise e.at(f"alerts[{i}]") from None
            if fp not in fps:
                fps.append(fp)
        inc = cls(id=id, tenant=tenant, title=title.strip(), severity=sev, status=_S.TRIGGERED,
                  opened_at_ms=now_ms, alerts=tuple(fps), summary=summary, dedup_key=dedup_key)
        inc._record(ev.IncidentOpened(**inc._base(now_ms, actor), title=inc.title, severity=sev, alerts=inc.alerts,
                                      dedup_key=dedup_key))
        return inc

    # ---------------------------------------------------------------- lifecycle

    def acknowledge(self, actor: str, now_ms: int) -> None:
        at = self._move(Action.ACKNOWLEDGE, actor, now_ms)
        self.acknowledged_at_ms = at
        if self.first_acknowledged_at_ms is None:
            self.first_acknowledged_at_ms = at
        self._record(ev.IncidentAcknowledged(**self._base(at, actor)))

    def mitigate(self, actor: str, now_ms: int, note: str = "") -> None:
        at = self._move(Action.MITIGATE, actor, now_ms)
        self.mitigated_at_ms = at
        self._record(ev.IncidentMitigated(**self._base(at, actor), note=note))

    def resolve(self, actor: str, now_ms: int, note: str = "") -> None:
        at = self._move(Action.RESOLVE, actor, now_ms)
        self.resolved_at_ms = at
        self._record(ev.IncidentResolved(**self._base(at, actor), note=note))

    def close(self, actor: str, now_ms: int) -> None:
        at = self._move(Action.CLOSE, actor, now_ms)
        self.closed_at_ms = at
        self._record(ev.IncidentClosed(**self._base(at, actor)))

    def reopen(self, actor: str, now_ms: int, reason: str) -> None:
        """Back to triggered for a new cycle; the reason is required (it is the audit trail)."""
        _require_text(reason, "reason")
        at = self._move(Action.REOPEN, actor, now_ms)
        self.acknowledged_at_ms = self.mitigated_at_ms = self.resolved_at_ms = None
        self.reopen_count += 1
        self._record(ev.IncidentReopened(**self._base(at, actor), reason=reason, cycle=self.reopen_count + 1))

    # ------------------------------------------------------------ other changes

    def attach_alert(self, fingerprint: str, now_ms: int, actor: str = "system") -> bool:
        """Links an alert. Idempotent (False when already attached); refused once closed.

        Attaching to a resolved incident is allowed and does not reopen it: whether a new
        firing reopens or opens a fresh incident is the alert pipeline's policy.
        """
        _require_text(fingerprint, "fingerprint")
        at = self._check_open_for("attach_alert", actor, now_ms)
        if fingerprint in self.alerts:
            return False
        self.alerts = self.alerts + (fingerprint,)
        self._record(ev.AlertAttached(**self._base(at, actor), fingerprint=fingerprint))
        return True

    def add_note(self, actor: str, text: str, now_ms: int) -> None:
        """Appends a note. Allowed in every status, closed included: notes are commentary
        (postmortem follow-ups, links) and never change the lifecycle."""
        _require_text(actor, "actor")
        _require_text(text, "text")
        at = self._stamp(now_ms)
        self._record(ev.NoteAdded(**self._base(at, actor), text=text))

    def change_severity(self, severity: Severity | str, actor: str, now_ms: int) -> bool:
        """Re-rates the incident; False (no-op) when unchanged; refused once closed, so the
        severity reported for a closed incident is final."""
        new = Severity.parse(severity)
        at = self._check_open_for("change_severity", actor, now_ms)
        if new is self.severity:
            return False
        old, self.severity = self.severity, new
        self._record(ev.SeverityChanged(**self._base(at, actor), previous=old, severity=new))
        return True

    # ------------------------------------------------------------------ queries

    def allowed_actions(self) -> tuple[Action, ...]:
        """The lifecycle actions ``TRANSITIONS`` allows from the current status (for UIs).
        Notes are always allowed; alerts and severity changes unless closed."""
        return tuple(a for (s, a) in TRANSITIONS if s is self.status)

    def can(self, action: Action | str) -> bool:
        """Whether ``action`` (an Action or its name) is allowed now; unknown names are not."""
        try:
            return (self.status, Action(action)) in TRANSITIONS
        except ValueError:
            return False

    @property
    def is_active(self) -> bool:
        """Still being responded to (triggered, acknowledged or mitigated)."""
        return self.status in ACTIVE_STATUSES

    def pull_events(self) -> list[ev.IncidentEvent]:
        """The events recorded since the last call, oldest first; clears them."""
        out, self._pending = self._pending, []
        return out

    # ---------------------------------------------------------------- internals

    def _stamp(self, now_ms: int) -> int:
        _require_time(now_ms)
        last = self.timeline[-1].at_ms if self.timeline else self.opened_at_ms
        return max(now_ms, last)

    def _move(self, action: Action, actor: str, now_ms: int) -> int:
        """Validates, checks ``TRANSITIONS`` and applies the new status; returns the stamp.
        Every check happens before the first assignment, so a refusal changes nothing."""
        _require_text(actor, "actor")
        at = self._stamp(now_ms)
        target = TRANSITIONS.get((self.status, action))
        if target is None:
            raise InvalidTransition("incident", self.status.value, action.value)
        self.status = target
        return at

    def _check_open_for(self, what: str, actor: str, now_ms: int) -> int:
        _require_text(actor, "actor")
        at = self._stamp(now_ms)
        if self.status is _S.CLOSED:
            raise InvalidTransition("incident", self.status.value, what)
        return at

    def _base(self, at: int, actor: str) -> dict:
        """The fields every event of the change about to be recorded shares (one change,
        one new version)."""
        return {"incident_id": self.id, "tenant": self.tenant, "at_ms": at, "actor": actor, "version": self.version + 1}

    def _record(self, event: ev.IncidentEvent) -> None:
        """The change's timeline entry is the event's own description of it."""
        self.timeline.append(TimelineEntry(event.at_ms, event.entry, event.actor, event.entry_text(), event.entry_data()))
        self.version = event.version
        self._pending.append(event)

    def restore_events(self, events: "list[ev.IncidentEvent]") -> None:
        """Put recorded events back as pending (a snapshot that carries the events of
        changes not yet stored, e.g. from the incident's workflow to its projection)."""
        self._pending = list(events) + self._pending
