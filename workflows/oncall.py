"""``OnCallHandoffWorkflow``: notify every on-call hand-off when it happens.

A Temporal Schedule (``services.recurring.oncall_handoff_job``) starts one run every
``every_ms``. A run covers [start - every_ms, start + every_ms]: first it notifies the
hand-offs since the previous period began (a late or skipped run loses none), then it
sleeps on durable timers until each next hand-off, notifying as it goes, and ends past
its window. Overlapping runs are harmless: each notification's key is the hand-off's
(services/oncall_handoffs.py), so nobody is told twice. It re-reads the schedules at
least every ``recheck_ms`` (default ``RECHECK``) so an override made meanwhile is not slept through. Hand-off
instants come from the schedules' time zones (zoneinfo), so the timer of a 09:00
Europe/Berlin hand-off fires at 08:00 UTC in winter and 07:00 UTC in summer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from services.oncall_handoffs import HandoffNotifier
    from workflows.common import PERSIST, now_ms

HANDOFF_WORKFLOW = "OnCallHandoffWorkflow"
RECHECK = timedelta(minutes=5)


class OnCallActivities:
    def __init__(self, handoffs: HandoffNotifier) -> None:
        self._handoffs = handoffs

    @activity.defn(name="oncall.notify_handoffs")
    async def notify_handoffs(self, start_ms: int, end_ms: int, horizon_ms: int) -> dict[str, Any]:
        return (await self._handoffs.notify_due(start_ms, end_ms, horizon_ms)).as_dict()


@workflow.defn(name=HANDOFF_WORKFLOW)
class OnCallHandoffWorkflow:
    def __init__(self) -> None:
        self._notified = 0
        self._covered_to_ms: int | None = None

    @workflow.run
    async def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        every = int(spec["every_ms"])
        recheck = timedelta(milliseconds=int(spec.get("recheck_ms", RECHECK // timedelta(milliseconds=1))))
        start = now_ms()
        cursor, last = start - every, start + every
        while True:
            now = now_ms()
            report = await workflow.execute_activity_method(
                OnCallActivities.notify_handoffs, args=[cursor, min(now, last), last - now], **PERSIST)
            self._notified += report["notified"]
            self._covered_to_ms = cursor = min(now, last) + 1
            if now >= last:
                break
            nxt = report["next_at_ms"]
            wake = last if nxt is None else min(nxt, last)
            await workflow.sleep(min(timedelta(milliseconds=max(1, wake - now)), recheck))
        return {"notified": self._notified, "covered_from_ms": start - every, "covered_to_ms": last}

    @workflow.query
    def progress(self) -> dict[str, Any]:
        return {"notified": self._notified, "covered_to_ms": self._covered_to_ms}
