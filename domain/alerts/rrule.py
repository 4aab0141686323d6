"""A subset of iCalendar's recurrence rules (RFC 5545 §3.3.10) for maintenance windows.

Understood: ``FREQ`` (DAILY, WEEKLY, MONTHLY), ``INTERVAL``, ``BYDAY`` (weekdays; with
an ordinal such as ``1SU`` or ``-1FR`` under MONTHLY), ``BYMONTHDAY`` (1..31 or -31..-1),
``COUNT`` and ``UNTIL`` (``YYYYMMDD`` meaning its midnight, ``YYYYMMDDTHHMMSS`` local, or
with ``Z`` for UTC).
Anything else (``BYSETPOS``, ``BYHOUR``, ``FREQ=YEARLY`` ...) is refused with the part
named, rather than read wrongly. Occurrences are local wall-clock datetimes from
``dtstart`` on (the time of day is ``dtstart``'s), as ``dateutil.rrule`` produces them
(the tests compare the two); dates a month lacks (the 31st of April) are skipped.
"""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from domain.errors import ValidationError

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY_RE = re.compile(r"^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_RE = re.compile(r"^(\d{8})(?:T(\d{6})(Z)?)?$")
MAX_INTERVAL = 1000
MAX_COUNT = 100_000
HORIZON_YEARS = 30  # no occurrence is looked for further than this after dtstart


class Freq(str, enum.Enum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


@dataclass(frozen=True, slots=True)
class RRule:
    freq: Freq
    interval: int = 1
    by_day: tuple[tuple[int, int], ...] = ()  # (ordinal or 0, weekday 0 = Monday)
    by_month_day: tuple[int, ...] = ()
    count: int | None = None
    until: datetime | None = None  # naive local, or aware (UTC) when given with Z

    @classmethod
    def parse(cls, text: str, field: str = "rrule") -> "RRule":
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("an RRULE such as FREQ=WEEKLY;BYDAY=SU is required", field=field)
        body = text.strip()
        if body.upper().startswith("RRULE:"):
            body = body[6:]
        parts: dict[str, str] = {}
        for part in body.split(";"):
            name, eq, value = part.partition("=")
            name = name.strip().upper()
            if not eq or not name or not value.strip():
                raise ValidationError(f"{part!r} is not NAME=VALUE", field=field)
            if name in parts:
                raise ValidationError(f"{name} given twice", field=field)
            parts[name] = value.strip().upper()
        unknown = sorted(set(parts) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL", "WKST"})
        if unknown:
            raise ValidationError(f"{', '.join(unknown)} is not supported here (FREQ, INTERVAL, BYDAY, BYMONTHDAY, "
                                  "COUNT and UNTIL are)", field=field)
        if parts.get("WKST", "MO") != "MO":
            raise ValidationError("only WKST=MO (weeks start on Monday) is supported", field=field)
        try:
            freq = Freq(parts.get("FREQ", ""))
        except ValueError:
            raise ValidationError("FREQ must be DAILY, WEEKLY or MONTHLY", field=field) from None
        interval = _int(parts.get("INTERVAL", "1"), "INTERVAL", 1, MAX_INTERVAL, field)
        count = _int(parts["COUNT"], "COUNT", 1, MAX_COUNT, field) if "COUNT" in parts else None
        until = _until(parts["UNTIL"], field) if "UNTIL" in parts else None
        if count is not None and until is not None:
            raise ValidationError("give COUNT or UNTIL, not both", field=field)
        by_day = tuple(_by_day(d, freq, field) for d in parts["BYDAY"].split(",")) if "BYDAY" in parts else ()
        by_month_day = ()
        if "BYMONTHDAY" in parts:
            if freq is Freq.WEEKLY:
                raise ValidationError("BYMONTHDAY does not go with FREQ=WEEKLY", field=field)
            by_month_day = tuple(_month_day(d, field) for d in parts["BYMONTHDAY"].split(","))
        return cls(freq, interval, tuple(sorted(set(by_day))), tuple(sorted(set(by_month_day))), count, until)

    def __str__(self) -> str:
        out = [f"FREQ={self.freq.value}"]
        if self.interval != 1:
            out.append(f"INTERVAL={self.interval}")
        if self.by_day:
            out.append("BYDAY=" + ",".join(f"{n or ''}{DAYS[d]}" for n, d in self.by_day))
        if self.by_month_day:
            out.append("BYMONTHDAY=" + ",".join(str(d) for d in self.by_month_day))
        if self.count is not None:
            out.append(f"COUNT={self.count}")
        if self.until is not None:
            suffix = "Z" if self.until.tzinfo is not None else ""
            out.append(f"UNTIL={self.until.strftime('%Y%m%dT%H%M%S')}{suffix}")
        return ";".join(out)

    # -- occurrences ------------------------------------------------------------------------

    def occurrences(self, dtstart: datetime, *, after: datetime | None = None) -> Iterator[datetime]:
        """Local (naive) start times, ascending, from ``dtstart``. With ``after`` (and no
        COUNT, which must count from the first) the periods before it are skipped."""
        emitted = 0
        for period in self._periods(dtstart, after if self.count is None else None):
            if period.year > dtstart.year + HORIZON_YEARS:
                return  # a rule no date satisfies (1MO that is also the 31st ...) ends here
            if period.year >= 9999:
                return
            for day in self._days(period, dtstart):
                moment = datetime.combine(day, dtstart.time())
                if moment < dtstart:
                    continue
                if self._beyond_until(moment):
                    return
                yield moment
                emitted += 1
                if self.count is not None and emitted >= self.count:
                    return

    def _beyond_until(self, moment: datetime) -> bool:
        if self.until is None:
            return False
        if self.until.tzinfo is not None:  # compared as UTC wall clock: the caller's tz decides the rest
            return moment > self.until.replace(tzinfo=None)
        return moment > self.until

    def _periods(self, dtstart: datetime, after: datetime | None) -> Iterator[date]:
        """The first day of each period (day, week from Monday, month) in turn."""
        first = dtstart.date()
        if self.freq is Freq.DAILY:
            skip = 0
            if after is not None and after.date() > first:
                skip = ((after.date() - first).days - 1) // self.interval
            day = first + timedelta(days=skip * self.interval)
            while True:
                yield day
                day += timedelta(days=self.interval)
        elif self.freq is Freq.WEEKLY:
            monday = first - timedelta(days=first.weekday())
            skip = 0
            if after is not None and after.date() > monday:
                skip = max(0, ((after.date() - monday).days // 7 - 1) // self.interval)
            week = monday + timedelta(weeks=skip * self.interval)
            while True:
                yield week
                week += timedelta(weeks=self.interval)
        else:
            index = first.year * 12 + first.month - 1
            if after is not None:
                later = after.year * 12 + after.month - 1
                index += max(0, (later - index - 1) // self.interval) * self.interval
            while True:
                yield date(index // 12, index % 12 + 1, 1)
                index += self.interval

    def _days(self, period: date, dtstart: datetime) -> list[date]:
        if self.freq is Freq.DAILY:
            ok = ((not self.by_day or period.weekday() in {d for _, d in self.by_day})
                  and (not self.by_month_day or _matches_month_day(period, self.by_month_day)))
            return [period] if ok else []
        if self.freq is Freq.WEEKLY:
            wanted = sorted({d for _, d in self.by_day}) if self.by_day else [dtstart.weekday()]
            return [period + timedelta(days=d) for d in wanted]
        length = calendar.monthrange(period.year, period.month)[1]
        month = [period.replace(day=n) for n in range(1, length + 1)]
        if not self.by_day and not self.by_month_day:
            return [d for d in month if d.day == dtstart.day]
        days = month
        if self.by_month_day:
            days = [d for d in days if _matches_month_day(d, self.by_month_day)]
        if self.by_day:
            days = [d for d in days if _matches_by_day(d, self.by_day, length)]
        return days


def _int(value: str, name: str, low: int, high: int, field: str) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise ValidationError(f"{name} must be a whole number in {low}..{high}", field=field)
    return int(value)


def _until(value: str, field: str) -> datetime:
    found = _UNTIL_RE.fullmatch(value)
    if found is None:
        raise ValidationError("UNTIL must be YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ", field=field)
    try:
        moment = datetime.strptime(found.group(1) + (found.group(2) or "000000"), "%Y%m%d%H%M%S")
    except ValueError:
        raise ValidationError(f"UNTIL {value!r} is not a date", field=field) from None
    return moment.replace(tzinfo=timezone.utc) if found.group(3) else moment


def _by_day(value: str, freq: Freq, field: str) -> tuple[int, int]:
    found = _BYDAY_RE.fullmatch(value.strip())
    if found is None:
        raise ValidationError(f"BYDAY {value!r}: use MO..SU, with an ordinal like 1SU or -1FR under MONTHLY",
                              field=field)
    ordinal = int(found.group(1)) if found.group(1) else 0
    if ordinal and freq is not Freq.MONTHLY:
        raise ValidationError("an ordinal BYDAY (like 1SU) needs FREQ=MONTHLY", field=field)
    return ordinal, DAYS.index(found.group(2))


def _month_day(value: str, field: str) -> int:
    try:
        day = int(value)
    except ValueError:
        day = 0
    if day == 0 or not -31 <= day <= 31:
        raise ValidationError(f"BYMONTHDAY {value!r} must be 1..31 or -31..-1", field=field)
    return day


def _matches_month_day(day: date, wanted: tuple[int, ...]) -> bool:
    length = calendar.monthrange(day.year, day.month)[1]
    return day.day in wanted or (day.day - length - 1) in wanted


def _matches_by_day(day: date, wanted: tuple[tuple[int, int], ...], length: int) -> bool:
    for ordinal, weekday in wanted:
        if day.weekday() != weekday:
            continue
        if ordinal == 0:
            return True
        nth = (day.day - 1) // 7 + 1
        nth_from_end = -((length - day.day) // 7 + 1)
        if ordinal in (nth, nth_from_end):
            return True
    return False
