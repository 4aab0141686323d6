"""``ports.schedules.RecurringJobs`` on Temporal Schedules.

A job is a schedule with the job's id that starts its workflow on an interval or a
cron calendar; an overlapping run is skipped (a compliance evaluation or maintenance
window still going is never doubled). ``ensure`` creates the schedule or updates it to
the given definition, so calling it at every worker start is safe.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client, Schedule, ScheduleActionStartWorkflow, ScheduleAlreadyRunningError, ScheduleIntervalSpec,
    ScheduleOverlapPolicy, SchedulePolicy, ScheduleSpec, ScheduleState, ScheduleUpdate,
)
from temporalio.service import RPCError, RPCStatusCode

from adapters.temporal.connection import TemporalConnection
from ports.schedules import RecurringJob


class TemporalRecurringJobs:
    def __init__(self, connection: TemporalConnection | Client, task_queue: str = "observer-eye") -> None:
        self._connection = connection
        self.task_queue = task_queue

    async def _client(self) -> Client:
        c = self._connection
        return c if isinstance(c, Client) else await c.client()

    def schedule(self, job: RecurringJob) -> Schedule:
        if job.every_ms is not None:
            spec = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(milliseconds=job.every_ms))])
        else:
            spec = ScheduleSpec(cron_expressions=[job.cron], time_zone_name=job.timezone)
        return Schedule(
            action=ScheduleActionStartWorkflow(job.workflow, args=list(job.args), id=f"{job.id}.run",
                                               task_queue=self.task_queue),
            spec=spec, policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP), state=ScheduleState(note=job.note),
        )

    async def ensure(self, job: RecurringJob) -> bool:
        client = await self._client()
        schedule = self.schedule(job)
        try:
            await client.create_schedule(job.id, schedule)
            return True
        except ScheduleAlreadyRunningError:
            await client.get_schedule_handle(job.id).update(lambda _: ScheduleUpdate(schedule=schedule))
            return False

    async def remove(self, job_id: str) -> bool:
        try:
            await (await self._client()).get_schedule_handle(job_id).delete()
            return True
        except RPCError as e:
            if e.status == RPCStatusCode.NOT_FOUND:
                return False
            raise

    async def trigger(self, job_id: str) -> None:
        await (await self._client()).get_schedule_handle(job_id).trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)

    async def describe(self, job_id: str) -> dict[str, Any] | None:
        try:
            d = await (await self._client()).get_schedule_handle(job_id).describe()
        except RPCError as e:
            if e.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        action = d.schedule.action
        return {
            "id": d.id, "workflow": getattr(action, "workflow", None), "paused": d.schedule.state.paused,
            "note": d.schedule.state.note, "actions_taken": d.info.num_actions,
            "recent_runs": [getattr(a.action, "workflow_id", None) for a in d.info.recent_actions],
            "next_at": [t.isoformat() for t in d.info.next_action_times[:3]],
        }
