"""Every workflow and activity a worker registers, in one place (the worker
entrypoint, the tests and the replayer use the same lists)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflows.incident.activities import IncidentActivities, NotifyActivities
from workflows.incident.workflow import IncidentWorkflow
from workflows.oncall import OnCallActivities, OnCallHandoffWorkflow
from workflows.postmortem.activities import PostmortemActivities
from workflows.postmortem.workflow import PostmortemWorkflow
from workflows.remediation.activities import RemediationActivities
from workflows.remediation.workflow import RemediationWorkflow
from workflows.schedules import ComplianceEvaluationWorkflow, MaintenanceWindowWorkflow, ScheduledActivities

WORKFLOWS: list[type] = [
    IncidentWorkflow, RemediationWorkflow, PostmortemWorkflow, ComplianceEvaluationWorkflow, MaintenanceWindowWorkflow,
]
WORKFLOWS.append(OnCallHandoffWorkflow)


@dataclass
class ActivityImpls:
    incident: IncidentActivities
    notify: NotifyActivities
    remediation: RemediationActivities
    postmortem: PostmortemActivities
    scheduled: ScheduledActivities
    oncall: OnCallActivities | None = None  # hand-off notifications (workflows/oncall.py)

    def all(self) -> list[Any]:
        """The bound activity methods to register."""
        return [
            self.incident.load, self.incident.freeze_escalation, self.incident.page, self.incident.persist,
            self.notify.notify, self.remediation.replicas, self.remediation.run_step,
            self.postmortem.draft, self.postmortem.reassign, self.postmortem.publish, self.postmortem.cancel,
            self.scheduled.evaluate_compliance, self.scheduled.open_window, self.scheduled.close_window,
        ] + ([self.oncall.notify_handoffs] if self.oncall is not None else [])
