"""Silences and recurring maintenance windows, with Alertmanager's rules.

A silence mutes every alert whose labels match all its matchers while it is active,
i.e. within ``[starts_at, ends_at)``. Its state is a function of time: PENDING before
it starts, ACTIVE during, EXPIRED after. Expiring one ends it *now*; a silence is never
deleted, so what was muted, when and by whom stays auditable.

A **maintenance window is a Silence with a recurrence**: it is valid over
``[starts_at, ends_at)`` (a quarter, say) but only mutes inside its weekly windows
("Sundays 22:00-06:00 Europe/Berlin"). ``MaintenanceWindow`` is an alias to say so.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import InvalidTransition, LimitExceeded, ValidationError
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import Matcher, matches_all

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)
_DAY_MS = 86_400_000
_HHMM_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def _to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


def _from_ms(ms: int, tz: ZoneInfo) -> datetime:
    return (_EPOCH + timedelta(milliseconds=ms)).astimezone(tz)


@dataclass(frozen=True, slots=True)
class Recurrence:
    """Weekly windows in a time zone: on each of ``weekdays`` (0 = Monday ... 6 = Sunday),
    from local ``start_time`` ("HH:MM") for ``duration_ms`` of *wall-clock* time.

    Wall-clock, as Alertmanager's time intervals are: "22:00 for 8h" is 22:00-06:00 local
    every night, which is 7 real hours on the night clocks spring forward and 9 on the
    night they fall back. ``weekdays`` name the day the window *starts*, so a Friday
    22:00 + 8h window covers Saturday early morning. Local times that do not exist (the
    spring-forward gap) are read with the offset before the change (PEP 495 ``fold=0``),
    i.e. they land the gap's length later; ambiguous ones (fall-back) take the first
    occurrence.
    """

    timezone: str
    weekdays: frozenset[int]
    start_time: str
    duration_ms: int

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValidationError(f"unknown time zone {self.timezone!r}", field="recurrence.timezone") from None
        days = frozenset(self.weekdays)
        if not days or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in days):
            raise ValidationError("weekdays must be a non-empty set of 0 (Monday) .. 6 (Sunday)", field="recurrence.weekdays")
        object.__setattr__(self, "weekdays", days)
        if not isinstance(self.start_time, str) or not _HHMM_RE.fullmatch(self.start_time):
            raise ValidationError(f"start_time must be HH:MM, got {self.start_time!r}", field="recurrence.start_time")
        if isinstance(self.duration_ms, bool) or not isinstance(self.duration_ms, int) or not 0 < self.duration_ms <= 7 * _DAY_MS:
            raise ValidationError("duration_ms must be > 0 and at most 7 days", field="recurrence.duration_ms")

    def _start(self) -> time:
        hours, minutes = self.start_time.split(":")
        return time(int(hours), int(minutes))

    def window_on(self, day: date) -> tuple[int, int] | None:
        """``[start_ms, end_ms)`` of the window starting on local ``day``, or None if not a chosen weekday."""
        if day.weekday() not in self.weekdays:
            return None
        tz = ZoneInfo(self.timezone)
        local_start = datetime.combine(day, self._start())
        local_end = local_start + timedelta(milliseconds=self.duration_ms)  # naive: wall-clock arithmetic
        return _to_ms(local_start.replace(tzinfo=tz)), _to_ms(local_end.replace(tzinfo=tz))

    def contains(self, now_ms: int) -> bool:
        """Is ``now_ms`` inside one of the windows? Windows that started on earlier days count."""
        today = _from_ms(now_ms, ZoneInfo(self.timezone)).date()
        lookback_days = self.duration_ms // _DAY_MS + 1
        for back in range(lookback_days + 1):
            window = self.window_on(today - timedelta(days=back))
            if window is not None and window[0] <= now_ms < window[1]:
                return True
        return False


class SilenceState(str, enum.Enum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


def _check_matchers(matchers: Iterable[Matcher]) -> tuple[Matcher, ...]:
    found = tuple(matchers)
    if any(not isinstance(m, Matcher) for m in found):
        raise ValidationError("matchers must be Matcher objects", field="matchers")
    if not found:
        raise ValidationError("a silence needs at least one matcher", field="matchers")
    if all(m.matches_value("") for m in found):
        # Alertmanager's rule: a silence that matches the empty label set would mute everything.
        raise ValidationError(
            "at least one matcher must not match the empty string (the silence would mute every alert)",
            field="matchers",
        )
    return found


@dataclass(eq=False, slots=True)
class Silence:
    """An entity (identity ``(tenant, id)``). Times are epoch milliseconds."""

    id: str
    tenant: str
    matchers: tuple[Matcher, ...]
    starts_at_ms: int
    ends_at_ms: int
    created_by: str
    comment: str
    recurrence: Recurrence | None = None
    updated_at_ms: int | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValidationError("silence id must be non-empty", field="id")
        if not self.tenant:
            raise ValidationError("silence tenant must be non-empty", field="tenant")
        self.matchers = _check_matchers(self.matchers)
        if self.ends_at_ms <= self.starts_at_ms:
            raise ValidationError("a silence must end after it starts", field="ends_at_ms")
        if not self.created_by.strip():
            raise ValidationError("created_by is required", field="created_by")
        if not self.comment.strip():
            raise ValidationError("a comment is required (say why alerts are muted)", field="comment")

    def state_at(self, now_ms: int) -> SilenceState:
        if now_ms < self.starts_at_ms:
            return SilenceState.PENDING
        if now_ms < self.ends_at_ms:
            return SilenceState.ACTIVE
        return SilenceState.EXPIRED

    def is_active(self, now_ms: int) -> bool:
        """Within ``[starts_at, ends_at)`` and, for a maintenance window, inside a recurrence window."""
        if self.state_at(now_ms) is not SilenceState.ACTIVE:
            return False
        return self.recurrence is None or self.recurrence.contains(now_ms)

    def mutes(self, labels: LabelSet, now_ms: int) -> bool:
        return self.is_active(now_ms) and matches_all(self.matchers, labels)

    # -- changes (Alertmanager's "can update in place" rules) --------------------------

    def _refuse_if_expired(self, now_ms: int, event: str) -> SilenceState:
        state = self.state_at(now_ms)
        if state is SilenceState.EXPIRED:
            raise InvalidTransition("silence", state.value, event)
        return state

    def expire(self, now_ms: int) -> None:
        """End it now. A silence that has not started yet ends before it ever began."""
        state = self._refuse_if_expired(now_ms, "expire")
        if state is SilenceState.PENDING:
            self.starts_at_ms = now_ms
        self.ends_at_ms = now_ms
        self.updated_at_ms = now_ms

    def update_end(self, ends_at_ms: int, now_ms: int) -> None:
        """Extend or shorten. Not once expired; an active one cannot be ended in the past."""
        state = self._refuse_if_expired(now_ms, "change its end")
        if ends_at_ms <= self.starts_at_ms:
            raise ValidationError("a silence must end after it starts", field="ends_at_ms")
        if state is SilenceState.ACTIVE and ends_at_ms < now_ms:
            raise ValidationError("an active silence cannot be ended in the past; expire it", field="ends_at_ms")
        self.ends_at_ms = ends_at_ms
        self.updated_at_ms = now_ms

    def update_start(self, starts_at_ms: int, now_ms: int) -> None:
        """Only a pending silence may move its start, and not into the past."""
        state = self._refuse_if_expired(now_ms, "change its start")
        if state is SilenceState.ACTIVE:
            raise InvalidTransition("silence", state.value, "change its start")
        if starts_at_ms < now_ms:
            raise ValidationError("a silence cannot be moved to start in the past", field="starts_at_ms")
        if self.ends_at_ms <= starts_at_ms:
            raise ValidationError("a silence must end after it starts", field="starts_at_ms")
        self.starts_at_ms = starts_at_ms
        self.updated_at_ms = now_ms

    def update_comment(self, comment: str, now_ms: int) -> None:
        self._refuse_if_expired(now_ms, "change its comment")
        if not comment.strip():
            raise ValidationError("a comment is required", field="comment")
        self.comment = comment
        self.updated_at_ms = now_ms


MaintenanceWindow = Silence
"""A maintenance window is a ``Silence`` with a ``Recurrence``: one model, one mute path."""


def _human(ms: int) -> str:
    hours = ms / 3_600_000
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} hours"


@dataclass(frozen=True, slots=True)
class SilenceLimits:
    """How long one silence may mute, so a silence is a time-bounded tool and never a
    way to switch alerting off for good (the limits are settings; each is named when hit):

    - a silence lasts at most ``max_duration_ms`` (``max_silence_duration_s``);
    - a maintenance window's every occurrence at most ``max_window_ms``
      (``max_maintenance_window_s``), and the window is valid for at most
      ``max_span_ms`` (``max_maintenance_span_s``): weekly windows over a year, not forever.
    """

    max_duration_ms: int = 30 * _DAY_MS
    max_window_ms: int = 3 * _DAY_MS
    max_span_ms: int = 366 * _DAY_MS

    def check(self, silence: Silence) -> None:
        span = silence.ends_at_ms - silence.starts_at_ms
        if silence.recurrence is None:
            if span > self.max_duration_ms:
                raise LimitExceeded(f"a silence may last at most {_human(self.max_duration_ms)}; this one lasts "
                                    f"{_human(span)}", field="ends_at_ms", limit="max_silence_duration_s",
                                    value=self.max_duration_ms // 1000)
            return
        self.check_window(silence.recurrence.duration_ms, field="recurrence.duration_ms")
        if span > self.max_span_ms:
            raise LimitExceeded(f"a maintenance window may be valid for at most {_human(self.max_span_ms)}; this one "
                                f"for {_human(span)}", field="ends_at_ms", limit="max_maintenance_span_s",
                                value=self.max_span_ms // 1000)

    def check_window(self, duration_ms: int, *, field: str) -> None:
        """One occurrence of a maintenance window (recurring silences, scheduled windows)."""
        if duration_ms > self.max_window_ms:
            raise LimitExceeded(f"a maintenance window occurrence may last at most {_human(self.max_window_ms)}; "
                                f"this one lasts {_human(duration_ms)}", field=field, limit="max_maintenance_window_s",
                                value=self.max_window_ms // 1000)
