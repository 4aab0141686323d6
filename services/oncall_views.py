"""Who is on call: now and next per schedule, the shifts of a range, a person's shifts
across every schedule (what ``/api/v1/oncall``, the calendar feed and ``observer-eye
oncall now`` show). Reads only: everything is computed from the stored schedules by the
domain (``Schedule.now_and_next``, ``final_schedule``), time zones and DST included.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from domain.errors import ValidationError
from domain.incidents.oncall import Schedule, Shift
from services.oncall_config import OnCallConfigService

DAY_MS = 86_400_000
MAX_RANGE_MS = 400 * DAY_MS
"""The longest range one request renders (a year and a bit, for a yearly calendar)."""
NEXT_HORIZON_MS = 90 * DAY_MS


def _iso(at_ms: int, zone: str) -> str:
    return datetime.fromtimestamp(at_ms / 1000, tz=timezone.utc).astimezone(ZoneInfo(zone)).isoformat()


def shift_view(shift: Shift | None, zone: str) -> dict[str, Any] | None:
    if shift is None:
        return None
    return {"user": shift.user, "start_ms": shift.start_ms, "end_ms": shift.end_ms,
            "start": _iso(shift.start_ms, zone), "end": _iso(shift.end_ms, zone)}


def check_range(start_ms: int, end_ms: int) -> None:
    if end_ms <= start_ms:
        raise ValidationError("end must be after start", field="end")
    if end_ms - start_ms > MAX_RANGE_MS:
        raise ValidationError(f"a range spans at most {MAX_RANGE_MS // DAY_MS} days", field="end")


class OnCallViews:
    def __init__(self, config: OnCallConfigService) -> None:
        self._config = config

    async def now_and_next(self, tenant: str, schedule_id: str, at_ms: int) -> dict[str, Any]:
        schedule = (await self._config.schedule(tenant, schedule_id)).schedule
        return self._now_and_next(schedule, at_ms)

    @staticmethod
    def _now_and_next(schedule: Schedule, at_ms: int) -> dict[str, Any]:
        current, nxt = schedule.now_and_next(at_ms, NEXT_HORIZON_MS)
        return {"schedule": schedule.id, "name": schedule.name, "timezone": schedule.timezone, "at_ms": at_ms,
                "current": shift_view(current, schedule.timezone), "next": shift_view(nxt, schedule.timezone)}

    async def shifts(self, tenant: str, schedule_id: str, start_ms: int, end_ms: int) -> dict[str, Any]:
        check_range(start_ms, end_ms)
        schedule = (await self._config.schedule(tenant, schedule_id)).schedule
        return {"schedule": schedule.id, "timezone": schedule.timezone, "start_ms": start_ms, "end_ms": end_ms,
                "shifts": [shift_view(s, schedule.timezone) for s in schedule.final_schedule(start_ms, end_ms)]}

    async def everyone(self, tenant: str, at_ms: int) -> list[dict[str, Any]]:
        """Now and next for every schedule of the tenant."""
        snapshot = await self._config.snapshot(tenant)
        return [self._now_and_next(d.schedule, at_ms) for _, d in sorted(snapshot.schedules.items())]

    async def of_user(self, tenant: str, user: str, at_ms: int) -> list[dict[str, Any]]:
        """Every schedule the person is in: whether they are on call at ``at_ms`` and
        their current or next shift (within 90 days)."""
        names = await self._config.identities(tenant, user)
        snapshot = await self._config.snapshot(tenant)
        out = []
        for schedule_id, doc in sorted(snapshot.schedules.items()):
            s = doc.schedule
            if not names & s.users():
                continue
            mine = s.shifts_of(names, at_ms, at_ms + NEXT_HORIZON_MS)
            on_now = s.on_call_at(at_ms) in names
            current = s.now_and_next(at_ms, NEXT_HORIZON_MS)[0] if on_now else None
            upcoming = next((x for x in mine if x.start_ms > at_ms or not on_now), None)
            out.append({"schedule": schedule_id, "name": s.name, "timezone": s.timezone, "on_call": on_now,
                        "current": shift_view(current, s.timezone), "next": shift_view(upcoming, s.timezone)})
        return out

    async def calendar(self, tenant: str, user: str, start_ms: int, end_ms: int) -> list[tuple[Schedule, Shift]]:
        """The person's shifts over [start_ms, end_ms) in every schedule, by start."""
        check_range(start_ms, end_ms)
        names = await self._config.identities(tenant, user)
        snapshot = await self._config.snapshot(tenant)
        found = [(d.schedule, s) for _, d in sorted(snapshot.schedules.items()) if names & d.schedule.users()
                 for s in d.schedule.shifts_of(names, start_ms, end_ms)]
        return sorted(found, key=lambda pair: (pair[1].start_ms, pair[0].id))
