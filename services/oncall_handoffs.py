"""Notifications at hand-off: when a schedule passes from one person to another, the
incoming person is told they are on call (until when) and the outgoing one that their
shift ended, through the one notification path (``services.notifications``: the same
ledger, retries and audit as every page).

``OnCallHandoffWorkflow`` (workflows/oncall.py) calls ``notify_due`` on its timers; the
hand-offs are recomputed from the stored schedules each time, so an override added a
minute ago counts. Each notification's key names the tenant, schedule, instant and
direction, so a retried activity, a replayed workflow or two overlapping runs never tell
anyone twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from domain.incidents.oncall import Handoff, Schedule
from ports.clock import Clock
from ports.repositories import UnitOfWorkRunner
from services.delivery_jobs import UserMessage
from services.notifications import NotificationService
from services.oncall_config import OnCallConfigService

log = logging.getLogger(__name__)


def _local(at_ms: int, zone: str) -> str:
    return datetime.fromtimestamp(at_ms / 1000, tz=timezone.utc).astimezone(ZoneInfo(zone)).strftime(
        "%Y-%m-%d %H:%M %Z")


def handoff_messages(schedule: Schedule, handoff: Handoff, until_ms: int | None) -> list[UserMessage]:
    """What the incoming and the outgoing person are told (nobody for a gap's side)."""
    zone, at = schedule.timezone, handoff.at_ms
    key = f"oncall-handoff/{schedule.tenant}/{schedule.id}/{at}"
    payload: dict[str, Any] = {"schedule": schedule.id, "at_ms": at, "outgoing": handoff.outgoing,
                               "incoming": handoff.incoming, "until_ms": until_ms}
    out = []
    if handoff.incoming is not None:
        until = f" until {_local(until_ms, zone)}" if until_ms is not None else ""
        out.append(UserMessage(
            schedule.tenant, handoff.incoming, f"{key}/in", f"You are on call: {schedule.name}",
            f"From {_local(at, zone)}{until} you are on call for {schedule.name} ({schedule.id}), "
            f"taking over from {handoff.outgoing or 'nobody'}.", {**payload, "direction": "incoming"}))
    if handoff.outgoing is not None:
        out.append(UserMessage(
            schedule.tenant, handoff.outgoing, f"{key}/out", f"Your on-call shift ended: {schedule.name}",
            f"At {_local(at, zone)} your shift on {schedule.name} ({schedule.id}) ended; "
            f"{handoff.incoming or 'nobody'} is on call now.", {**payload, "direction": "outgoing"}))
    return out


@dataclass(frozen=True, slots=True)
class HandoffReport:
    notified: int
    next_at_ms: int | None  # the next hand-off after the range, within the horizon

    def as_dict(self) -> dict[str, Any]:
        return {"notified": self.notified, "next_at_ms": self.next_at_ms}


class HandoffNotifier:
    def __init__(self, config: OnCallConfigService, uow: UnitOfWorkRunner, notifications: NotificationService) -> None:
        self._config = config
        self._uow = uow
        self._notifications = notifications

    async def notify_due(self, start_ms: int, end_ms: int, horizon_ms: int) -> HandoffReport:
        """Notify every hand-off in [start_ms, end_ms] of every tenant's schedules; say
        when the next one after ``end_ms`` is (looking ``horizon_ms`` ahead)."""
        tenants = await self._uow.run(lambda u: [t.id for t in u.tenants.list()])
        notified, upcoming = 0, []
        for tenant in tenants:
            for doc in (await self._config.snapshot(tenant)).schedules.values():
                s = doc.schedule
                for handoff in s.handoffs(start_ms, end_ms + 1):
                    until = s.next_handoff_after(handoff.at_ms)
                    for message in handoff_messages(s, handoff, until):
                        await self._notifications.queue(message.job())
                        notified += 1
                if (nxt := s.next_handoff_after(end_ms, horizon_ms)) is not None:
                    upcoming.append(nxt)
        return HandoffReport(notified, min(upcoming, default=None))

    async def run(self, clock: Clock, stop: asyncio.Event, every_s: float = 60.0) -> None:
        """Without Temporal, the embedded runtime's stand-in for the workflow: notify the
        hand-offs since the last look every ``every_s`` (at most that late) until ``stop``.
        A failed look is logged and retried over the same range next time."""
        cursor = clock.now_ms()
        while not stop.is_set():
            now = clock.now_ms()
            try:
                await self.notify_due(cursor, now, 1)
                cursor = now + 1
            except Exception:  # noqa: BLE001 - the loop must outlive one bad look
                log.exception("notifying on-call hand-offs failed; trying again in %ss", every_s)
            try:
                await asyncio.wait_for(stop.wait(), every_s)
            except asyncio.TimeoutError:
                pass
