"""The recurring jobs Observer-Eye keeps scheduled, and keeping them in place.

Job ids are stable names, so ``ensure`` at every worker start creates a job once and
afterwards only brings its definition up to date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ports.schedules import RecurringJob, RecurringJobs

COMPLIANCE_WORKFLOW = "ComplianceEvaluationWorkflow"
MAINTENANCE_WORKFLOW = "MaintenanceWindowWorkflow"
ONCALL_HANDOFF_WORKFLOW = "OnCallHandoffWorkflow"


def compliance_job(tenant: str, every_ms: int) -> RecurringJob:
    return RecurringJob(id=f"compliance-evaluation.{tenant}", workflow=COMPLIANCE_WORKFLOW, args=(tenant,),
                        every_ms=every_ms, note=f"evaluate the compliance controls of {tenant}")


def maintenance_job(tenant: str, window_id: str, cron: str, duration_ms: int, matchers: Sequence[Mapping[str, Any]],
                    created_by: str, comment: str = "", timezone: str = "UTC") -> RecurringJob:
    """Open a maintenance window at every ``cron`` instant for ``duration_ms``."""
    spec = {"tenant": tenant, "window_id": window_id, "duration_ms": duration_ms,
            "matchers": [dict(m) for m in matchers], "created_by": created_by, "comment": comment}
    return RecurringJob(id=f"maintenance.{tenant}.{window_id}", workflow=MAINTENANCE_WORKFLOW, args=(spec,),
                        cron=cron, timezone=timezone, note=comment or f"maintenance window {window_id}")


def oncall_handoff_job(every_ms: int = 3_600_000) -> RecurringJob:
    """Notify on-call hand-offs of every tenant (workflows/oncall.py): one run per period."""
    return RecurringJob(id="oncall-handoffs", workflow=ONCALL_HANDOFF_WORKFLOW, args=({"every_ms": every_ms},),
                        every_ms=every_ms, note="tell people when their on-call shift starts and ends")


class RecurringService:
    def __init__(self, jobs: RecurringJobs) -> None:
        self._jobs = jobs

    async def ensure_all(self, jobs: Sequence[RecurringJob]) -> list[str]:
        """Create or update every job; the ids that were newly created."""
        return [job.id for job in jobs if await self._jobs.ensure(job)]
