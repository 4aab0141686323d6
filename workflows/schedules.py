"""Workflows started by Temporal Schedules (``services.recurring`` defines the jobs).

``ComplianceEvaluationWorkflow`` runs the compliance evaluation of one tenant each
time its schedule fires. ``MaintenanceWindowWorkflow`` is one occurrence of a
recurring maintenance window: open it (a silence over its matchers), sleep on a
durable timer for its duration, close it. Its occurrence id comes from the workflow's
own start time, so a retried "open" finds the silence it made and a worker restart in
the middle neither loses the close nor opens the window twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from services.maintenance import MaintenanceService
    from workflows.common import PERSIST, now_ms


class ComplianceEvaluator(Protocol):
    async def evaluate(self, tenant: str, at_ms: int) -> dict[str, Any]:
        """Evaluate the tenant's controls now; a summary of the outcome."""
        ...


class ScheduledActivities:
    def __init__(self, compliance: ComplianceEvaluator, maintenance: MaintenanceService) -> None:
        self._compliance = compliance
        self._maintenance = maintenance

    @activity.defn(name="compliance.evaluate")
    async def evaluate_compliance(self, tenant: str, at_ms: int) -> dict[str, Any]:
        return await self._compliance.evaluate(tenant, at_ms)

    @activity.defn(name="maintenance.open")
    async def open_window(self, spec: dict[str, Any], occurrence_ms: int) -> str:
        return await self._maintenance.open_window(
            spec["tenant"], spec["window_id"], occurrence_ms, occurrence_ms + spec["duration_ms"], spec["matchers"],
            spec.get("created_by", "schedule"), spec.get("comment", ""))

    @activity.defn(name="maintenance.close")
    async def close_window(self, tenant: str, silence_id: str, at_ms: int) -> bool:
        return await self._maintenance.close_window(tenant, silence_id, at_ms)


@workflow.defn(name="ComplianceEvaluationWorkflow")
class ComplianceEvaluationWorkflow:
    @workflow.run
    async def run(self, tenant: str) -> dict[str, Any]:
        return await workflow.execute_activity_method(
            ScheduledActivities.evaluate_compliance, args=[tenant, now_ms()],
            start_to_close_timeout=timedelta(minutes=10), retry_policy=PERSIST["retry_policy"])


@workflow.defn(name="MaintenanceWindowWorkflow")
class MaintenanceWindowWorkflow:
    def __init__(self) -> None:
        self._silence: str | None = None
        self._closed = False

    @workflow.run
    async def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        occurrence = int(workflow.info().start_time.timestamp() * 1000)
        self._silence = await workflow.execute_activity_method(
            ScheduledActivities.open_window, args=[spec, occurrence], **PERSIST)
        await workflow.sleep(timedelta(milliseconds=max(0, occurrence + spec["duration_ms"] - now_ms())))
        self._closed = await workflow.execute_activity_method(
            ScheduledActivities.close_window, args=[spec["tenant"], self._silence, now_ms()], **PERSIST)
        return {"silence_id": self._silence, "opened_at_ms": occurrence, "closed_at_ms": now_ms()}

    @workflow.query
    def window(self) -> dict[str, Any]:
        return {"silence_id": self._silence, "closed": self._closed}
