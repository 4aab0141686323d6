"""What the workflows share: names, activity options, time, and error translation.

Domain errors cross the workflow boundary as ``ApplicationError`` whose ``type`` is the
domain exception's class name and whose first detail is a dict of its fields; the
Temporal client adapter turns them back into the same domain exceptions, so the REST
API answers a refused update exactly as it answers a refused local change (409/422).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.errors import Conflict, InvalidTransition, NotFound, ValidationError

TASK_QUEUE = "observer-eye"
INCIDENT_WORKFLOW = "IncidentWorkflow"
REMEDIATION_WORKFLOW = "RemediationWorkflow"
POSTMORTEM_WORKFLOW = "PostmortemWorkflow"

# Quick, idempotent calls (persist, notify): retried until they succeed, backing off.
PERSIST = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)),
}
# Reads that may legitimately fail for a while (a row not visible yet), then give up.
LOOKUP = {
    "start_to_close_timeout": timedelta(seconds=30),
    "schedule_to_close_timeout": timedelta(minutes=10),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10)),
}


def notify_options(attempts: int = 5) -> dict[str, Any]:
    """Notifications: a few attempts, then the workflow records the failure and goes
    on (a dead channel must not stall an escalation)."""
    return {
        "start_to_close_timeout": timedelta(seconds=30),
        "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=20),
                                    maximum_attempts=attempts),
    }


def now_ms() -> int:
    """The workflow's clock in epoch milliseconds (deterministic on replay)."""
    return int(workflow.now().timestamp() * 1000)


def to_application_error(e: Exception) -> ApplicationError:
    """A domain error as a non-retryable ApplicationError the client adapter decodes."""
    if isinstance(e, ApplicationError):
        return e
    details: dict[str, Any] = {}
    if isinstance(e, InvalidTransition):
        details = {"entity": e.entity, "state": e.state, "event": e.event}
    elif isinstance(e, ValidationError):
        details = {"message": e.message, "field": e.field}
    kind = type(e).__name__ if isinstance(e, (InvalidTransition, ValidationError, NotFound, Conflict)) else "DomainError"
    return ApplicationError(str(e), details, type=kind, non_retryable=True)
