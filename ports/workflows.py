"""The workflow engine (Temporal): durable, long-running incident processes.

Besides the engine's port, the incident workflow's API as typed values: what its
queries and updates answer (``IncidentWorkflowState``, ``IncidentChange``, ...). The
workflow returns them, the in-process engine builds the same ones, and the services
read them: one shape, whichever engine runs. Pass the type as ``result_type`` to
``query`` and ``update`` to get it back typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

INCIDENT_WORKFLOW = "IncidentWorkflow"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WorkflowRun:
    workflow: str
    workflow_id: str
    args: tuple[Any, ...] = ()
    signals: tuple[tuple[str, tuple[Any, ...]], ...] = field(default=())


class WorkflowUnavailable(Exception):
    """The engine runs no workflow that could answer (``OBSERVER_WORKFLOWS=memory``
    records starts and signals but runs no escalation, remediation or postmortem)."""


class WorkflowEngine(Protocol):
    async def start(self, workflow: str, workflow_id: str, *args: Any) -> bool:
        """Start a workflow; starting an id that already runs is a no-op returning False."""
        ...

    async def signal(self, workflow_id: str, signal: str, *args: Any) -> None: ...

    async def update(self, workflow_id: str, update: str, *args: Any, result_type: type[T] | None = None) -> Any:
        """The update's answer (``result_type`` given: as that type). Raises the domain's
        error when the workflow refused it, ``LookupError`` when no such workflow runs."""
        ...

    async def query(self, workflow_id: str, query: str, *args: Any, result_type: type[T] | None = None) -> Any: ...

    async def cancel(self, workflow_id: str) -> None: ...

    async def runs(self) -> Sequence[WorkflowRun]:
        """Workflows known to this engine (for operators and tests)."""
        ...


# ------------------------------------------------------- the incident workflow's API


@dataclass(frozen=True)
class IncidentChange:
    """What a responder update (acknowledge, resolve, attach alerts ...) answers: the
    incident's version and state once the change was applied and stored (the row, the
    read model, holds the rest: read it after the update returned)."""

    incident_id: str
    version: int
    status: str
    severity: str
    changed: bool


@dataclass(frozen=True)
class EscalationState:
    """Where the escalation stands. ``policy`` None: nothing pages (``reason`` says why:
    the tenant has no policy for the severity, or no engine runs escalations)."""

    policy: str | None
    total_steps: int | None
    round: int = 0
    step: int = 0
    level: int | None = None
    awaiting: bool = False
    deadline_ms: int | None = None
    paused: bool = False
    remaining_ms: int | None = None
    exhausted: bool = False
    active: bool = False
    reason: str = ""


@dataclass(frozen=True)
class PageRecord:
    """One page of an escalation step: to whom (``user``, None when nobody was on call
    for ``target``), under which delivery key, and how the delivery stood when paged
    (``status``: queued, sent, failed; the audit at /api/v1/notifications/deliveries
    has what happened next)."""

    at_ms: int
    round: int
    step: int
    level: int
    target: str
    user: str | None
    key: str
    delivered: bool
    detail: str = ""
    status: str = ""


@dataclass(frozen=True)
class RemediationRecord:
    """One remediation run of the incident: the catalogue runbook (and its ``version``),
    who asked, how it ended; ``note`` says when it ran against the dry-run infrastructure."""

    workflow_id: str
    runbook: str | None
    requested_by: str
    dry_run: bool
    status: str
    at_ms: int
    failed_step: str | None = None
    reason: str = ""
    version: int | None = None
    note: str = ""


@dataclass(frozen=True)
class PostmortemRecord:
    workflow_id: str
    round: int
    status: str
    started_at_ms: int


@dataclass(frozen=True)
class IncidentWorkflowState:
    """The ``state`` query: what the incident's workflow is doing. ``engine`` names what
    runs it (``temporal``; ``memory`` runs no workflow: no escalation, no children)."""

    incident_id: str
    tenant: str
    status: str
    severity: str | None
    version: int | None
    escalation: EscalationState
    pages: list[PageRecord] = field(default_factory=list)
    remediations: list[RemediationRecord] = field(default_factory=list)
    postmortem: PostmortemRecord | None = None
    continued_as_new: int = 0
    history_length: int = 0
    engine: str = "temporal"


@dataclass(frozen=True)
class RemediationStarted:
    """What ``start_remediation`` answers: the child's id (None for a dry run's plan
    only) and the plan of its steps."""

    workflow_id: str | None
    dry_run: bool
    plan: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class PostmortemPublishing:
    postmortem: str
    status: str


@dataclass(frozen=True)
class RemediationState:
    """The remediation workflow's ``state`` query."""

    workflow_id: str
    incident_id: str
    runbook: str | None
    phase: str
    current_step: str | None
    steps: list[dict[str, Any]] = field(default_factory=list)
    requested_by: str = ""
    compensated: list[dict[str, Any]] = field(default_factory=list)
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refusals: list[dict[str, Any]] = field(default_factory=list)
    plan: list[dict[str, Any]] = field(default_factory=list)
    runbook_version: int | None = None  # the catalogue version it executed (GET /api/v1/runbooks/{id}/versions/{n})
