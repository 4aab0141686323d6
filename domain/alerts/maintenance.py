"""Maintenance windows as configuration resources: which alerts (matchers), when (a
schedule in a time zone), who set it up and why.

A schedule is one of:

* ``once``: from ``starts_at`` to ``ends_at``;
* ``weekly``: on ``weekdays`` from local ``start_time`` for ``duration`` (the
  ``Recurrence`` recurring silences use, so both mute by the same rule), valid from
  ``starts_at`` until ``ends_at``;
* ``rrule``: an iCalendar recurrence rule (domain/alerts/rrule.py) whose occurrences
  start at local ``start_time`` on the dates it gives, counted from the local date of
  ``starts_at``, each lasting ``duration``, valid until ``ends_at``.

Durations are wall-clock, as for recurring silences: "22:00 for 8h" ends at 06:00 local
on the nights clocks change too. A window mutes an alert when one of its occurrences
holds the moment and its matchers match the alert's labels: the alert pipeline's silence
stage asks windows and silences alike (``mutes``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.alerts.rrule import RRule
from domain.alerts.silences import Recurrence, SilenceLimits, _check_matchers
from domain.errors import LimitExceeded, ValidationError
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import Matcher, matches_all

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)
MAX_NAME = 200


class ScheduleKind(str, enum.Enum):
    ONCE = "once"
    WEEKLY = "weekly"
    RRULE = "rrule"


class WindowState(str, enum.Enum):
    ACTIVE = "active"  # muting now
    UPCOMING = "upcoming"  # an occurrence is still to come
    EXPIRED = "expired"  # none is


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


def _local(ms: int, tz: ZoneInfo) -> datetime:
    return (_EPOCH + timedelta(milliseconds=ms)).astimezone(tz).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Schedule:
    kind: ScheduleKind
    starts_at_ms: int
    ends_at_ms: int
    timezone: str = "UTC"
    weekdays: frozenset[int] = frozenset()  # weekly
    start_time: str = ""  # weekly, rrule: "HH:MM" local
    duration_ms: int = 0  # weekly, rrule
    rrule: RRule | None = None  # rrule

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", ScheduleKind(self.kind))
        except ValueError:
            raise ValidationError("schedule.kind must be once, weekly or rrule", field="schedule.kind") from None
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValidationError(f"unknown time zone {self.timezone!r}", field="schedule.timezone") from None
        for name in ("starts_at_ms", "ends_at_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(f"{name} must be a time", field=f"schedule.{name}")
        if self.ends_at_ms <= self.starts_at_ms:
            raise ValidationError("a maintenance window must end after it starts", field="schedule.ends_at_ms")
        if self.kind is not ScheduleKind.ONCE:
            # The weekly rule (and its checks) is the recurring silences' own.
            try:
                Recurrence(self.timezone, frozenset(self.weekdays) or frozenset({0}), self.start_time, self.duration_ms)
            except ValidationError as exc:
                raise exc.renamed(f"schedule.{(exc.field or '').removeprefix('recurrence.')}") from None
        if self.kind is ScheduleKind.WEEKLY and not self.weekdays:
            raise ValidationError("a weekly window needs weekdays (0 = Monday ... 6 = Sunday)",
                                  field="schedule.weekdays")
        if self.kind is ScheduleKind.RRULE and not isinstance(self.rrule, RRule):
            raise ValidationError("an rrule window needs its rule (e.g. FREQ=MONTHLY;BYDAY=1SU)",
                                  field="schedule.rrule")
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))

    # -- when ---------------------------------------------------------------------------------

    def _recurrence(self) -> Recurrence:
        return Recurrence(self.timezone, self.weekdays, self.start_time, self.duration_ms)

    def _dtstart(self, tz: ZoneInfo) -> datetime:
        hours, minutes = self.start_time.split(":")
        return datetime.combine(_local(self.starts_at_ms, tz).date(), datetime.min.time()).replace(
            hour=int(hours), minute=int(minutes))

    def _rrule_windows(self, after_ms: int) -> list[tuple[int, int]]:
        """Occurrences ``[start, end)`` of the rrule schedule that end after ``after_ms``
        (the first few), as epoch milliseconds."""
        assert self.rrule is not None
        tz = ZoneInfo(self.timezone)
        after = _local(after_ms, tz) - timedelta(milliseconds=self.duration_ms) - timedelta(days=1)
        out = []
        for start in self.rrule.occurrences(self._dtstart(tz), after=after):
            end = start + timedelta(milliseconds=self.duration_ms)  # naive: wall-clock arithmetic
            start_ms, end_ms = _ms(start.replace(tzinfo=tz)), _ms(end.replace(tzinfo=tz))
            if start_ms >= self.ends_at_ms:
                break
            if end_ms > after_ms:
                out.append((start_ms, end_ms))
                if len(out) >= 2:
                    break
        return out

    def contains(self, now_ms: int) -> bool:
        """Is ``now_ms`` inside one of the occurrences (and within the validity)?"""
        if not self.starts_at_ms <= now_ms < self.ends_at_ms:
            return False
        if self.kind is ScheduleKind.ONCE:
            return True
        if self.kind is ScheduleKind.WEEKLY:
            return self._recurrence().contains(now_ms)
        return any(start <= now_ms < end for start, end in self._rrule_windows(now_ms))

    def next_start(self, now_ms: int) -> int | None:
        """When the next occurrence starting after ``now_ms`` begins (None: there is none)."""
        if now_ms >= self.ends_at_ms:
            return None
        if self.kind is ScheduleKind.ONCE:
            return self.starts_at_ms if now_ms < self.starts_at_ms else None
        if self.kind is ScheduleKind.WEEKLY:
            recurrence = self._recurrence()
            tz = ZoneInfo(self.timezone)
            day = _local(max(now_ms, self.starts_at_ms), tz).date()
            for ahead in range(8):  # every chosen weekday comes round within a week
                window = recurrence.window_on(day + timedelta(days=ahead))
                if window is not None and window[0] > now_ms and window[0] >= self.starts_at_ms:
                    return window[0] if window[0] < self.ends_at_ms else None
            return None
        starts = [s for s, _ in self._rrule_windows(now_ms) if s > now_ms]
        if not starts:
            more = self._rrule_windows(now_ms + self.duration_ms + 1)  # the current one ends first
            starts = [s for s, _ in more if s > now_ms]
        return min(starts) if starts else None

    def as_dict(self) -> dict:
        """The stored (JSON) form; ``from_dict`` reads it back."""
        return {"kind": self.kind.value, "timezone": self.timezone, "starts_at_ms": self.starts_at_ms,
                "ends_at_ms": self.ends_at_ms, "weekdays": sorted(self.weekdays), "start_time": self.start_time,
                "duration_ms": self.duration_ms, "rrule": None if self.rrule is None else str(self.rrule)}

    @classmethod
    def from_dict(cls, doc: dict) -> "Schedule":
        rule = doc.get("rrule")
        return cls(ScheduleKind(doc["kind"]), int(doc["starts_at_ms"]), int(doc["ends_at_ms"]), doc["timezone"],
                   frozenset(doc.get("weekdays") or ()), doc.get("start_time") or "", int(doc.get("duration_ms") or 0),
                   RRule.parse(rule) if rule else None)

    def state_at(self, now_ms: int) -> WindowState:
        if self.contains(now_ms):
            return WindowState.ACTIVE
        return WindowState.UPCOMING if self.next_start(now_ms) is not None else WindowState.EXPIRED


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceWindow:
    """An entity (identity ``(tenant, id)``), versioned (docs/adr/0017)."""

    id: str
    tenant: str
    name: str
    matchers: tuple[Matcher, ...]
    schedule: Schedule
    comment: str  # why: required
    created_by: str  # who set it up
    created_at_ms: int = 0
    version: int = 1
    updated_by: str = ""
    updated_at_ms: int = 0
    seeded_from: str = field(default="", compare=True)  # the setting it was seeded from, if any

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValidationError("a maintenance window needs an id", field="id")
        if not isinstance(self.tenant, str) or not self.tenant:
            raise ValidationError("a maintenance window needs a tenant", field="tenant")
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > MAX_NAME:
            raise ValidationError(f"name must be 1..{MAX_NAME} characters", field="name")
        object.__setattr__(self, "matchers", _check_matchers(self.matchers))
        if not isinstance(self.schedule, Schedule):
            raise ValidationError("a maintenance window needs a schedule", field="schedule")
        if not isinstance(self.comment, str) or not self.comment.strip():
            raise ValidationError("a comment is required: say why alerts are muted", field="comment")
        if not isinstance(self.created_by, str) or not self.created_by.strip():
            raise ValidationError("created_by is required", field="created_by")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ValidationError("version must be an integer >= 1", field="version")

    def mutes(self, labels: LabelSet, now_ms: int) -> bool:
        return self.schedule.contains(now_ms) and matches_all(self.matchers, labels)

    def state_at(self, now_ms: int) -> WindowState:
        return self.schedule.state_at(now_ms)


def check_limits(window: MaintenanceWindow, limits: SilenceLimits) -> None:
    """The limits silences have: a one-off window lasts at most ``max_duration_ms``; a
    recurring one's occurrences at most ``max_window_ms``, valid at most ``max_span_ms``."""
    s = window.schedule
    span = s.ends_at_ms - s.starts_at_ms
    if s.kind is ScheduleKind.ONCE:
        if span > limits.max_duration_ms:
            raise LimitExceeded(f"a one-off maintenance window may last at most {limits.max_duration_ms // 3_600_000} "
                                "hours", field="schedule.ends_at", limit="max_silence_duration_s",
                                value=limits.max_duration_ms // 1000)
        return
    limits.check_window(s.duration_ms, field="schedule.duration")
    if span > limits.max_span_ms:
        raise LimitExceeded(f"a recurring maintenance window may be valid for at most {limits.max_span_ms // 86_400_000}"
                            " days", field="schedule.ends_at", limit="max_maintenance_span_s",
                            value=limits.max_span_ms // 1000)
