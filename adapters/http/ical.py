"""On-call shifts as an iCalendar document (RFC 5545), with the ``icalendar`` package.

Every event is in UTC (``DTSTART:...Z``): a calendar app shows it in the reader's own
zone, and no VTIMEZONE has to be carried. Each shift's UID is stable (schedule, start),
so a refresh updates an event instead of duplicating it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from icalendar import Calendar, Event

from domain.incidents.oncall import Schedule, Shift

MEDIA_TYPE = "text/calendar; charset=utf-8"


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def shifts_calendar(name: str, shifts: Sequence[tuple[Schedule, Shift]], now_ms: int) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Observer-Eye//on call//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = _utc(now_ms)
    for schedule, shift in shifts:
        event = Event()
        event.add("uid", f"{schedule.id}-{shift.start_ms}@{schedule.tenant}.observer-eye")
        event.add("dtstamp", stamp)
        event.add("dtstart", _utc(shift.start_ms))
        event.add("dtend", _utc(shift.end_ms))
        event.add("summary", f"On call: {schedule.name}")
        event.add("description", f"{shift.user} is on call for schedule {schedule.id} ({schedule.timezone}).")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
