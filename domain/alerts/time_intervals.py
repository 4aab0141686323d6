"""Time intervals (Alertmanager's ``time_intervals``): named sets of times, weekdays,
days of the month, months and years, in a time zone, that mute a route's notifications
(``mute_time_intervals``) or are the only times it notifies (``active_time_intervals``).

A named interval holds while *any* of its ranges holds; a range holds when every field
it sets matches (an unset field matches always):

* ``times``: ``start_time``–``end_time`` as ``HH:MM``, start inclusive, end exclusive
  (``24:00`` is the end of the day);
* ``weekdays``: ``monday`` … ``sunday``, or ranges ``monday:friday``;
* ``days_of_month``: 1–31, or -1 (the last day) … -31, or ranges ``1:5``, ``-3:-1``;
  a range is clamped to the month, as Alertmanager does (``30:31`` holds no day of February);
* ``months``: 1–12 or ``january`` …, or ranges; ``years``: ``2026`` or ``2026:2028``;
* ``location``: an IANA time zone (default UTC), in which all of the above are read.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import ValidationError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
RANGE_FIELDS = ("times", "weekdays", "days_of_month", "months", "years", "location")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_TIME_RE = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def validate_interval_name(name: Any, where: str = "name") -> str:
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ValidationError("a time interval name is 1-128 of [A-Za-z0-9_.:-]", field=where)
    return name


def _minutes(value: Any, where: str) -> int:
    found = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise ValidationError("must be a time of day like 09:30 (24:00 ends the day)", field=where)
    total = int(found.group(1)) * 60 + int(found.group(2))
    if total > 24 * 60:
        raise ValidationError("must be at most 24:00", field=where)
    return total


def _number(text: str, names: Sequence[str], lo: int, hi: int, where: str) -> int:
    text = text.strip().lower()
    if text in names:
        return names.index(text) + lo
    try:
        number = int(text)
    except ValueError:
        choices = f"{names[0]} … {names[-1]} or " if names else ""
        raise ValidationError(f"{text!r} is not one of {choices}{lo}…{hi}", field=where) from None
    if not lo <= number <= hi or (lo < 0 and number == 0):
        raise ValidationError(f"{number} is outside {lo}…{hi}", field=where)
    return number


def _ranges(value: Any, names: Sequence[str], lo: int, hi: int, where: str) -> tuple[tuple[int, int], ...]:
    if not isinstance(value, list) or not value:
        raise ValidationError("must be a non-empty list", field=where)
    out = []
    for i, part in enumerate(value):
        at = f"{where}[{i}]"
        if isinstance(part, int) and not isinstance(part, bool):
            part = str(part)
        if not isinstance(part, str) or not part:
            raise ValidationError("must be a value or a range like a:b", field=at)
        first, sep, last = part.partition(":")
        start = _number(first, names, lo, hi, at)
        end = _number(last, names, lo, hi, at) if sep else start
        if (start < 0) != (end < 0) and lo < 0:
            raise ValidationError("a range of days is either from the start (1:5) or from the end (-3:-1)", field=at)
        if end < start:
            raise ValidationError(f"the range {part!r} ends before it starts", field=at)
        out.append((start, end))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class TimeRange:
    """One range of a named interval; ``None`` for a field it does not set."""

    times: tuple[tuple[int, int], ...] | None = None  # minutes of the day, [start, end)
    weekdays: tuple[tuple[int, int], ...] | None = None  # 0 = monday
    days_of_month: tuple[tuple[int, int], ...] | None = None
    months: tuple[tuple[int, int], ...] | None = None
    years: tuple[tuple[int, int], ...] | None = None
    location: str = "UTC"
    _zone: ZoneInfo | timezone = field(default=timezone.utc, repr=False, compare=False)

    @classmethod
    def from_dict(cls, doc: Any, where: str) -> "TimeRange":
        if not isinstance(doc, Mapping):
            raise ValidationError("must be an object", field=where)
        unknown = sorted(set(doc) - set(RANGE_FIELDS))
        if unknown:
            raise ValidationError(f"unknown field {unknown[0]!r}; expected one of {', '.join(RANGE_FIELDS)}",
                                  field=f"{where}.{unknown[0]}")
        times = None
        if doc.get("times") is not None:
            if not isinstance(doc["times"], list) or not doc["times"]:
                raise ValidationError("must be a non-empty list of {start_time, end_time}", field=f"{where}.times")
            spans = []
            for i, t in enumerate(doc["times"]):
                at = f"{where}.times[{i}]"
                if not isinstance(t, Mapping) or set(t) != {"start_time", "end_time"}:
                    raise ValidationError("must be {start_time, end_time}", field=at)
                start, end = _minutes(t["start_time"], f"{at}.start_time"), _minutes(t["end_time"], f"{at}.end_time")
                if end <= start:
                    raise ValidationError("end_time must be after start_time", field=f"{at}.end_time")
                spans.append((start, end))
            times = tuple(spans)
        location = doc.get("location", "UTC")
        try:
            if not isinstance(location, str) or location == "Local":
                raise ValueError(location)
            zone: ZoneInfo | timezone = timezone.utc if location == "UTC" else ZoneInfo(location)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValidationError(f"{location!r} is not an IANA time zone like Europe/Berlin", field=f"{where}.location") from None

        def opt(name: str, names: Sequence[str], lo: int, hi: int) -> tuple[tuple[int, int], ...] | None:
            return None if doc.get(name) is None else _ranges(doc[name], names, lo, hi, f"{where}.{name}")

        weekdays = opt("weekdays", WEEKDAYS, 0, 6)
        if weekdays is not None:  # names count from 0; numbers are not Alertmanager's, names only
            for i, part in enumerate(doc["weekdays"]):
                if not isinstance(part, str) or any(p.strip().lower() not in WEEKDAYS for p in part.split(":")):
                    raise ValidationError("weekdays are names: monday … sunday, or ranges like monday:friday",
                                          field=f"{where}.weekdays[{i}]")
        return cls(times, weekdays, opt("days_of_month", (), -31, 31), opt("months", MONTHS, 1, 12),
                   opt("years", (), 1, 9999), location, zone)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.times is not None:
            out["times"] = [{"start_time": f"{s // 60:02d}:{s % 60:02d}", "end_time": f"{e // 60:02d}:{e % 60:02d}"}
                            for s, e in self.times]
        if self.weekdays is not None:
            out["weekdays"] = [_span(s, e, lambda n: WEEKDAYS[n]) for s, e in self.weekdays]
        if self.days_of_month is not None:
            out["days_of_month"] = [_span(s, e, str) for s, e in self.days_of_month]
        if self.months is not None:
            out["months"] = [_span(s, e, lambda n: MONTHS[n - 1]) for s, e in self.months]
        if self.years is not None:
            out["years"] = [_span(s, e, str) for s, e in self.years]
        if self.location != "UTC":
            out["location"] = self.location
        return out

    def contains(self, at_ms: int) -> bool:
        t = datetime.fromtimestamp(at_ms / 1000, tz=self._zone)
        if self.times is not None and not any(s <= t.hour * 60 + t.minute < e for s, e in self.times):
            return False
        if self.weekdays is not None and not any(s <= t.weekday() <= e for s, e in self.weekdays):
            return False
        if self.days_of_month is not None:
            length = calendar.monthrange(t.year, t.month)[1]

            def span(s: int, e: int) -> tuple[int, int]:  # negative counts from the end; clamped to the month
                s, e = (length + 1 + s if s < 0 else s), (length + 1 + e if e < 0 else e)
                return max(s, 1), min(e, length)

            if not any(lo <= t.day <= hi for lo, hi in (span(s, e) for s, e in self.days_of_month)):
                return False
        if self.months is not None and not any(s <= t.month <= e for s, e in self.months):
            return False
        if self.years is not None and not any(s <= t.year <= e for s, e in self.years):
            return False
        return True


def _span(start: int, end: int, name) -> str:
    return name(start) if start == end else f"{name(start)}:{name(end)}"


@dataclass(frozen=True, slots=True)
class TimeInterval:
    name: str
    ranges: tuple[TimeRange, ...]

    @classmethod
    def from_dict(cls, doc: Any, where: str = "") -> "TimeInterval":
        prefix = f"{where}." if where else ""
        if not isinstance(doc, Mapping):
            raise ValidationError("must be an object", field=where or None)
        unknown = sorted(set(doc) - {"name", "time_intervals"})
        if unknown:
            raise ValidationError(f"unknown field {unknown[0]!r}; expected name, time_intervals", field=prefix + unknown[0])
        name = validate_interval_name(doc.get("name"), prefix + "name")
        ranges = doc.get("time_intervals")
        if not isinstance(ranges, list):
            raise ValidationError("must be a list of ranges (times, weekdays, days_of_month, months, years, location)",
                                  field=prefix + "time_intervals")
        return cls(name, tuple(TimeRange.from_dict(r, f"{prefix}time_intervals[{i}]") for i, r in enumerate(ranges)))

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "time_intervals": [r.as_dict() for r in self.ranges]}

    def contains(self, at_ms: int) -> bool:
        """Whether ``at_ms`` falls in any of the ranges (an interval with none never holds)."""
        return any(r.contains(at_ms) for r in self.ranges)
