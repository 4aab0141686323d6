"""Recurring jobs as Temporal Schedules on the dev server (the time-skipping test
server has no Schedules): created once, updated in place, triggered, removed; the
scheduled workflows run the compliance evaluation and open and close a maintenance
window."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from adapters.temporal.schedules import TemporalRecurringJobs
from services.recurring import RecurringService, compliance_job, maintenance_job
from tests.integration.temporal_support import temporal_stack

pytestmark = pytest.mark.integration


class Compliance:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def evaluate(self, tenant: str, at_ms: int) -> dict[str, Any]:
        self.calls.append(tenant)
        return {"tenant": tenant, "evaluated": 1}


async def until(check, timeout_s: float = 30):
    deadline = time.monotonic() + timeout_s
    while not (value := await check()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)
    return value


async def test_recurring_jobs_are_kept_as_schedules_and_run() -> None:
    compliance = Compliance()
    async with temporal_stack(compliance) as stack:
        jobs = TemporalRecurringJobs(stack.client, stack.task_queue)
        suffix = stack.task_queue
        hourly = compliance_job(f"acme-{suffix}", 3_600_000)
        window = maintenance_job("acme", f"db-{suffix}", "0 3 * * 0", 1_500, [{"name": "service", "value": "db"}],
                                 "ops", "weekly DB patching", timezone="Europe/Berlin")
        assert await RecurringService(jobs).ensure_all([hourly, window]) == [hourly.id, window.id]
        assert await RecurringService(jobs).ensure_all([hourly, window]) == []  # updated in place

        described = await jobs.describe(window.id)
        assert described["workflow"] == "MaintenanceWindowWorkflow" and described["note"] == "weekly DB patching"
        assert described["next_at"]  # on its calendar

        await jobs.trigger(hourly.id)
        await until(lambda: _ran(compliance))
        await jobs.trigger(window.id)
        ran = await until(lambda: _recent(jobs, window.id))
        result = await stack.client.get_workflow_handle(ran).result()
        silence = await stack.container.uow().run(lambda uow: uow.silences.get("acme", result["silence_id"]))

        assert await jobs.remove(hourly.id) and await jobs.remove(window.id)
        assert await jobs.describe(hourly.id) is None and not await jobs.remove(hourly.id)

    assert compliance.calls == [f"acme-{suffix}"]
    assert silence is not None and silence.comment == "weekly DB patching"
    assert not silence.is_active(result["closed_at_ms"])  # opened, then closed after its 1.5 s


async def _ran(compliance: Compliance) -> bool:
    return bool(compliance.calls)


async def _recent(jobs: TemporalRecurringJobs, job_id: str) -> str | None:
    runs = (await jobs.describe(job_id))["recent_runs"]
    return runs[0] if runs else None
