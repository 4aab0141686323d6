"""On-call schedules in PagerDuty's model: layers of rotations, restrictions, overrides.

A ``Rotation`` cycles through its users; hand-offs happen at a local wall-clock time in
the rotation's own time zone, so a daily rotation in Europe/Berlin hands off at 09:00
local in winter (08:00 UTC) and in summer (07:00 UTC). ``zoneinfo`` does the DST work.

A ``Layer`` is a rotation plus optional weekly ``Restriction`` windows (business
hours, nights, weekends) outside which the layer has nobody. A ``Schedule`` stacks
layers: as in PagerDuty, *lower layers are overridden by higher layers*, so the last
layer that has someone at an instant wins, and a lower layer only shows through where
every higher one is empty (restricted or not started yet). ``Override`` entries beat
every layer (the last listed wins when they overlap).

Wall-clock edge cases, settled once here: a local time that happens twice (autumn
fall-back) means its first occurrence; a local time the clock skips (spring forward)
happens when the clock jumps past it. Restriction windows are read in the layer's
rotation time zone (business hours belong to the team that works them);
``Schedule.timezone`` is the zone a UI renders the schedule in.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, time, timedelta
from datetime import timezone as _dt_timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import ValidationError

_EPOCH = datetime(1970, 1, 1, tzinfo=_dt_timezone.utc)
_MS = timedelta(milliseconds=1)
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
LENGTHS = {"daily": 1, "weekly": 7}
DEFAULT_HORIZON_MS = 90 * 86_400_000
"""How far ``Schedule.next_handoff_after`` looks before answering "nobody changes"."""


# ---------------------------------------------------------------- wall-clock helpers

def _zone(name: object, field_name: str = "timezone") -> ZoneInfo:
    try:
        return ZoneInfo(name)  # type: ignore[arg-type]
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(f"unknown time zone {name!r} (use an IANA name like Europe/Berlin)",
                              field=field_name) from None


@lru_cache(maxsize=1024)
def _parse_hhmm(text: str) -> time | None:
    m = _HHMM.fullmatch(text)
    return None if m is None else time(int(m.group(1)), int(m.group(2)))


def _hhmm(text: object, field_name: str) -> time:
    parsed = _parse_hhmm(text) if isinstance(text, str) else None
    if parsed is None:
        raise ValidationError(f"{field_name} must be HH:MM (24-hour), not {text!r}", field=field_name)
    return parsed


def clear_wall_clock_caches() -> None:
    """Forget the cached wall-clock conversions (benchmarks measure cold runs with it)."""
    for cached in (_wall, _instant, _parse_hhmm):
        cached.cache_clear()


def _ms(aware: datetime) -> int:
    return (aware - _EPOCH) // _MS


@lru_cache(maxsize=65536)
def _wall(at_ms: int, zone: ZoneInfo) -> datetime:
    """The naive local wall-clock time at an instant."""
    return (_EPOCH + timedelta(milliseconds=at_ms)).astimezone(zone).replace(tzinfo=None)


@lru_cache(maxsize=65536)
def _instant(day: date, at: time, zone: ZoneInfo) -> int:
    """The instant the local clock in ``zone`` first reads ``day at``."""
    naive = datetime.combine(day, at)
    first = _ms(naive.replace(tzinfo=zone))  # fold=0: the earlier of a repeated time
    if _wall(first, zone) == naive:
        return first
    # The clock skips this time (spring forward): find the jump by bisection.
    lo, hi = _ms(naive.replace(tzinfo=zone, fold=1)), first  # wall < naive at lo, > at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _wall(mid, zone) >= naive else (mid, hi)
    return hi


def _weekly_at_or_before(at_ms: int, day: int, at: time, zone: ZoneInfo) -> int:
    d = _wall(at_ms, zone).date()
    cand = d - timedelta(days=(d.weekday() - day) % 7)
    inst = _instant(cand, at, zone)
    return inst if inst <= at_ms else _instant(cand - timedelta(days=7), at, zone)


def _weekly_after(at_ms: int, day: int, at: time, zone: ZoneInfo) -> int:
    d = _wall(at_ms, zone).date()
    cand = d + timedelta(days=(day - d.weekday()) % 7)
    inst = _instant(cand, at, zone)
    return inst if inst > at_ms else _instant(cand + timedelta(days=7), at, zone)


def _require_ms(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be integer milliseconds since the epoch", field=name)
    return value


def _require_text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string", field=name)
    return value


class Shift(NamedTuple):
    """Who is on call over [start_ms, end_ms); ``user`` None is a coverage gap."""

    user: str | None
    start_ms: int
    end_ms: int


# ------------------------------------------------------------------------ rotation

@dataclass(frozen=True, slots=True)
class Rotation:
    """``users[0]`` is on call from ``start_ms`` until the first hand-off, which is at
    ``handoff_time`` local, ``length`` days after the local date of ``start_ms``; every
    further hand-off is ``length`` days later and passes to the next user, round robin.
    Nobody is on call before ``start_ms``."""

    users: tuple[str, ...]
    start_ms: int
    handoff_time: str = "09:00"
    timezone: str = "UTC"
    length: str | int = "weekly"

    def __post_init__(self) -> None:
        users = tuple(self.users) if not isinstance(self.users, str) else ()
        if not users:
            raise ValidationError("a rotation needs at least one user", field="users")
        for i, u in enumerate(users):
            _require_text(u, f"users[{i}]")
        object.__setattr__(self, "users", users)
        _require_ms(self.start_ms, "start_ms")
        _hhmm(self.handoff_time, "handoff_time")
        _zone(self.timezone)
        n = LENGTHS.get(self.length) if isinstance(self.length, str) else self.length
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValidationError("length must be 'daily', 'weekly' or a positive number of days", field="length")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def length_days(self) -> int:
        return LENGTHS[self.length] if isinstance(self.length, str) else self.length

    def handoff(self, k: int) -> int:
        """The instant of the k-th hand-off (k >= 1), where shift k begins."""
        zone = self.zone
        epoch_day = _wall(self.start_ms, zone).date()
        return _instant(epoch_day + timedelta(days=k * self.length_days), _hhmm(self.handoff_time, "handoff_time"), zone)

    def shift_index(self, at_ms: int) -> int | None:
        """Which shift (0 = the first) covers ``at_ms``; None before the rotation starts."""
        if at_ms < self.start_ms:
            return None
        zone = self.zone
        days = (_wall(at_ms, zone).date() - _wall(self.start_ms, zone).date()).days
        k = max(0, days // self.length_days)
        while k >= 1 and self.handoff(k) > at_ms:
            k -= 1
        while self.handoff(k + 1) <= at_ms:
            k += 1
        return k

    def user_at(self, at_ms: int) -> str | None:
        k = self.shift_index(at_ms)
        return None if k is None else self.users[k % len(self.users)]

    def shift_at(self, at_ms: int) -> Shift | None:
        k = self.shift_index(at_ms)
        if k is None:
            return None
        start = self.start_ms if k == 0 else self.handoff(k)
        return Shift(self.users[k % len(self.users)], start, self.handoff(k + 1))

    def next_handoff_after(self, at_ms: int) -> int:
        """The next instant after ``at_ms`` where a shift begins (the start included)."""
        k = self.shift_index(at_ms)
        return self.start_ms if k is None else self.handoff(k + 1)


# ----------------------------------------------------------------- restrictions

@dataclass(frozen=True, slots=True)
class Restriction:
    """A weekly window [start_day start_time, end_day end_time) of local wall-clock time;
    days are 0 = Monday ... 6 = Sunday. It may wrap past Sunday midnight (Fri 18:00 ->
    Mon 08:00). ``daily`` and ``weekdays`` build the common sets of windows."""

    start_day: int
    start_time: str
    end_day: int
    end_time: str

    def __post_init__(self) -> None:
        for name in ("start_day", "end_day"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 6:
                raise ValidationError(f"{name} must be 0 (Monday) .. 6 (Sunday)", field=name)
        if (self.start_day, _hhmm(self.start_time, "start_time")) == (self.end_day, _hhmm(self.end_time, "end_time")):
            raise ValidationError("a restriction window cannot start where it ends", field="end_time")

    @classmethod
    def daily(cls, start: str, end: str, days=range(7)) -> tuple["Restriction", ...]:
        """The same window on each of ``days``; ``end <= start`` runs past midnight."""
        overnight = _hhmm(end, "end_time") <= _hhmm(start, "start_time")
        return tuple(cls(d, start, (d + 1) % 7 if overnight else d, end) for d in days)

    @classmethod
    def weekdays(cls, start: str, end: str) -> tuple["Restriction", ...]:
        return cls.daily(start, end, days=range(5))

    def contains(self, at_ms: int, zone: ZoneInfo) -> bool:
        start = _weekly_at_or_before(at_ms, self.start_day, _hhmm(self.start_time, "start_time"), zone)
        return at_ms < _weekly_after(start, self.end_day, _hhmm(self.end_time, "end_time"), zone)

    def last_edge_at_or_before(self, at_ms: int, zone: ZoneInfo) -> int:
        return max(_weekly_at_or_before(at_ms, self.start_day, _hhmm(self.start_time, "start_time"), zone),
                   _weekly_at_or_before(at_ms, self.end_day, _hhmm(self.end_time, "end_time"), zone))

    def next_edge_after(self, at_ms: int, zone: ZoneInfo) -> int:
        return min(_weekly_after(at_ms, self.start_day, _hhmm(self.start_time, "start_time"), zone),
                   _weekly_after(at_ms, self.end_day, _hhmm(self.end_time, "end_time"), zone))


# ------------------------------------------------------------- layers, schedule

@dataclass(frozen=True, slots=True)
class Layer:
    """A rotation, active only inside its restriction windows (always, when none)."""

    name: str
    rotation: Rotation
    restrictions: tuple[Restriction, ...] = ()

    def __post_init__(self) -> None:
        _require_text(self.name, "name")
        if not isinstance(self.rotation, Rotation):
            raise ValidationError("rotation must be a Rotation", field="rotation")
        object.__setattr__(self, "restrictions", tuple(self.restrictions))

    def applies_at(self, at_ms: int) -> bool:
        zone = self.rotation.zone
        return not self.restrictions or any(r.contains(at_ms, zone) for r in self.restrictions)

    def on_call_at(self, at_ms: int) -> str | None:
        user = self.rotation.user_at(at_ms)
        return user if user is not None and self.applies_at(at_ms) else None

    def last_change_at_or_before(self, at_ms: int) -> int | None:
        """The last instant at or before ``at_ms`` where this layer's answer may have
        changed; None before the rotation starts."""
        k = self.rotation.shift_index(at_ms)
        if k is None:
            return None
        zone = self.rotation.zone
        start = self.rotation.start_ms if k == 0 else self.rotation.handoff(k)
        return max([start] + [r.last_edge_at_or_before(at_ms, zone) for r in self.restrictions])

    def next_change_after(self, at_ms: int) -> int:
        """The next instant after ``at_ms`` where this layer's answer may change."""
        zone = self.rotation.zone
        return min([self.rotation.next_handoff_after(at_ms)] + [r.next_edge_after(at_ms, zone) for r in self.restrictions])


@dataclass(frozen=True, slots=True)
class Override:
    """``user`` takes the schedule over [start_ms, end_ms), whatever the layers say."""

    user: str
    start_ms: int
    end_ms: int

    def __post_init__(self) -> None:
        _require_text(self.user, "user")
        _require_ms(self.start_ms, "start_ms")
        _require_ms(self.end_ms, "end_ms")
        if self.end_ms <= self.start_ms:
            raise ValidationError("an override must end after it starts", field="end_ms")

    def covers(self, at_ms: int) -> bool:
        return self.start_ms <= at_ms < self.end_ms


@dataclass(frozen=True, slots=True)
class Schedule:
    id: str
    tenant: str
    name: str
    timezone: str = "UTC"
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = ()

    def __post_init__(self) -> None:
        for name in ("id", "tenant", "name"):
            _require_text(getattr(self, name), name)
        _zone(self.timezone)
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "overrides", tuple(self.overrides))
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise ValidationError("layers must be Layer values", field=f"layers[{i}]")
        for i, o in enumerate(self.overrides):
            if not isinstance(o, Override):
                raise ValidationError("overrides must be Override values", field=f"overrides[{i}]")

    def users(self) -> frozenset[str]:
        """Everyone who can ever be on call here."""
        return frozenset(u for layer in self.layers for u in layer.rotation.users) | {o.user for o in self.overrides}

    def on_call_at(self, at_ms: int) -> str | None:
        """The last override covering the instant; else the highest (last) layer with
        someone; else None (a coverage gap)."""
        for o in reversed(self.overrides):
            if o.covers(at_ms):
                return o.user
        for layer in reversed(self.layers):
            user = layer.on_call_at(at_ms)
            if user is not None:
                return user
        return None

    def _edges_after(self, at_ms: int) -> Iterator[int]:
        """Every instant after ``at_ms`` where some layer or override may change the
        answer, ascending, each once: the layers' edge sequences merged on a heap, so
        each edge is computed once (not every layer's again after each step)."""
        heap = [(layer.next_change_after(at_ms), i) for i, layer in enumerate(self.layers)]
        bounds = sorted({t for o in self.overrides for t in (o.start_ms, o.end_ms) if t > at_ms})
        heap += [(t, -1) for t in bounds]
        heapq.heapify(heap)
        last = None
        while heap:
            t, i = heapq.heappop(heap)
            if i >= 0:
                heapq.heappush(heap, (self.layers[i].next_change_after(t), i))
            if t != last:
                last = t
                yield t

    def next_handoff_after(self, at_ms: int, horizon_ms: int = DEFAULT_HORIZON_MS) -> int | None:
        """The first instant after ``at_ms`` where ``on_call_at`` names someone else (or
        nobody), within ``horizon_ms``; None when nothing changes in that time (a one-person
        schedule). The escalation workflow sleeps until then to re-resolve its targets."""
        current, limit = self.on_call_at(at_ms), at_ms + horizon_ms
        for t in self._edges_after(at_ms):
            if t > limit:
                return None
            if self.on_call_at(t) != current:
                return t
        return None

    def final_schedule(self, start_ms: int, end_ms: int) -> tuple[Shift, ...]:
        """The rendered schedule over [start_ms, end_ms): consecutive shifts, gaps included."""
        if end_ms <= start_ms:
            raise ValidationError("end_ms must be after start_ms", field="end_ms")
        out, begun, current = [], start_ms, self.on_call_at(start_ms)
        for t in self._edges_after(start_ms):
            if t >= end_ms:
                break
            user = self.on_call_at(t)
            if user != current:
                out.append(Shift(current, begun, t))
                begun, current = t, user
        out.append(Shift(current, begun, end_ms))
        return tuple(out)

    def now_and_next(self, at_ms: int, horizon_ms: int = DEFAULT_HORIZON_MS) -> tuple[Shift, Shift | None]:
        """The shift covering ``at_ms`` and the one after it. A shift's start is looked
        for up to ``horizon_ms`` back and its end as far ahead (clipped there when nothing
        changes: a one-person schedule); the next is None when nothing changes within the
        horizon."""
        if isinstance(horizon_ms, bool) or not isinstance(horizon_ms, int) or horizon_ms <= 0:
            raise ValidationError("horizon_ms must be a positive integer", field="horizon_ms")
        start = self._shift_start(at_ms, at_ms - horizon_ms)
        end = self.next_handoff_after(at_ms, horizon_ms)
        current = Shift(self.on_call_at(at_ms), start, at_ms + horizon_ms if end is None else end)
        if end is None:
            return current, None
        after = self.next_handoff_after(end, horizon_ms)
        return current, Shift(self.on_call_at(end), end, end + horizon_ms if after is None else after)

    def _last_edge_at_or_before(self, at_ms: int) -> int | None:
        edges = [e for layer in self.layers if (e := layer.last_change_at_or_before(at_ms)) is not None]
        edges += [t for o in self.overrides for t in (o.start_ms, o.end_ms) if t <= at_ms]
        return max(edges, default=None)

    def _shift_start(self, at_ms: int, floor_ms: int) -> int:
        """Where the run of ``on_call_at(at_ms)`` that covers ``at_ms`` began (walking
        back over the edges where it may have changed), not before ``floor_ms``."""
        current, t = self.on_call_at(at_ms), at_ms
        while (edge := self._last_edge_at_or_before(t)) is not None and edge > floor_ms:
            if self.on_call_at(edge - 1) != current:
                return edge
            t = edge - 1
        return floor_ms if edge is None or edge <= floor_ms else edge

    def shifts_of(self, users: frozenset[str], start_ms: int, end_ms: int) -> tuple[Shift, ...]:
        """The shifts over [start_ms, end_ms) where one of ``users`` (a person's id and
        username, say) is on call."""
        return tuple(s for s in self.final_schedule(start_ms, end_ms) if s.user in users)

    def handoffs(self, start_ms: int, end_ms: int) -> tuple["Handoff", ...]:
        """Every instant in [start_ms, end_ms) where the schedule passes from one person
        (or nobody) to another, with the shift that begins there."""
        out = []
        shifts = self.final_schedule(start_ms - 1, end_ms)
        for before, after in zip(shifts, shifts[1:]):
            if after.start_ms >= start_ms:
                out.append(Handoff(after.start_ms, before.user, after.user))
        return tuple(out)


class Handoff(NamedTuple):
    """At ``at_ms`` the schedule passes from ``outgoing`` to ``incoming`` (None: nobody)."""

    at_ms: int
    outgoing: str | None
    incoming: str | None
