"""The remediation workflow's activities: one port call each, errors classified.

A failure the port calls transient is raised as a retryable ``StepFailed``
application error, so the step's retry policy applies; a permanent one is raised
non-retryable and the workflow compensates at once.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.remediation import RemediationService, StepFailed, StepOutput, StepRequest


class RemediationActivities:
    def __init__(self, service: RemediationService) -> None:
        self._service = service

    @activity.defn(name="remediation.replicas")
    async def replicas(self, namespace: str, deployment: str) -> int:
        try:
            return await self._service.replicas(namespace, deployment)
        except StepFailed as e:
            raise ApplicationError(str(e), type="StepFailed", non_retryable=not e.retryable) from e

    @activity.defn(name="remediation.run_step")
    async def run_step(self, req: StepRequest) -> StepOutput:
        try:
            return await self._service.run(req)
        except StepFailed as e:
            raise ApplicationError(str(e), type="StepFailed", non_retryable=not e.retryable) from e
