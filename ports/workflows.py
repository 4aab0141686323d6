"""The workflow engine (Temporal): durable, long-running incident processes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

INCIDENT_WORKFLOW = "IncidentWorkflow"


@dataclass(frozen=True, slots=True)
class WorkflowRun:
    workflow: str
    workflow_id: str
    args: tuple[Any, ...] = ()
    signals: tuple[tuple[str, tuple[Any, ...]], ...] = field(default=())


class WorkflowEngine(Protocol):
    async def start(self, workflow: str, workflow_id: str, *args: Any) -> bool:
        """Start a workflow; starting an id that already runs is a no-op returning False."""
        ...

    async def signal(self, workflow_id: str, signal: str, *args: Any) -> None: ...

    async def update(self, workflow_id: str, update: str, *args: Any) -> Any: ...

    async def query(self, workflow_id: str, query: str, *args: Any) -> Any: ...

    async def cancel(self, workflow_id: str) -> None: ...

    async def runs(self) -> Sequence[WorkflowRun]:
        """Workflows known to this engine (for operators and tests)."""
        ...
